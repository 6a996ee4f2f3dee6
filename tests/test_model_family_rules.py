"""Every model of the documents, checked against its own document by the protocol's validator.

References: 004 (wan2.6, qwen-image, z-image-turbo), 000 (per-model image limits), 003
(wan2.5-i2i-preview), 001 (wanx2.1-imageedit).
"""

from __future__ import annotations

import pytest

from studio.wan.capabilities import MODELS
from studio.wan.request import (
    OPTIONS,
    GenerationRequest,
    ImageInput,
    build_body,
    parse_body,
)
from studio.wan.validator import validate_body, validate_request
from tests.wan_bodies import image_bytes


def image(size: tuple[int, int] = (512, 512), fmt: str = "PNG") -> ImageInput:
    return ImageInput.from_bytes(image_bytes(fmt, size))


def mask(size: tuple[int, int] = (512, 512)) -> ImageInput:
    return ImageInput.from_bytes(image_bytes("PNG", size, "L"))


def problems(model: str, prompt: str = "A red kite over the dunes", **fields) -> list[str]:
    return [str(p) for p in validate_request(GenerationRequest(model=model, prompt=prompt, **fields)).problems]


def test_the_table_holds_every_model_of_the_documents() -> None:
    assert set(MODELS) == {
        "wan2.7-image-pro", "wan2.7-image", "wan2.6-image", "wan2.6-t2i", "wan2.2-t2i-flash",
        "wan2.5-i2i-preview", "wanx2.1-imageedit", "qwen-image-2.0-pro", "qwen-image-2.0",
        "qwen-image-edit-max", "qwen-image-edit-plus", "qwen-image-edit", "qwen-image-plus",
        "qwen-image-max", "z-image-turbo",
    }


# --- wan2.6-image (004, 000) -----------------------------------------------------------------


def test_wan26_image_edits_one_to_four_references() -> None:
    assert problems("wan2.6-image", images=(image(),) * 4, n=2, size="2K", negative_prompt="blur", prompt_extend=False) == []
    assert problems("wan2.6-image", images=(image(),) * 5) == [
        "input.messages[0].content: has 5 images; wan2.6-image takes 1–4"
    ]
    assert problems("wan2.6-image") == ["input.messages[0].content: has 0 images; wan2.6-image takes 1–4"]


def test_wan26_image_refuses_wan27_only_parameters_and_long_negative_prompts() -> None:
    found = problems("wan2.6-image", images=(image(),), enable_sequential=True, negative_prompt="x" * 501)
    assert any(p.startswith("parameters.enable_sequential: is not a parameter of wan2.6-image") for p in found)
    assert "parameters.negative_prompt: negative prompt is 501 characters, more than the 500 allowed" in found


def test_wan26_image_prompt_stops_at_2000_characters() -> None:
    assert problems("wan2.6-image", prompt="p" * 2000, images=(image(),)) == []
    assert problems("wan2.6-image", prompt="p" * 2001, images=(image(),)) == [
        "input.messages[0].content[1].text: prompt is 2,001 characters, more than the 2,000 allowed"
    ]


def test_wan26_image_editing_size_is_1k_2k_or_pixels_within_768_and_2048_squared() -> None:
    assert problems("wan2.6-image", images=(image(),), size="1536*1024") == []
    [problem] = problems("wan2.6-image", images=(image(),), size="4K")
    assert problem.startswith("parameters.size: 4K is not available on wan2.6-image")
    assert problems("wan2.6-image", images=(image(),), size="2560*640") == []
    assert problems("wan2.6-image", images=(image(),), size="2700*600") == [
        "parameters.size: aspect ratio 4.5:1 is outside 1:4 to 4:1"
    ]


def test_wan26_interleave_takes_at_most_one_reference_max_images_1_to_5_and_pixel_sizes_to_1280_squared() -> None:
    ok = dict(enable_interleave=True, max_images=3, size="1280*1280")
    assert problems("wan2.6-image", **ok) == []
    assert problems("wan2.6-image", images=(image(),), **ok) == []
    assert problems("wan2.6-image", images=(image(), image()), **ok) == [
        "input.messages[0].content: has 2 images; wan2.6-image takes 0–1"
    ]
    assert problems("wan2.6-image", enable_interleave=True, max_images=6) == ["parameters.max_images: 6 is outside 1–5"]
    [problem] = problems("wan2.6-image", enable_interleave=True, size="1K")
    assert problem.startswith("parameters.size: 1K is not taken with enable_interleave")
    [problem] = problems("wan2.6-image", enable_interleave=True, size="1440*1440")
    assert "outside 768*768 to 1280*1280 for interleaved text and images" in problem
    assert problems("wan2.6-image", enable_interleave=True, n=2) == [
        "parameters.n: must be 1 with enable_interleave (use max_images), not 2"
    ]
    assert problems("wan2.6-image", enable_interleave=True, prompt_extend=True) == [
        "parameters.prompt_extend: is for editing mode only, not with enable_interleave"
    ]


def test_max_images_belongs_to_interleave_mode() -> None:
    assert problems("wan2.6-image", images=(image(),), max_images=2) == [
        "parameters.max_images: is only taken with enable_interleave true (use n otherwise)"
    ]


# --- wan2.6-t2i, wan2.2-t2i-flash --------------------------------------------------------------


def test_wan26_t2i_is_text_only_with_sizes_between_1280_and_1440_squared() -> None:
    for size in ("1280*1280", "1472*1104", "1104*1472", "1696*960", "960*1696", "1440*1440"):  # 004's table
        assert problems("wan2.6-t2i", size=size, n=1, prompt_extend=True) == []
    assert problems("wan2.6-t2i", images=(image(),)) == ["input.messages[0].content: has 1 image; wan2.6-t2i takes 0–0"]
    [problem] = problems("wan2.6-t2i", size="1024*1024")
    assert "outside 1,625,088 to 1440*1440" in problem
    assert problems("wan2.6-t2i", prompt="p" * 2101) == [
        "input.messages[0].content[0].text: prompt is 2,101 characters, more than the 2,100 allowed"
    ]


def test_wan22_flash_sends_the_older_text2image_body() -> None:
    body = build_body(GenerationRequest(model="wan2.2-t2i-flash", prompt="A fox", negative_prompt="blur", n=2, size="1024*1024"))
    assert body == {
        "model": "wan2.2-t2i-flash",
        "input": {"prompt": "A fox", "negative_prompt": "blur"},
        "parameters": {"size": "1024*1024", "n": 2},
    }
    assert validate_body(body).ok
    assert MODELS["wan2.2-t2i-flash"].async_path == "/services/aigc/text2image/image-synthesis"


# --- wan2.5-i2i-preview (003, 000) -------------------------------------------------------------


def test_wan25_body_is_prompt_and_images_in_input() -> None:
    req = GenerationRequest(model="wan2.5-i2i-preview", prompt="Put the clock from image 1 on the table in image 2",
                            images=(image(), image((640, 480))), negative_prompt="", n=1, prompt_extend=True, seed=12345)
    body = build_body(req)
    assert list(body["input"]) == ["prompt", "images"]
    assert body["parameters"] == {"n": 1, "prompt_extend": True, "seed": 12345}
    assert validate_body(body).ok
    assert parse_body(body) == GenerationRequest(
        model=req.model, prompt=req.prompt, images=parse_body(body).images, n=1, prompt_extend=True, seed=12345
    )


def test_wan25_takes_one_to_three_images_of_384_to_5000_px() -> None:
    assert problems("wan2.5-i2i-preview", images=(image(),) * 4) == ["input.images: has 4 images; wan2.5-i2i-preview takes 1–3"]
    assert problems("wan2.5-i2i-preview", images=(image((300, 600)),)) == [
        "input.images[0]: width 300 px is below the minimum of 384 px"
    ]
    assert problems("wan2.5-i2i-preview", images=(ImageInput.from_bytes(image_bytes("PNG", (400, 400), "RGBA")),)) == []


def test_wan25_size_is_pixels_only_within_768_and_1280_squared_at_most_4_to_1() -> None:
    assert problems("wan2.5-i2i-preview", images=(image(),), size="1280*1280") == []
    [problem] = problems("wan2.5-i2i-preview", images=(image(),), size="1K")
    assert problem == (
        "parameters.size: 1K is not available on wan2.5-i2i-preview, only on wan2.7-image-pro, wan2.7-image, "
        'wan2.6-image; use "W*H" with 768*768 to 1280*1280 pixels in total (default 1280*1280)'
    )
    [problem] = problems("wan2.5-i2i-preview", images=(image(),), size="1440*1440")
    assert "outside 768*768 to 1280*1280" in problem


# --- wanx2.1-imageedit (001) -------------------------------------------------------------------


def test_wanx21_body_names_the_function_base_image_and_mask() -> None:
    req = GenerationRequest(model="wanx2.1-imageedit", prompt="A ceramic rabbit holding a ceramic flower",
                            images=(image(),), mask=mask(), function="description_edit_with_mask", n=1)
    body = build_body(req)
    assert list(body["input"]) == ["function", "prompt", "base_image_url", "mask_image_url"]
    assert body["parameters"] == {"n": 1}
    assert validate_body(body).ok
    assert parse_body(body).function == "description_edit_with_mask" and parse_body(body).mask is not None


@pytest.mark.parametrize("function", sorted(MODELS["wanx2.1-imageedit"].image_edit.functions))
def test_wanx21_takes_each_of_its_ten_functions(function: str) -> None:
    needs_mask = MODELS["wanx2.1-imageedit"].image_edit.functions[function].needs_mask
    prompt = "Change the house to wooden style" if function == "stylization_local" else "Edit it"
    assert problems("wanx2.1-imageedit", prompt=prompt, images=(image(),), function=function,
                    mask=mask() if needs_mask else None) == []


def test_wanx21_refuses_unknown_functions_and_a_missing_or_misplaced_mask() -> None:
    [problem] = problems("wanx2.1-imageedit", images=(image(),), function="inpaint")
    assert problem.startswith('input.function: the string "inpaint" is not a function (one of: stylization_all,')
    assert problems("wanx2.1-imageedit", images=(image(),), function="description_edit_with_mask") == [
        "input.mask_image_url: is required for description_edit_with_mask (white is edited, black kept)"
    ]
    assert problems("wanx2.1-imageedit", images=(image(),), function="colorization", mask=mask()) == [
        "input.mask_image_url: is only taken by description_edit_with_mask, not colorization"
    ]
    assert problems("wanx2.1-imageedit", images=(image(),), function="description_edit_with_mask", mask=mask((600, 600))) == [
        "input.mask_image_url: mask is 600×600 px but the base image is 512×512; they must be the same size"
    ]


def test_wanx21_paired_parameters_belong_to_their_function_and_range() -> None:
    base = dict(images=(image(),))
    assert problems("wanx2.1-imageedit", function="stylization_all", strength=1.0, **base) == []
    assert problems("wanx2.1-imageedit", function="stylization_all", strength=1.5, **base) == [
        "parameters.strength: the number 1.5 is outside 0–1"
    ]
    assert problems("wanx2.1-imageedit", function="expand", strength=0.5, **base) == [
        "parameters.strength: is only taken by stylization_all and description_edit, not expand"
    ]
    assert problems("wanx2.1-imageedit", function="expand", top_scale=1.5, bottom_scale=1.5, left_scale=2.0, right_scale=1.0, **base) == []
    assert problems("wanx2.1-imageedit", function="expand", left_scale=2.5, **base) == ["parameters.left_scale: the number 2.5 is outside 1–2"]
    assert problems("wanx2.1-imageedit", function="super_resolution", upscale_factor=5, **base) == [
        "parameters.upscale_factor: 5 is outside 1–4"
    ]
    assert problems("wanx2.1-imageedit", function="doodle", is_sketch=True, **base) == []


def test_wanx21_takes_prompt_extend_as_001s_sample_sends_it() -> None:
    req = GenerationRequest(model="wanx2.1-imageedit", prompt="A ceramic rabbit holding a ceramic flower",
                            images=(image(),), mask=mask(), function="description_edit_with_mask", prompt_extend=True)
    body = build_body(req)
    assert body["parameters"] == {"prompt_extend": True}
    assert validate_body(body).ok and parse_body(body).prompt_extend is True
    assert problems("wanx2.1-imageedit", images=(image(),), function="colorization", prompt_extend="yes") == [
        'parameters.prompt_extend: must be true or false (a JSON boolean), not the string "yes"'
    ]


def test_wanx21_local_stylization_prompt_names_a_supported_style() -> None:
    [problem] = problems("wanx2.1-imageedit", prompt="Make it pretty", images=(image(),), function="stylization_local")
    assert problem.startswith("input.prompt: must name one of the styles: ice, cloud")


def test_wanx21_prompt_may_be_empty_and_takes_no_size() -> None:
    assert problems("wanx2.1-imageedit", prompt="", images=(image(),), function="colorization") == []
    body = build_body(GenerationRequest(model="wanx2.1-imageedit", prompt="", images=(image(),), function="colorization"))
    body["parameters"]["size"] = "1024*1024"
    [problem] = [str(p) for p in validate_body(body).problems]
    assert problem.startswith("parameters.size: is not a parameter of wanx2.1-imageedit")


def test_wanx21_is_served_only_in_beijing() -> None:
    req = GenerationRequest(model="wanx2.1-imageedit", prompt="x", images=(image(),), function="colorization")
    assert validate_request(req, region="beijing").ok
    assert [str(p) for p in validate_request(req, region="singapore").problems] == [
        "model: wanx2.1-imageedit is served only in the beijing region, not singapore"
    ]


# --- qwen-image (004) ---------------------------------------------------------------------------


def test_qwen_editing_models_take_one_to_three_references_and_up_to_six_images() -> None:
    assert problems("qwen-image-edit-plus", images=(image(),) * 3, n=6, size="1024*1024", negative_prompt="text") == []
    assert problems("qwen-image-edit-max", images=(image(),) * 4) == ["input.messages[0].content: has 4 images; qwen-image-edit-max takes 1–3"]
    assert problems("qwen-image-edit-max") == ["input.messages[0].content: has 0 images; qwen-image-edit-max takes 1–3"]
    assert problems("qwen-image-edit-plus", images=(image(),), n=7) == ["parameters.n: 7 is outside 1–6"]


def test_qwen_image_2_does_text_to_image_too() -> None:
    assert problems("qwen-image-2.0-pro", size="2048*1024") == []
    assert problems("qwen-image-2.0", images=(image(),)) == []


def test_qwen_reference_images_may_be_gif_or_tiff() -> None:
    assert problems("qwen-image-edit-plus", images=(image((512, 512), "GIF"),)) == []
    assert problems("qwen-image-edit-plus", images=(image((512, 512), "TIFF"),)) == []


def test_qwen_size_is_512_to_2048_squared_pixels() -> None:
    [problem] = problems("qwen-image-2.0", size="500*500")
    assert "outside 512*512 to 2048*2048" in problem


def test_qwen_image_plus_and_max_take_the_five_fixed_sizes() -> None:
    for model in ("qwen-image-plus", "qwen-image-max"):
        for size in ("1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"):
            assert problems(model, size=size, n=1) == []
        [problem] = problems(model, size="1024*1024")
        assert problem == f"parameters.size: 1024*1024 is not one of {model}'s fixed sizes; use one of 1664*928, 1472*1104, 1328*1328, 1104*1472, 928*1664"


# --- z-image-turbo (004) ------------------------------------------------------------------------


def test_z_image_turbo_is_one_text_item_with_size_prompt_extend_and_seed_only() -> None:
    assert problems("z-image-turbo", size="1280*720", prompt_extend=True, seed=7) == []
    for name, value in (("n", 1), ("watermark", False), ("negative_prompt", "x")):
        [problem] = problems("z-image-turbo", **{name: value})
        assert problem.startswith(f"parameters.{name}: is not a parameter of z-image-turbo (its parameters: size, prompt_extend, seed)")
    assert problems("z-image-turbo", images=(image(),)) == ["input.messages[0].content: has 1 image; z-image-turbo takes 0–0"]
    assert MODELS["z-image-turbo"].sync_only


def test_every_model_bills_per_image_with_the_documented_prices_only() -> None:
    priced = {name: caps.unit_prices for name, caps in MODELS.items() if caps.unit_prices}
    assert {name: {r: str(p) for r, p in prices.items()} for name, prices in priced.items()} == {
        "wan2.7-image-pro": {"singapore": "0.075"},
        "wan2.7-image": {"singapore": "0.03"},
        "wanx2.1-imageedit": {"beijing": "0.020070"},
    }
    assert MODELS["z-image-turbo"].max_images_billed(n=None, sequential=False) == 1
    assert MODELS["wan2.6-image"].max_images_billed(n=None, sequential=False, interleave=True, max_images=None) == 5


def test_every_option_of_a_request_is_stored_with_its_job() -> None:
    from dataclasses import fields

    content = {"model", "prompt", "images", "boxes", "color_palette", "mask"}
    assert set(OPTIONS) == {f.name for f in fields(GenerationRequest)} - content
