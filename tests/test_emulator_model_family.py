"""The emulator speaks every endpoint the family uses, and only the way each document allows."""

from __future__ import annotations

from typing import Any

from studio.wan.request import GenerationRequest, ImageInput, build_body
from tests.emulator_fixtures import ASYNC_HEADERS
from tests.wan_bodies import image_bytes

TEXT2IMAGE = "/services/aigc/text2image/image-synthesis"
IMAGE2IMAGE = "/services/aigc/image2image/image-synthesis"
MULTIMODAL_SYNC = "/services/aigc/multimodal-generation/generation"
MULTIMODAL_ASYNC = "/services/aigc/image-generation/generation"


def body_for(model: str, prompt: str = "A quiet harbour", **fields: Any) -> dict[str, Any]:
    return build_body(GenerationRequest(model=model, prompt=prompt, **fields))


def image() -> ImageInput:
    return ImageInput.from_bytes(image_bytes("PNG", (512, 512)))


def submit(emulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = emulator.http.post(path, json=body, headers=ASYNC_HEADERS)
    assert response.status_code == 200, response.text
    return emulator.finish(response.json()["output"]["task_id"])


def test_wan25_answers_results_with_the_rewritten_prompt_and_task_metrics(emulator) -> None:
    answer = submit(emulator, IMAGE2IMAGE, body_for("wan2.5-i2i-preview", images=(image(),), n=2, prompt_extend=True))

    output = answer["output"]
    assert output["task_status"] == "SUCCEEDED"
    assert [sorted(r) for r in output["results"]] == [["actual_prompt", "orig_prompt", "url"]] * 2
    assert output["results"][0]["orig_prompt"] == "A quiet harbour"
    assert output["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 2, "FAILED": 0}
    assert answer["usage"] == {"image_count": 2}
    assert len(emulator.download(output["results"][1]["url"])) > 0


def test_a_partial_failure_lists_the_failed_images_with_their_code(emulator) -> None:
    answer = submit(emulator, TEXT2IMAGE, body_for("wan2.2-t2i-flash", "Posters [fault:partial]", n=4, size="1024*1024"))

    results = answer["output"]["results"]
    assert [("url" in r, r.get("code")) for r in results] == [(True, None)] * 2 + [(False, "InternalError.Algo")] * 2
    assert answer["output"]["task_metrics"] == {"TOTAL": 4, "SUCCEEDED": 2, "FAILED": 2}
    assert answer["usage"] == {"image_count": 2}


def test_interleave_answers_text_and_images_in_turn(emulator) -> None:
    answer = submit(emulator, MULTIMODAL_ASYNC, body_for("wan2.6-image", "Latte art", enable_interleave=True, max_images=2, size="1024*1024"))

    content = answer["output"]["choices"][0]["message"]["content"]
    assert [item["type"] for item in content] == ["text", "image", "text", "image"]
    assert content[0]["text"] == "Step 1. Latte art"


def test_interleave_is_refused_on_the_sync_endpoint(emulator) -> None:
    response = emulator.generate(body_for("wan2.6-image", enable_interleave=True, max_images=2, size="1024*1024"))
    assert response.status_code == 400
    assert "enable_interleave needs an asynchronous call" in response.json()["message"]


def test_sync_only_models_refuse_async_and_async_only_models_refuse_sync(emulator) -> None:
    z_image = emulator.http.post(MULTIMODAL_ASYNC, json=body_for("z-image-turbo"), headers=ASYNC_HEADERS)
    assert z_image.status_code == 400 and "does not support asynchronous calls" in z_image.json()["message"]
    wan25 = emulator.http.post(IMAGE2IMAGE, json=body_for("wan2.5-i2i-preview", images=(image(),)))
    assert (wan25.status_code, wan25.json()["message"]) == (403, "current user api does not support synchronous calls")


def test_a_model_posted_to_another_models_endpoint_is_refused(emulator) -> None:
    response = emulator.http.post(TEXT2IMAGE, json=body_for("wan2.5-i2i-preview", images=(image(),)), headers=ASYNC_HEADERS)
    assert response.status_code == 400
    assert response.json()["message"] == f"Model wan2.5-i2i-preview is not served at {TEXT2IMAGE}; use {IMAGE2IMAGE}"


def test_z_image_turbo_answers_one_image_synchronously(emulator) -> None:
    response = emulator.generate(body_for("z-image-turbo", size="1280*720"))
    assert response.status_code == 200, response.text
    [item] = response.json()["output"]["choices"][0]["message"]["content"]
    assert response.json()["usage"]["size"] == "1280*720" and item["type"] == "image"


def test_mask_editing_draws_where_the_mask_is_white(emulator) -> None:
    import io

    from PIL import Image

    base = Image.new("RGB", (512, 512), "#2a6f97")
    mask = Image.new("L", (512, 512), 0)
    mask.paste(255, (300, 300, 480, 480))
    encoded = []
    for img in (base, mask):
        out = io.BytesIO()
        img.save(out, "PNG")
        encoded.append(ImageInput.from_bytes(out.getvalue()))
    answer = submit(emulator, IMAGE2IMAGE, body_for("wanx2.1-imageedit", "A rabbit", images=(encoded[0],), mask=encoded[1],
                                                   function="description_edit_with_mask", n=1))
    with Image.open(io.BytesIO(emulator.download(answer["output"]["results"][0]["url"]))) as out:
        out = out.convert("RGB")
        assert out.size == (512, 512)
        # Outside the mask the base shows through; inside, the emulator drew the edit.
        assert out.getpixel((60, 60)) != out.getpixel((390, 390))


# --- What the real service refuses, by the capability table (issue 15) ------------------------


def test_qwen_image_max_has_no_asynchronous_call(emulator) -> None:
    # Reference: https://docs.qwencloud.com/api-reference/image-generation/qwen-text-to-image-async
    # — the async endpoint takes only qwen-image-plus and qwen-image.
    for path in (TEXT2IMAGE, MULTIMODAL_ASYNC):
        response = emulator.http.post(path, json=body_for("qwen-image-max", size="1664*928"), headers=ASYNC_HEADERS)
        assert response.status_code == 400
        assert "Model qwen-image-max does not support asynchronous calls" in response.json()["message"]


def test_qwen_image_max_and_plus_answer_one_image_of_1664_by_928_with_qwens_usage(emulator) -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api — default
    # 1664*928; usage {"width", "height", "image_count"}.
    response = emulator.generate(body_for("qwen-image-max"))
    assert response.status_code == 200, response.text
    assert response.json()["usage"] == {"width": 1664, "height": 928, "image_count": 1}
    [item] = response.json()["output"]["choices"][0]["message"]["content"]
    assert item["type"] == "image"
    answer = submit(emulator, TEXT2IMAGE, body_for("qwen-image-plus"))
    assert answer["usage"] == {"width": 1664, "height": 928, "image_count": 1}
    assert len(answer["output"]["results"]) == 1


def test_qwen_image_plus_and_max_refuse_n_other_than_1(emulator) -> None:
    # Reference: qwen-image-api — n "is fixed at 1; setting another value causes an error".
    for path, model, headers in ((TEXT2IMAGE, "qwen-image-plus", ASYNC_HEADERS), (MULTIMODAL_SYNC, "qwen-image-max", {})):
        response = emulator.http.post(path, json=body_for(model, n=2), headers=headers)
        assert (response.status_code, response.json()["code"]) == (400, "InvalidParameter")
        assert "parameters.n: 2 is outside 1–1" in response.json()["message"]


def test_base_qwen_image_edit_refuses_a_size_and_shapes_its_image_like_the_last_reference(emulator) -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api
    wide = ImageInput.from_bytes(image_bytes("PNG", (2000, 1000)))
    refused = emulator.generate(body_for("qwen-image-edit", images=(wide,), size="1024*1024"))
    assert refused.status_code == 400 and "parameters.size: is not a parameter of qwen-image-edit" in refused.json()["message"]
    answer = emulator.generate(body_for("qwen-image-edit", images=(image(), wide)))
    assert answer.status_code == 200, answer.text
    assert answer.json()["usage"] == {"width": 1456, "height": 720, "image_count": 1}


def test_wan22_flash_refuses_a_side_over_1440_and_makes_four_images_without_n(emulator) -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
    refused = emulator.http.post(TEXT2IMAGE, json=body_for("wan2.2-t2i-flash", size="1600*1000"), headers=ASYNC_HEADERS)
    assert refused.status_code == 400 and "each side must be 512–1440 px" in refused.json()["message"]
    answer = submit(emulator, TEXT2IMAGE, body_for("wan2.2-t2i-flash", size="1440*512"))
    assert answer["usage"] == {"image_count": 4}


def test_wanx21_takes_a_tiff_base_image_of_512_px_and_refuses_a_smaller_one(emulator) -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/wanx-image-edit
    tiff = ImageInput.from_bytes(image_bytes("TIFF", (512, 640)))
    answer = submit(emulator, IMAGE2IMAGE, body_for("wanx2.1-imageedit", "Colour it", images=(tiff,), function="colorization"))
    assert answer["output"]["task_status"] == "SUCCEEDED"
    small = ImageInput.from_bytes(image_bytes("PNG", (511, 640)))
    response = emulator.http.post(IMAGE2IMAGE, json=body_for("wanx2.1-imageedit", images=(small,), function="colorization"),
                                  headers=ASYNC_HEADERS)
    assert response.status_code == 400 and "width 511 px is below the minimum of 512 px" in response.json()["message"]
