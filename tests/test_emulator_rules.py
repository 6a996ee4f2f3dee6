"""The emulator refuses what the reference forbids, checked over HTTP with the reference's numbers.

These cases are written from the API reference itself, not from the validator or the capability
table, so a wrong rule there shows up here as a wrong HTTP answer. Each refusal must be HTTP 400
with code InvalidParameter and a message naming the offending field.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Request body" (Image limits, bbox_list,
color_palette, size, n, seed, watermark, messages, role). The last section covers what only a
server can check: images given by http(s) URL are downloaded and held to the same limits.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from studio.wan.capabilities import parse_size
from tests.emulator_fixtures import Emulator, body
from tests.images import png_data_url

SMALL = png_data_url(300, 300)
WIDE = png_data_url(640, 480)


def palette(*ratios: str) -> list[dict[str, str]]:
    colours = ["#C2D1E6", "#CDD8E9", "#B5C8DB", "#C0B5B4", "#DAE0EC", "#636574"]
    colours += ["#CACAD2", "#CBD4E4", "#112233", "#445566", "#778899"]
    return [{"hex": colours[i], "ratio": ratio} for i, ratio in enumerate(ratios)]


def assert_refused(emulator: Emulator, request: dict[str, Any], field: str) -> None:
    response = emulator.generate(request)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == "InvalidParameter"
    assert field in answer["message"], answer["message"]
    assert answer["request_id"]


def assert_accepted(emulator: Emulator, request: dict[str, Any]) -> None:
    response = emulator.generate(request)
    assert response.status_code == 200, response.text


# --- images -------------------------------------------------------------------------------------


def test_ten_images_are_refused_and_nine_accepted(emulator: Emulator) -> None:
    assert_refused(emulator, body(images=[SMALL] * 10), "content")
    assert_accepted(emulator, body(images=[SMALL] * 9))


def test_image_side_below_240_is_refused(emulator: Emulator) -> None:
    assert_refused(emulator, body(images=[png_data_url(239, 300)]), "image")
    assert_accepted(emulator, body(images=[png_data_url(240, 300)]))


def test_image_aspect_of_1_to_9_is_refused(emulator: Emulator) -> None:
    assert_refused(emulator, body(images=[png_data_url(240, 2160)]), "image")
    assert_accepted(emulator, body(images=[png_data_url(240, 1920)]))


# --- bbox_list ----------------------------------------------------------------------------------


def test_third_box_on_one_image_is_refused(emulator: Emulator) -> None:
    boxes = [[10, 10, 50, 50], [60, 60, 100, 100], [110, 110, 150, 150]]
    assert_refused(emulator, body(images=[SMALL], bbox_list=[boxes]), "bbox_list")
    assert_accepted(emulator, body(images=[SMALL], bbox_list=[boxes[:2]]))


def test_bbox_list_must_have_one_entry_per_image(emulator: Emulator) -> None:
    assert_refused(emulator, body(images=[SMALL, WIDE], bbox_list=[[[10, 10, 50, 50]]]), "bbox_list")
    assert_accepted(emulator, body(images=[SMALL, WIDE], bbox_list=[[], [[10, 10, 50, 50]]]))


def test_box_outside_its_image_is_refused(emulator: Emulator) -> None:
    assert_refused(emulator, body(images=[SMALL], bbox_list=[[[100, 100, 301, 200]]]), "bbox_list")


# --- color_palette -----------------------------------------------------------------------------


def test_palette_summing_to_99_99_percent_is_refused_and_100_00_accepted(emulator: Emulator) -> None:
    assert_refused(emulator, body(color_palette=palette("50.00%", "30.00%", "19.99%")), "color_palette")
    assert_accepted(emulator, body(color_palette=palette("50.00%", "30.00%", "20.00%")))


def test_palette_of_2_or_11_colours_is_refused(emulator: Emulator) -> None:
    assert_refused(emulator, body(color_palette=palette("50.00%", "50.00%")), "color_palette")
    eleven = ["10.00%"] * 9 + ["5.00%", "5.00%"]
    assert_refused(emulator, body(color_palette=palette(*eleven)), "color_palette")
    assert_accepted(emulator, body(color_palette=palette(*(["10.00%"] * 10))))


def test_palette_with_sequential_mode_is_refused(emulator: Emulator) -> None:
    request = body(color_palette=palette("50.00%", "30.00%", "20.00%"), enable_sequential=True)
    assert_refused(emulator, request, "color_palette")


# --- n ----------------------------------------------------------------------------------------


def test_n_of_5_is_refused_without_sequential_mode(emulator: Emulator) -> None:
    assert_refused(emulator, body(n=5), "n")
    assert_accepted(emulator, body(n=4))


def test_n_of_12_is_accepted_and_13_refused_in_sequential_mode(emulator: Emulator) -> None:
    assert_accepted(emulator, body(n=12, enable_sequential=True))
    assert_refused(emulator, body(n=13, enable_sequential=True), "n")


# --- size ---------------------------------------------------------------------------------------


def test_4k_is_refused_for_wan27_image(emulator: Emulator) -> None:
    assert_refused(emulator, body(model="wan2.7-image", size="4K"), "size")


def test_4k_on_pro_is_refused_with_images_or_in_sequential_mode(emulator: Emulator) -> None:
    assert_refused(emulator, body(model="wan2.7-image-pro", size="4K", images=[SMALL]), "size")
    assert_refused(emulator, body(model="wan2.7-image-pro", size="4K", enable_sequential=True), "size")


def test_4k_on_pro_is_accepted_for_text_to_image(emulator: Emulator) -> None:
    response = emulator.generate(body(model="wan2.7-image-pro", size="4K"))

    assert response.status_code == 200
    assert response.json()["usage"]["size"] == "4096*4096"


@pytest.mark.parametrize("size", ["700*700", "2049*2049", "3000*300"])
def test_custom_size_outside_pixels_or_aspect_is_refused_for_edits(
    emulator: Emulator, size: str
) -> None:
    assert_refused(emulator, body(images=[SMALL], size=size), "size")


def test_custom_size_within_the_limits_is_accepted(emulator: Emulator) -> None:
    assert_accepted(emulator, body(images=[SMALL], size="1536*768"))
    assert_accepted(emulator, body(model="wan2.7-image-pro", size="4096*2048"))


def test_custom_size_above_2k_pixels_is_refused_on_wan27_image(emulator: Emulator) -> None:
    assert_refused(emulator, body(model="wan2.7-image", size="4096*2048"), "size")


# --- seed, watermark, messages --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [-1, 2147483648, "42"])
def test_seed_outside_its_range_is_refused(emulator: Emulator, seed: object) -> None:
    assert_refused(emulator, body(seed=seed), "seed")


def test_largest_seed_is_accepted(emulator: Emulator) -> None:
    assert_accepted(emulator, body(seed=2147483647))


@pytest.mark.parametrize("watermark", ["true", 1, None])
def test_non_boolean_watermark_is_refused(emulator: Emulator, watermark: object) -> None:
    assert_refused(emulator, body(watermark=watermark), "watermark")


def test_two_messages_are_refused(emulator: Emulator) -> None:
    request = body()
    message = request["input"]["messages"][0]
    request["input"]["messages"] = [message, message]

    assert_refused(emulator, request, "messages")


def test_role_other_than_user_is_refused(emulator: Emulator) -> None:
    request = body()
    request["input"]["messages"][0]["role"] = "assistant"

    assert_refused(emulator, request, "role")


def test_unknown_model_is_refused_by_name(emulator: Emulator) -> None:
    assert_refused(emulator, body(model="wan9-image"), "wan9-image")


def test_over_long_prompt_is_cut_not_refused(emulator: Emulator) -> None:
    # Reference: 002, text — "The length cannot exceed 5,000 characters ... Any excess is
    # automatically truncated."
    long_prompt = "a" * 4999 + "bc"

    assert_accepted(emulator, body(long_prompt))

    assert emulator.stats()["sync_by_prompt"] == {"a" * 4999 + "b": 1}


def test_async_submission_is_checked_too(emulator: Emulator) -> None:
    response = emulator.submit(body(n=5))

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert emulator.stats()["tasks_created"] == 0


# --- what only a server can check: images given by URL ---------------------------------------


def test_http_image_urls_are_downloaded_and_used(emulator: Emulator) -> None:
    source = emulator.image_urls(body(size="1280*720"))[0]

    answer = emulator.generate(body(images=[source], size="1K")).json()

    width, height = parse_size(answer["usage"]["size"])  # type: ignore[misc]
    assert abs(width / height - 1280 / 720) < 0.05


def test_unreachable_image_url_is_an_invalid_parameter(emulator: Emulator) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{free_port}/missing.png"

    response = emulator.generate(body(images=[url]))

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert response.json()["message"] == f"Download the media resource failed: {url}"


def test_image_url_that_never_answers_times_out(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(download_timeout_seconds=0.3)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/slow.png"

        response = emulator.generate(body(images=[url]))

    assert response.status_code == 400
    assert response.json()["message"] == f"Download the media resource timed out: {url}"


def test_box_outside_a_downloaded_image_is_refused(emulator: Emulator) -> None:
    source = emulator.image_urls(body(size="1024*768"))[0]

    response = emulator.generate(body(images=[source], bbox_list=[[[100, 100, 1100, 700]]]))

    assert response.status_code == 400
    assert "bbox_list[0][0]" in response.json()["message"]


def test_downloaded_file_that_is_not_an_image_is_refused(emulator: Emulator) -> None:
    stats_url = emulator.server.root_url + "/emulator/stats"

    response = emulator.generate(body(images=[stats_url]))

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert "content[0].image" in response.json()["message"]
