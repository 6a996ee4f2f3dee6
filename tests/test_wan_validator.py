"""The request body's shape, model, messages, prompt and images (reference 002), each rule with a
refused and an accepted example; the whole report at once; garbage never raises."""

from __future__ import annotations

import copy
import functools
import random
from typing import Any

import pytest

from studio.wan.images import to_data_url
from studio.wan.request import GenerationRequest, ImageInput, build_body
from studio.wan.validator import Problem, validate_body, validate_request
from tests.wan_bodies import CONTENT, PALETTE, URL, assert_valid, body, data_url, image_bytes, paths, problems


# --- the body, model and messages -------------------------------------------------------------


def test_minimal_text_to_image_body_is_valid() -> None:
    assert_valid(body())


def test_problem_reads_as_path_colon_message() -> None:
    assert str(Problem("parameters.n", "must be an integer")) == "parameters.n: must be an integer"


@pytest.mark.parametrize("value", [None, [], "body", 3, True])
def test_body_that_is_not_an_object_is_refused(value: object) -> None:
    assert paths(value) == ["body"]


@pytest.mark.parametrize("model", ["wan2.7-image-pro", "wan2.7-image"])
def test_documented_models_are_accepted(model: str) -> None:
    assert_valid(body(model=model))


def test_unknown_model_is_refused_listing_the_known_ones() -> None:
    [problem] = problems(body(model="wan3-image"))
    assert problem.startswith('model: the string "wan3-image" is not a known model (known: wan2.7-image-pro, wan2.7-image, ')
    assert "z-image-turbo" in problem


def test_missing_model_is_refused() -> None:
    b = body()
    del b["model"]
    assert paths(b) == ["model"]


def test_unknown_top_level_field_is_refused() -> None:
    assert paths({**body(), "prompt": "x"}) == ["prompt"]


def test_missing_input_is_refused() -> None:
    b = body()
    del b["input"]
    assert paths(b) == ["input"]


def test_two_messages_are_refused_as_single_turn_only() -> None:
    b = body()
    b["input"]["messages"].append(copy.deepcopy(b["input"]["messages"][0]))
    assert problems(b) == ["input.messages: must hold exactly one message (single-turn only), not 2"]


def test_no_message_is_refused() -> None:
    b = body()
    b["input"]["messages"] = []
    assert paths(b) == ["input.messages"]


def test_role_other_than_user_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["role"] = "assistant"
    assert problems(b) == ['input.messages[0].role: must be "user", not the string "assistant"']


def test_empty_content_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["content"] = []
    assert paths(b) == [CONTENT]


def test_content_item_with_both_text_and_image_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["content"].insert(0, {"text": "x", "image": URL})
    assert paths(b) == [f"{CONTENT}[0]"]


def test_content_item_with_an_unknown_field_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["content"][0]["type"] = "text"
    assert paths(b) == [f"{CONTENT}[0].type"]


def test_content_item_that_is_not_an_object_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["content"].insert(0, "a cat")
    assert paths(b) == [f"{CONTENT}[0]"]


# --- the prompt --------------------------------------------------------------------------------


def test_content_without_a_text_item_is_refused() -> None:
    b = body(images=(URL,))
    b["input"]["messages"][0]["content"].pop()
    assert problems(b) == [f"{CONTENT}: needs one text item (the prompt)"]


def test_second_text_item_is_refused() -> None:
    b = body()
    b["input"]["messages"][0]["content"].append({"text": "more"})
    assert paths(b) == [f"{CONTENT}[1].text"]


def test_text_may_come_before_the_images() -> None:
    b = body(images=(URL,))
    b["input"]["messages"][0]["content"].reverse()
    assert_valid(b)


@pytest.mark.parametrize("prompt", ["", "   ", None, 42, ["a cat"]])
def test_empty_or_non_string_prompt_is_refused(prompt: object) -> None:
    assert paths(body(prompt=prompt)) == [f"{CONTENT}[0].text"]


def test_prompt_of_5001_characters_is_refused() -> None:
    assert problems(body(prompt="猫" * 5001)) == [
        f"{CONTENT}[0].text: prompt is 5,001 characters, more than the 5,000 allowed"
    ]


def test_prompt_of_5000_characters_is_accepted() -> None:
    assert_valid(body(prompt="猫" * 5000))


def test_over_long_prompt_is_only_a_note_when_not_strict() -> None:
    report = validate_body(body(prompt="a" * 6000), strict=False)
    assert report.ok
    assert report.notes == [f"note: {CONTENT}[0].text: prompt is 6,000 characters; the first 5,000 are used"]


# --- images ------------------------------------------------------------------------------------


def test_ten_images_are_refused() -> None:
    assert problems(body(images=(URL,) * 10)) == [f"{CONTENT}: has 10 images; wan2.7-image-pro takes 0–9"]


def test_nine_images_are_accepted() -> None:
    assert_valid(body(images=(URL,) * 9))


def test_http_url_image_is_accepted_with_a_note_that_pixels_were_not_checked() -> None:
    report = validate_body(body(images=("http://wanx.alicdn.com/material/xxx.jpeg",)))
    assert report.ok
    assert report.notes == [
        f"note: {CONTENT}[0].image: pixel checks skipped for an http(s) URL (the validator does not fetch it)"
    ]


@pytest.mark.parametrize(
    "image", ["file:///home/alice/cat.png", "ftp://example.com/cat.png", "/tmp/cat.png", "cat.png", "https://", 7]
)
def test_image_that_is_neither_http_nor_data_url_is_refused(image: object) -> None:
    assert paths(body(images=(image,))) == [f"{CONTENT}[0].image"]


def test_file_url_problem_explains_what_to_send_instead() -> None:
    assert "data URL" in problems(body(images=("file://./cat.png",)))[0]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "BMP", "WEBP"])
def test_data_url_image_in_a_supported_format_is_accepted(fmt: str) -> None:
    report = validate_body(body(images=(data_url(fmt),)))
    assert report.problems == [] and report.notes == []


def test_gif_data_url_is_refused() -> None:
    assert problems(body(images=(data_url("GIF"),))) == [
        f"{CONTENT}[0].image: format GIF is not supported (BMP, JPEG, PNG, WEBP)"
    ]


def test_data_url_declaring_the_wrong_mime_type_is_refused() -> None:
    assert problems(body(images=(data_url("JPEG", mime="image/png"),))) == [
        f"{CONTENT}[0].image: declared MIME type image/png does not match the content (JPEG)"
    ]


def test_data_url_image_narrower_than_240_px_is_refused() -> None:
    assert problems(body(images=(data_url(size=(200, 300)),))) == [
        f"{CONTENT}[0].image: width 200 px is below the minimum of 240 px"
    ]


def test_data_url_image_beyond_1_to_8_is_refused() -> None:
    assert problems(body(images=(data_url(size=(240, 2280)),))) == [
        f"{CONTENT}[0].image: aspect ratio 1:9.5 is outside 1:8 to 8:1"
    ]


def test_data_url_image_over_20_mb_is_refused_without_decoding() -> None:
    padded = image_bytes("JPEG") + bytes(21 * 1024 * 1024)
    assert problems(body(images=(to_data_url(padded, "image/jpeg"),))) == [
        f"{CONTENT}[0].image: file is 21.0 MB, more than the 20 MB limit"
    ]


def test_data_url_png_with_alpha_is_refused() -> None:
    assert problems(body(images=(data_url(mode="RGBA"),))) == [
        f"{CONTENT}[0].image: PNG has an alpha channel, which the API does not take"
    ]


def test_data_url_with_bad_base64_is_refused() -> None:
    assert paths(body(images=("data:image/png;base64,not base64!",))) == [f"{CONTENT}[0].image"]


def test_data_url_that_is_not_an_image_is_refused() -> None:
    assert paths(body(images=(to_data_url(b"plain text, not pixels", "image/png"),))) == [f"{CONTENT}[0].image"]


# --- the whole report --------------------------------------------------------------------------


def test_all_problems_are_reported_at_once() -> None:
    b = body(
        model="wan9",
        images=("file:///a.png", data_url(size=(200, 200))),
        prompt="",
        n=9,
        seed=-5,
        size="8K",
        bbox_list=[[[0, 0, 10, 10]] * 3],
        color_palette=PALETTE[:2],
        watermark="no",
        style="anime",
    )
    b["input"]["messages"][0]["role"] = "system"
    assert set(paths(b)) == {
        "model",
        "input.messages[0].role",
        f"{CONTENT}[0].image",
        f"{CONTENT}[1].image",
        f"{CONTENT}[2].text",
        "parameters.n",
        "parameters.seed",
        "parameters.size",
        "parameters.bbox_list",
        "parameters.bbox_list[0]",
        "parameters.color_palette",
        "parameters.watermark",
        "parameters.style",
    }


def test_validate_request_checks_the_built_body() -> None:
    req = GenerationRequest(model="wan2.7-image-pro", prompt="x", images=(ImageInput(url=URL),), size="4K")
    assert validate_request(req).problems == validate_body(build_body(req)).problems != []


GARBAGE: list[object] = [None, True, 0, -1.5, "", "x" * 100, [], {}, [None], {"": None}, [[[]]], {"a": {"b": [1]}}]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_anywhere_never_raises(garbage: object) -> None:
    template = body(
        images=(URL, data_url()), n=1, seed=1, size="2K", bbox_list=[[[0, 0, 9, 9]], []], color_palette=PALETTE
    )
    for mutated in _replace_each_node(template, garbage):
        report = validate_body(mutated)
        assert all(isinstance(p, Problem) for p in report.problems)
        assert not any(p.path == "body" and "could not be checked" in p.message for p in report.problems)


def test_random_garbage_bodies_never_raise() -> None:
    rng = random.Random(27)
    for _ in range(300):
        report = validate_body(_random_json(rng, depth=4))
        assert not any("could not be checked" in p.message for p in report.problems)


def _replace_each_node(tree: Any, garbage: object) -> list[Any]:
    """Copies of `tree` with one value (at any depth) replaced by `garbage`."""
    out: list[Any] = []

    def walk(node: Any, setter: Any) -> None:
        setter(garbage)
        out.append(copy.deepcopy(root))
        setter(node)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in list(children):
            walk(child, functools.partial(node.__setitem__, key))

    root = copy.deepcopy(tree)
    for key, child in list(root.items()):
        walk(child, functools.partial(root.__setitem__, key))
    return out


def _random_json(rng: random.Random, depth: int) -> object:
    keys = ["model", "input", "messages", "role", "content", "text", "image", "parameters"]
    keys += ["n", "size", "seed", "bbox_list", "color_palette", "hex", "ratio", "enable_sequential"]
    kind = rng.randrange(7 if depth else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, 1, -1, 2**40, 0.5])
    if kind == 2:
        return rng.choice(
            ["", "user", "2K", "25.00%", "#FFFFFF", "data:", "data:image/png;base64,AAAA", "http://x", "wan2.7-image"]
        )
    if kind in (3, 4):
        return rng.choice(keys)
    if kind == 5:
        return [_random_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {rng.choice(keys): _random_json(rng, depth - 1) for _ in range(rng.randrange(5))}
