"""The capability table's parameter descriptors: which models take what, and where it goes."""

from __future__ import annotations

import pytest

from studio.wan.capabilities import MODELS, PARAMETERS, BodyShape, Carrier, Stored, known_parameters, parameters_of
from studio.wan.request import GenerationRequest, ImageInput, build_body, parse_body

_SAMPLE = {bool: True, int: 1, float: 1.5, str: "x"}


def test_z_image_turbo_takes_size_prompt_extend_and_seed_only() -> None:
    # Reference: 004, z-image-turbo — "size, prompt_extend, seed".
    assert known_parameters(MODELS["z-image-turbo"]) == ["size", "prompt_extend", "seed"]


def test_the_prompt_body_carries_the_negative_prompt_beside_the_prompt() -> None:
    flash = MODELS["wan2.2-t2i-flash"]
    assert "negative_prompt" in {p.name for p in parameters_of(flash)}
    assert "negative_prompt" not in known_parameters(flash)
    body = build_body(GenerationRequest(model=flash.name, prompt="A fox", negative_prompt="blur"))
    assert body["input"] == {"prompt": "A fox", "negative_prompt": "blur"} and body["parameters"] == {}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_parameter_a_model_takes_is_built_where_its_descriptor_says_and_read_back(model: str) -> None:
    caps = MODELS[model]
    values = {p.name: _SAMPLE[p.kind] for p in parameters_of(caps) if p.kind is not None}
    images = (ImageInput(url="https://example.com/fox.png"),) if caps.images.count.hi else ()
    body = build_body(GenerationRequest(model=model, prompt="A fox", images=images, **values))
    for parameter in parameters_of(caps):
        if parameter.kind is None:
            continue
        where = "input" if parameter.carrier(caps.body_shape) is Carrier.INPUT else "parameters"
        assert body[where][parameter.name] == values[parameter.name], parameter.name
    read = parse_body(body)
    assert {name: getattr(read, name) for name in values} == values


def test_each_draft_field_holds_one_parameter() -> None:
    fields = [p.field for p in PARAMETERS if p.stored is not Stored.APART]
    assert len(fields) == len(set(fields)) and None not in fields


def test_the_image_edit_body_carries_the_function_in_its_input() -> None:
    function = next(p for p in PARAMETERS if p.name == "function")
    assert function.carrier(BodyShape.IMAGE_EDIT) is Carrier.INPUT and function.carrier(BodyShape.MESSAGES) is None
