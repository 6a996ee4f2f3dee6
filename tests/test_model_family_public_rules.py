"""Rules of the capability table that the public Model Studio references decide, where the seeds
are silent or say otherwise (issue 15). Each test names its rule and its source.

Sources:
  QWEN_T2I   https://www.alibabacloud.com/help/en/model-studio/qwen-image-api
  QWEN_ASYNC https://docs.qwencloud.com/api-reference/image-generation/qwen-text-to-image-async
  QWEN_EDIT  https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api
  QWEN_20    https://www.alibabacloud.com/help/en/model-studio/qwen-image-generation-and-editing-api-reference
  WAN_T2I_V2 https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
  WANX21     https://www.alibabacloud.com/help/en/model-studio/wanx-image-edit
"""

from __future__ import annotations

import pytest

from studio.accounting import prices
from studio.pipeline.jobs import ReferenceImage, RequestRefused, job_create
from studio.pipeline.models import Job
from studio.wan.capabilities import MODELS, BodyShape, output_size
from studio.wan.request import GenerationRequest, ImageInput, build_body
from studio.wan.validator import validate_body, validate_request
from tests.pipeline_helpers import make_job, png_reference
from tests.wan_bodies import image_bytes

MULTIMODAL_SYNC = "/services/aigc/multimodal-generation/generation"
TEXT2IMAGE = "/services/aigc/text2image/image-synthesis"


def image(size: tuple[int, int] = (512, 512), fmt: str = "PNG", mode: str = "RGB") -> ImageInput:
    return ImageInput.from_bytes(image_bytes(fmt, size, mode))


def check(model: str, prompt: str = "A red kite over the dunes", **fields):
    return validate_request(GenerationRequest(model=model, prompt=prompt, **fields))


def problems(model: str, prompt: str = "A red kite over the dunes", **fields) -> list[str]:
    return [str(p) for p in check(model, prompt, **fields).problems]


# --- qwen-image-plus / qwen-image-max (QWEN_T2I, QWEN_ASYNC; seed 004 says async-only) ----------


def test_qwen_image_max_has_no_asynchronous_call_and_is_sent_synchronously_with_messages() -> None:
    # QWEN_ASYNC: the async endpoint "is supported only by qwen-image-plus and qwen-image".
    caps = MODELS["qwen-image-max"]
    assert (caps.sync_path, caps.async_path, caps.body_shape) == (MULTIMODAL_SYNC, None, BodyShape.MESSAGES)
    body = build_body(GenerationRequest(model="qwen-image-max", prompt="A poster", size="1664*928", n=1, seed=3))
    assert body == {
        "model": "qwen-image-max",
        "input": {"messages": [{"role": "user", "content": [{"text": "A poster"}]}]},
        "parameters": {"size": "1664*928", "n": 1, "seed": 3},
    }
    assert validate_body(body).ok


def test_qwen_image_plus_keeps_its_documented_asynchronous_call() -> None:
    # QWEN_T2I documents both calls for qwen-image-plus; the studio keeps the task (see the
    # capability table: a task is found again after a crash, a lost synchronous answer is not).
    caps = MODELS["qwen-image-plus"]
    assert (caps.sync_path, caps.async_path, caps.body_shape) == (None, TEXT2IMAGE, BodyShape.PROMPT)
    body = build_body(GenerationRequest(model="qwen-image-plus", prompt="A poster", n=1))
    assert body == {"model": "qwen-image-plus", "input": {"prompt": "A poster"}, "parameters": {"n": 1}}


@pytest.mark.parametrize("model", ["qwen-image-max", "qwen-image-plus"])
def test_qwen_image_max_and_plus_make_exactly_one_image(model: str) -> None:
    # QWEN_T2I: n "is fixed at 1; setting another value causes an error" (the seeds said 1–4).
    assert problems(model, n=1) == []
    assert problems(model, n=2) == ["parameters.n: 2 is outside 1–1"]
    assert MODELS[model].max_images_billed(n=None, sequential=False) == 1


@pytest.mark.parametrize("model", ["qwen-image-max", "qwen-image-plus"])
def test_qwen_image_max_and_plus_default_to_1664_by_928(model: str) -> None:
    # QWEN_T2I: default size 1664*928 (the seeds said 1328*1328).
    caps = MODELS[model]
    assert caps.size.default == "1664*928"
    assert output_size(caps, size=None, last_image=None) == (1664, 928)


# --- wanx2.1-imageedit (WANX21; seed 001 gives no image limits) --------------------------------


def edit(base: ImageInput, mask: ImageInput | None = None, function: str = "colorization") -> list[str]:
    if mask is not None:
        function = "description_edit_with_mask"
    return problems("wanx2.1-imageedit", prompt="Edit it", images=(base,), mask=mask, function=function)


def test_wanx21_base_image_and_mask_are_512_to_4096_px_a_side() -> None:
    assert edit(image((512, 4096))) == []
    assert edit(image((511, 600))) == ["input.base_image_url: width 511 px is below the minimum of 512 px"]
    assert edit(image((4097, 600))) == ["input.base_image_url: width 4097 px is above the maximum of 4096 px"]
    assert edit(image((600, 511)), mask=image((600, 511), mode="L")) == [
        "input.base_image_url: height 511 px is below the minimum of 512 px",
        "input.mask_image_url: height 511 px is below the minimum of 512 px",
    ]


def test_wanx21_takes_tiff_for_the_base_image_and_the_mask() -> None:
    assert edit(image((600, 600), "TIFF")) == []
    assert edit(image((600, 600), "TIFF"), mask=image((600, 600), "TIFF", "L")) == []


def test_wanx21_images_are_at_most_10_mb() -> None:
    assert MODELS["wanx2.1-imageedit"].images.max_bytes == 10 * 1024 * 1024
    body = build_body(GenerationRequest(model="wanx2.1-imageedit", prompt="", images=(image((600, 600)),), function="colorization"))
    body["input"]["base_image_url"] = "data:image/png;base64," + "A" * (14 * 1024 * 1024)
    [problem] = [str(p) for p in validate_body(body).problems]
    assert problem == "input.base_image_url: file is 10.5 MB, more than the 10 MB limit"


def test_wanx21_sends_image_1_only_so_a_request_with_more_is_refused() -> None:
    # 001: the body carries one base_image_url; more images would be recorded but never sent.
    assert problems("wanx2.1-imageedit", images=(image(), image(), image()), function="colorization") == [
        "input: has 3 images; wanx2.1-imageedit takes 1–1 (it edits image 1; remove the other 2 images)"
    ]


# --- wan2.2-t2i-flash (WAN_T2I_V2; seed 004 names the model only) -----------------------------


def test_wan22_flash_takes_each_side_512_to_1440_not_a_pixel_total() -> None:
    for size in ("512*512", "1440*1440", "512*1440", "1440*512"):
        assert problems("wan2.2-t2i-flash", size=size) == []
    # 1600*1000 has fewer pixels than 1440*1440 but a side over 1440.
    assert problems("wan2.2-t2i-flash", size="1600*1000") == [
        "parameters.size: 1600*1000 has width 1600 px; each side must be 512–1440 px on wan2.2-t2i-flash"
    ]
    assert problems("wan2.2-t2i-flash", size="500*2000") == [
        "parameters.size: 500*2000 has width 500 px and height 2000 px; each side must be 512–1440 px on wan2.2-t2i-flash"
    ]


@pytest.mark.django_db
def test_wan22_flash_makes_four_images_when_n_is_left_out_and_the_estimate_and_reservation_count_them(alice) -> None:
    # WAN_T2I_V2: n 1–4, default 4 (the table said 1).
    caps = MODELS["wan2.2-t2i-flash"]
    assert (caps.n_default, caps.max_images_billed(n=None, sequential=False)) == (4, 4)
    assert prices.estimate(model="wan2.2-t2i-flash", region="singapore", n=None, sequential=False).images == 4
    job = make_job(alice, model="wan2.2-t2i-flash", size="1024*1024", n=None)
    assert "n" not in job.parameters and job.max_images_billed() == 4


# --- qwen-image-edit-max / -plus / qwen-image-edit (QWEN_EDIT) ---------------------------------


@pytest.mark.parametrize("model", ["qwen-image-edit-max", "qwen-image-edit-plus"])
def test_qwen_edit_max_and_plus_take_each_side_512_to_2048(model: str) -> None:
    assert problems(model, images=(image(),), size="2048*512") == []
    # 2400*600 is within 512*512 to 2048*2048 pixels in total, but a side is over 2048.
    assert problems(model, images=(image(),), size="2400*600") == [
        f"parameters.size: 2400*600 has width 2400 px; each side must be 512–2048 px on {model}"
    ]


def test_base_qwen_image_edit_takes_no_size_no_prompt_extend_and_no_n() -> None:
    caps = MODELS["qwen-image-edit"]
    assert (caps.size, caps.supports_prompt_extend, caps.n) == (None, False, None)
    assert caps.max_images_billed(n=None, sequential=False) == 1
    for name, value in (("size", "1024*1024"), ("prompt_extend", True), ("n", 1)):
        [problem] = problems("qwen-image-edit", images=(image(),), **{name: value})
        assert problem.startswith(f"parameters.{name}: is not a parameter of qwen-image-edit")
    # Without a size the image keeps the last reference's shape, at about 1024*1024 pixels.
    assert output_size(caps, size=None, last_image=(2000, 1000)) == (1456, 720)


# --- over-strict rules made advice (QWEN_EDIT, QWEN_20) ----------------------------------------


@pytest.mark.parametrize("model", ["qwen-image-edit-plus", "qwen-image-2.0"])
def test_qwen_reference_sides_outside_384_to_3072_are_sent_with_a_note(model: str) -> None:
    # QWEN_EDIT: 384–3072 px is recommended "for best results", not a limit.
    report = check(model, images=(image((3200, 600)),))
    assert report.ok
    assert report.notes == [
        "note: input.messages[0].content[0].image: 3200×600 px is outside the 384–3072 px per side "
        "recommended for best results (sent anyway: smaller may blur, larger is slower)"
    ]
    assert check(model, images=(image((384, 3072)),)).notes == []


def test_qwen_image_2_prompt_is_refused_only_when_surely_over_1300_tokens() -> None:
    # QWEN_20: qwen-image-2.0 reads 1,300 tokens and cuts the rest; the others 800 characters.
    assert check("qwen-image-2.0", prompt="p" * 1300).notes == []
    long = check("qwen-image-2.0", prompt="p" * 3000)
    assert long.ok and long.notes == [
        "note: input.messages[0].content[0].text: prompt is 3,000 characters; qwen-image-2.0 reads up to 1,300 tokens "
        "(about one per Chinese character, one per few English letters) and cuts the rest"
    ]
    assert problems("qwen-image-2.0", prompt="p" * 5201) == [
        "input.messages[0].content[0].text: prompt is 5,201 characters, more than the 5,200 allowed "
        "(surely over the 1,300 tokens qwen-image-2.0 reads)"
    ]
    assert problems("qwen-image-2.0-pro", prompt="p" * 801) == [
        "input.messages[0].content[0].text: prompt is 801 characters, more than the 800 allowed"
    ]


# --- a job records exactly what it sends ------------------------------------------------------


@pytest.mark.django_db
def test_a_job_cannot_record_references_its_body_does_not_send(alice) -> None:
    refs = [png_reference(600, 600, colour) for colour in ("#111111", "#222222", "#333333")]
    images = tuple(ImageInput(data=r.content, mime=r.mime, width=r.width, height=r.height) for r in refs)
    request = GenerationRequest(model="wanx2.1-imageedit", prompt="x", images=images, function="colorization")
    # The job gate refuses it with the validator's problem, as it answers every caller.
    with pytest.raises(RequestRefused) as refused:
        job_create(owner=alice, request=request, references=refs, team=alice.teams.first())
    assert [str(p) for p in refused.value.problems] == [
        "input: has 3 images; wanx2.1-imageedit takes 1–1 (it edits image 1; remove the other 2 images)"
    ]
    assert not Job.objects.exists()
    other = ReferenceImage(**{**refs[0].__dict__, "content": refs[1].content})
    with pytest.raises(ValueError):
        job_create(owner=alice, request=GenerationRequest(model="wan2.7-image", prompt="x", images=images[:1]),
                   references=[other], team=alice.teams.first())
