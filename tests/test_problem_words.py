"""The validator's problems in the user's language: each has a stable code and plain parameters;
the web layer's English is the validator's message word for word; every code reads in Chinese,
naming the field and the limit.

The bodies are generated, not hand-picked: every model's valid bodies, each field deleted, each
value replaced by hostile ones, unknown fields added, then the sizes, boxes, palettes and images
that break each documented limit.
"""

from __future__ import annotations

import ast
import copy
import functools
import pickle
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from studio.editor.labels import field_errors
from studio.pipeline.gate import GenerationRequest, ImageInput, Problem
from studio.pipeline.problem_text import problem_text, said_text
from studio.wan.capabilities import MODELS
from studio.wan.images import ImageDecodeError, inspect_image, side_advice, to_data_url
from studio.wan.problem_words import JOINERS, PROBLEMS, TEMPLATES, fields_of
from studio.wan.request import build_body
from studio.wan.validator import validate_body, validate_request
from studio.wan.validator_text import prompt_may_be_cut
from tests.hostile_inputs import FORMATS, broken_headers, chunk_bombs, mutations, truncations, valid
from tests.wan_bodies import PALETTE, URL, data_url, image_bytes
from tests.zh_catalog import PO, in_chinese


HOSTILE: tuple[object, ...] = (None, True, 0, -1, 10**30, 1.5, "", "x" * 60, "4K", "7*7", [], [[]], {}, {"a": 1})


def _request(model: str, images: int = 0, **fields: Any) -> GenerationRequest:
    caps = MODELS[model]
    pictures = tuple(
        ImageInput(data=image_bytes("PNG", (512, 512)), mime="image/png", width=512, height=512) for _ in range(images)
    )
    extra: dict[str, Any] = {}
    if caps.image_edit is not None:
        extra["function"] = "description_edit"
        pictures = pictures or (ImageInput(data=image_bytes("PNG", (512, 512)), mime="image/png", width=512, height=512),)
    return GenerationRequest(model=model, prompt="a red kite", images=pictures, **{**extra, **fields})


def _valid_bodies() -> Iterator[dict[str, Any]]:
    for model, caps in MODELS.items():
        yield build_body(_request(model))
        if caps.images.count.hi:
            yield build_body(_request(model, images=min(2, caps.images.count.hi)))


def _leaves(value: object, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))


def _replaced(body: dict, path: tuple, new: object) -> object:
    if not path:
        return new
    copied = copy.deepcopy(body)
    holder = copied
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = new
    return copied


def _deleted(body: dict, path: tuple) -> dict:
    copied = copy.deepcopy(body)
    holder = copied
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return copied


def _mutations() -> Iterator[object]:
    for valid_body in _valid_bodies():
        for path in _leaves(valid_body):
            for new in HOSTILE:
                yield _replaced(valid_body, path, new)
            if path:
                yield _deleted(valid_body, path)
            holder = valid_body
            for key in path:
                holder = holder[key]
            if isinstance(holder, dict):
                yield _replaced(valid_body, path, {**holder, "extra_field": 1})
            if isinstance(holder, list) and holder:
                yield _replaced(valid_body, path, holder + holder)


def _images(model: str, *urls: object) -> dict[str, Any]:
    body = build_body(_request(model))
    content = [{"image": url} for url in urls] + [{"text": "a red kite"}]
    if "messages" in body.get("input", {}):
        body["input"]["messages"][0]["content"] = content
    return body


def _targeted() -> Iterator[object]:
    """The documented limits one by one, on every model that has them."""
    big = "x" * 6000
    for model, caps in MODELS.items():
        base = build_body(_request(model))
        params = base.get("parameters", {})
        for size in ("1K", "2K", "4K", "1024*1024", "100*100", "9000*9000", "4000*500", "1280*1280", "1664*928",
                     "640*640", "5000*5000", "2048*2048", "WxH", 7):
            yield _replaced(base, ("parameters",), {**params, "size": size})
            yield _replaced(base, ("parameters",), {**params, "size": size, "enable_sequential": True})
            yield _replaced(base, ("parameters",), {**params, "size": size, "enable_interleave": True})
            yield build_body(_request(model, images=1)) | {"parameters": {"size": size}}
        for n in (0, 5, 13, 1.5):
            yield _replaced(base, ("parameters",), {**params, "n": n})
            yield _replaced(base, ("parameters",), {**params, "n": n, "enable_sequential": True})
            yield _replaced(base, ("parameters",), {**params, "n": n, "enable_interleave": True})
        yield _replaced(base, ("parameters",), {**params, "max_images": 3})
        yield _replaced(base, ("parameters",), {**params, "max_images": 99, "enable_interleave": True})
        yield _replaced(base, ("parameters",), {**params, "prompt_extend": True, "enable_interleave": True})
        yield _replaced(base, ("parameters",), {**params, "seed": -5})
        yield _replaced(base, ("parameters",), {**params, "watermark": "yes", "strength": "x"})
        yield _replaced(base, ("parameters",), {**params, "negative_prompt": big})
        yield _replaced(base, ("parameters",), {**params, "negative_prompt": 5})
        yield _replaced(base, ("parameters",), {**params, "bbox_list": [[[0, 0, 10, 10]]]})
        for field in ("prompt",):
            if field in base.get("input", {}):
                yield _replaced(base, ("input", field), big)
                yield _replaced(base, ("input", field), "   ")
                yield _replaced(base, ("input", "negative_prompt"), big)
        if "messages" in base.get("input", {}):
            yield _replaced(base, ("input", "messages", 0, "content", 0, "text"), big)
            yield _replaced(base, ("input", "messages", 0, "content", 0, "text"), "  ")
            yield _replaced(base, ("input", "messages", 0, "content"), [{"text": "a"}, {"text": "b"}])
            yield _replaced(base, ("input", "messages", 0, "content"), [{"text": "a", "image": URL}])
            yield _replaced(base, ("input", "messages", 0, "content"), [{}, 3])
            yield _replaced(base, ("input", "messages", 0, "content"), [{"image": URL}])
            yield _replaced(base, ("input", "messages", 0, "content"), [{"text": "a"}] + [{"image": URL}] * 12)
        if "images" in base.get("input", {}) or caps.images.count.hi:
            yield _replaced(base, ("input", "images"), [URL] * 12)
        images = ("https://", "file:///tmp/a.png", "ftp://x", 5, "data:image/png;base64,", "data:image/png,xx",
                  "data:image/png;base64,@@@", "data:image/png;base64,AAAA",
                  data_url("PNG", (100, 100)), data_url("PNG", (9000, 100)), data_url("PNG", (300, 2900)),
                  data_url("PNG", (512, 512), mime="image/jpeg"), data_url("GIF", (512, 512)),
                  data_url("PNG", (512, 512), mode="RGBA"), data_url("PNG", (4000, 4000)),
                  "data:image/png;base64," + "A" * 30_000_000)
        for image in images:
            yield _images(model, image)
        for damaged in _damaged_images() if model == "wan2.7-image-pro" else ():
            yield _images(model, damaged)
            if caps.image_edit is not None:
                yield _replaced(base, ("input", "base_image_url"), image)
        for style in ("stylization_local", "description_edit_with_mask", "expand", "super_resolution", "nope", None):
            if caps.image_edit is not None:
                yield _replaced(base, ("input", "function"), style)
                edit = _replaced(base, ("input", "function"), style)
                yield _replaced(edit, ("input", "mask_image_url"), data_url("PNG", (300, 300)))
                yield _replaced(edit, ("parameters",), {"strength": 2, "top_scale": 9, "upscale_factor": 9,
                                                        "is_sketch": True})
    region_body = build_body(_request("wanx2.1-imageedit"))
    yield ("region", region_body)
    pro = build_body(_request("wan2.7-image-pro", images=1))
    for boxes in ([], [[[0, 0, 10, 10]] * 3], [[[0, 0]]], [[5]], [[[1.5, "a", 2, 3]]], [[[10, 10, 5, 5]]],
                  [[[-1, -2, 5, 5]]], [[[0, 0, 600, 700]]], [[], []], "x", [[]] * 1, [5]):
        yield pro | {"parameters": {"bbox_list": boxes}}
    for palette in (PALETTE[:2], PALETTE[:1] * 11, "x", [5], [{"hex": "red", "ratio": "5%", "x": 1}], [{}],
                    [{"hex": "#AABBCC", "ratio": "50.00%"}, {"hex": "#AABBCC", "ratio": "40.00%"}, *PALETTE[:1]]):
        plain = build_body(_request("wan2.7-image-pro"))
        yield plain | {"parameters": {"color_palette": palette}}
        yield plain | {"parameters": {"color_palette": palette, "enable_sequential": True}}


def _damaged_images() -> Iterator[str]:
    """Every accepted format cut short and bit-flipped, chunk bombs, broken headers, a zero-byte
    image and one whose header claims more pixels than any model takes."""
    for fmt in FORMATS:
        data = valid(fmt)
        for broken in [*truncations(data).values(), *mutations(data, seed=7, count=8)]:
            yield to_data_url(broken, f"image/{fmt.lower()}")
    for broken in [*chunk_bombs().values(), *broken_headers().values(), b"\0" * 3]:
        yield to_data_url(broken, "image/png")
    yield "data:image/png;base64,AA=="  # one byte, then nothing: still no image
    yield to_data_url(_huge_header_png(9000), "image/png")
    yield to_data_url(_huge_header_png(20000), "image/png")  # past Pillow's own bomb guard


def _huge_header_png(side: int) -> bytes:
    """A PNG whose header says side×side (its pixels are never there)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def _all_problems() -> list[Problem]:
    found: list[Problem] = []
    for body in [*_mutations(), *_targeted()]:
        if isinstance(body, tuple):
            found += validate_body(body[1], region="singapore").problems
        else:
            found += validate_body(body).problems
    # The edit body has room for one image: the others are refused before sending.
    found += validate_request(_request("wanx2.1-imageedit", images=2)).problems
    return found


@functools.cache
def problems() -> tuple[Problem, ...]:
    return tuple(_all_problems())


def test_every_problem_carries_a_code_and_plain_parameters() -> None:
    for problem in problems():
        assert problem.code in PROBLEMS, problem
        for value in problem.params.values():
            assert value is None or isinstance(value, (str, int, float, bool)), (problem, value)


def test_the_generated_bodies_reach_every_problem_code() -> None:
    seen = {p.code for p in problems()}
    # body.unchecked guards against the validator's own bugs; every model that takes no negative
    # prompt refuses the field as unknown before negative_prompt.not_taken could; an empty image
    # is refused as an empty data URL first. Their words are still checked below, as templates.
    unreachable = {"body.unchecked", "negative_prompt.not_taken", "image.empty"}
    assert set(PROBLEMS) - seen - unreachable == set()


def test_the_web_layers_english_is_the_validators_message_word_for_word() -> None:
    with translation.override("en"):
        for problem in problems():
            assert problem_text(problem) == problem.message


def test_params_fill_every_placeholder_of_every_template() -> None:
    for problem in problems():
        for name in fields_of(PROBLEMS[problem.code]):
            assert name in problem.params or f"{name}__code" in problem.params or f"{name}__count" in problem.params


def test_image_errors_and_notes_keep_their_code() -> None:
    for data in [*truncations(valid("PNG")).values(), b"", b"not an image"]:
        with pytest.raises(ImageDecodeError) as caught:
            inspect_image(data)
        assert said_text(caught.value) == str(caught.value)
    [advice] = side_advice(100, 100, MODELS["qwen-image-2.0"].images)
    assert advice.code == "image.side_advice"
    assert said_text(prompt_may_be_cut(900, MODELS["qwen-image-2.0"])).startswith("prompt is 900 characters")


# --- Chinese ---------------------------------------------------------------------------------------


@pytest.fixture
def chinese(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with in_chinese(tmp_path_factory.getbasetemp() / "zh-locale"):
        yield


def _translations() -> dict[str, str]:
    """msgid -> msgstr of the zh-Hans catalog (plain entries)."""
    entries: dict[str, str] = {}
    msgid = msgstr = None
    target = None
    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("msgid "):
            msgid, msgstr, target = _unquote(line[6:]), None, "id"
        elif line.startswith("msgstr "):
            msgstr, target = _unquote(line[7:]), "str"
        elif line.startswith('"') and target == "id":
            msgid += _unquote(line)
        elif line.startswith('"') and target == "str":
            msgstr += _unquote(line)
        elif msgid is not None and msgstr is not None:
            entries[msgid] = msgstr
            msgid = msgstr = target = None
    return entries


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def test_every_problem_phrase_and_joiner_has_a_chinese_translation_with_the_same_placeholders() -> None:
    zh = _translations()
    for code, template in {**TEMPLATES, **{f"joiner.{k}": v for k, v in JOINERS.items()}}.items():
        if not fields_of(template) - {"text", "model", "presets"} and template.startswith("{") and template.endswith("}"):
            continue  # a bare placeholder ("{model}") has nothing to translate
        assert zh.get(template), f"{code}: no zh-Hans translation of {template!r}"
        assert fields_of(zh[template]) <= fields_of(template), f"{code}: {zh[template]!r} uses unknown fields"


def test_every_generated_problem_reads_in_chinese(chinese: None) -> None:
    for problem in problems():
        text = problem_text(problem)
        assert text != problem.message or not any(c.isalpha() and c.isascii() for c in problem.message), problem


def test_a_too_small_reference_reads_in_chinese_naming_the_field_and_the_limit(chinese: None) -> None:
    body = _images("wan2.7-image-pro", data_url("PNG", (512, 512)), data_url("PNG", (512, 512)),
                   data_url("PNG", (200, 512)))
    [problem] = validate_body(body).problems
    assert problem.code == "image.side_small"
    assert problem_text(problem) == "宽度 200 像素，低于最小值 240 像素"
    # The editor puts the image's label before it (its words are the editor's own catalog's).
    [error] = field_errors([problem], image_count=3)
    assert error.message == "宽度 200 像素，低于最小值 240 像素"
    with translation.override("en"):
        [english] = field_errors([problem], image_count=3)
    assert str(english) == "Image 3: width 200 px is below the minimum of 240 px"


def test_a_protocol_message_survives_pickling_and_copying_with_its_code() -> None:
    with pytest.raises(ImageDecodeError) as caught:
        inspect_image(b"not an image")
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value) and again.args[0].code == "image.unrecognised"
    said = side_advice(100, 100, MODELS["qwen-image-2.0"].images)[0]
    assert copy.deepcopy(said) == said and copy.deepcopy(said).params == said.params
