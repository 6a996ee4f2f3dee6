"""The "parameters" object (reference 002): names, switches, n, seed, size, bbox_list, color_palette
and thinking_mode, each rule with a refused and an accepted example."""

from __future__ import annotations

import copy

import pytest

from studio.wan.validator import validate_body
from tests.wan_bodies import PALETTE, URL, assert_valid, body, data_url, paths, problems


# --- parameters: names and booleans ------------------------------------------------------------


def test_parameters_may_be_left_out() -> None:
    b = body()
    del b["parameters"]
    assert_valid(b)


@pytest.mark.parametrize("params", [None, [], "2K"])
def test_parameters_that_are_not_an_object_are_refused(params: object) -> None:
    b = body()
    b["parameters"] = params
    assert paths(b) == ["parameters"]


def test_unknown_parameter_is_refused() -> None:
    assert problems(body(negative_prompt="blurry"))[0].startswith(
        "parameters.negative_prompt: is not a parameter of wan2.7-image-pro"
    )


@pytest.mark.parametrize("name", ["enable_sequential", "thinking_mode", "watermark"])
@pytest.mark.parametrize("value", ["true", 1, 0, None])
def test_switches_must_be_json_booleans(name: str, value: object) -> None:
    assert paths(body(**{name: value})) == [f"parameters.{name}"]


@pytest.mark.parametrize("name", ["enable_sequential", "thinking_mode", "watermark"])
@pytest.mark.parametrize("value", [True, False])
def test_switches_accept_true_and_false(name: str, value: bool) -> None:
    assert_valid(body(**{name: value}))


# --- n and seed --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 4])
def test_n_from_1_to_4_is_accepted(n: int) -> None:
    assert_valid(body(n=n))


@pytest.mark.parametrize("n", [0, 5, 12])
def test_n_outside_1_to_4_is_refused_without_sequential(n: int) -> None:
    assert paths(body(n=n)) == ["parameters.n"]


def test_n_of_12_is_accepted_for_an_image_set() -> None:
    assert_valid(body(n=12, enable_sequential=True))


def test_n_of_13_is_refused_for_an_image_set() -> None:
    assert problems(body(n=13, enable_sequential=True)) == [
        "parameters.n: 13 is outside 1–12 for an image set (enable_sequential on)"
    ]


@pytest.mark.parametrize("n", [True, 2.0, "2"])
def test_n_must_be_an_integer(n: object) -> None:
    assert paths(body(n=n)) == ["parameters.n"]


@pytest.mark.parametrize("seed", [0, 2147483647])
def test_seed_at_the_documented_bounds_is_accepted(seed: int) -> None:
    assert_valid(body(seed=seed))


@pytest.mark.parametrize("seed", [-1, 2147483648, "5", False, pytest.param(10**5000, id="huge")])
def test_seed_outside_the_range_or_not_an_integer_is_refused(seed: object) -> None:
    assert paths(body(seed=seed)) == ["parameters.seed"]


# --- size --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["1K", "2K", "4K", "1024*1024", "4096*4096", "768*768", "2896*362"])
def test_text_to_image_sizes_on_pro_are_accepted(size: str) -> None:
    assert_valid(body(size=size))


def test_4k_with_an_input_image_is_refused_saying_why() -> None:
    (problem,) = problems(body(images=(URL,), size="4K"))
    assert problem.startswith("parameters.size: 4K is only available for text-to-image on wan2.7-image-pro")
    assert "this request has 1 input image;" in problem


def test_4k_for_an_image_set_is_refused_saying_why() -> None:
    (problem,) = problems(body(size="4K", enable_sequential=True))
    assert "this request has enable_sequential on" in problem


def test_4k_on_wan27_image_is_refused_naming_the_pro_model() -> None:
    (problem,) = problems(body(model="wan2.7-image", size="4K"))
    assert "4K is not available on wan2.7-image, only on wan2.7-image-pro (text-to-image only)" in problem


def test_custom_size_above_2048_squared_is_refused_when_editing() -> None:
    assert problems(body(images=(URL,), size="4096*4096")) == [
        "parameters.size: 4096*4096 is 16,777,216 pixels, outside 768*768 to 2048*2048 "
        "for image editing and image sets on wan2.7-image-pro"
    ]


def test_custom_size_up_to_2048_squared_is_accepted_when_editing() -> None:
    assert_valid(body(images=(URL,), size="2048*2048"))


def test_custom_size_above_2048_squared_is_refused_on_wan27_image() -> None:
    assert paths(body(model="wan2.7-image", size="2049*2048")) == ["parameters.size"]


def test_custom_size_below_768_squared_is_refused() -> None:
    assert paths(body(size="767*768")) == ["parameters.size"]


def test_custom_size_wider_than_8_to_1_is_refused() -> None:
    assert problems(body(size="2900*360")) == ["parameters.size: aspect ratio 8.06:1 is outside 1:8 to 8:1"]


@pytest.mark.parametrize("size", ["2k", "3K", "1024x1024", "1024×1024", " 2K", "1024*", "*1024", "-1024*1024", ""])
def test_size_in_neither_documented_form_is_refused_listing_the_presets(size: str) -> None:
    (problem,) = problems(body(size=size))
    assert problem.startswith("parameters.size:") and "1K, 2K, 4K" in problem


def test_size_that_is_not_a_string_is_refused() -> None:
    assert paths(body(size=1024)) == ["parameters.size"]


# --- bbox_list ---------------------------------------------------------------------------------


def test_documented_bbox_example_on_three_images_is_accepted() -> None:
    b = body(images=(data_url(),) * 3, bbox_list=[[[0, 0, 12, 12], [25, 25, 100, 100]], [], [[10, 10, 50, 50]]])
    report = validate_body(b)
    assert report.problems == [] and report.notes == []


def test_bbox_list_without_input_images_is_refused() -> None:
    assert problems(body(bbox_list=[[[0, 0, 10, 10]]])) == [
        "parameters.bbox_list: bbox_list needs input images; this request has none"
    ]


def test_bbox_list_must_have_one_entry_per_image() -> None:
    assert problems(body(images=(URL, URL), bbox_list=[[]])) == [
        "parameters.bbox_list: has 1 entry for 2 input images; give one per image, [] for an image without boxes"
    ]


def test_third_box_on_an_image_is_refused() -> None:
    boxes = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]]
    assert problems(body(images=(data_url(),), bbox_list=[boxes])) == [
        "parameters.bbox_list[0]: has 3 boxes on image 1; at most 2 per image"
    ]


@pytest.mark.parametrize(
    "box", [[0, 0, 10], [0, 0, 10, 10, 10], [0, 0, 10.0, 10], [0, 0, True, 10], ["0", 0, 10, 10], "0,0,10,10"]
)
def test_box_must_be_four_integers(box: object) -> None:
    assert paths(body(images=(data_url(),), bbox_list=[[box]])) == ["parameters.bbox_list[0][0]"]


@pytest.mark.parametrize("box", [[10, 0, 10, 10], [0, 20, 10, 10], [-1, 0, 10, 10]])
def test_box_corners_must_be_ordered_and_not_negative(box: list[int]) -> None:
    assert paths(body(images=(data_url(),), bbox_list=[[box]])) == ["parameters.bbox_list[0][0]"]


def test_box_beyond_the_image_is_refused() -> None:
    assert problems(body(images=(URL, data_url(size=(300, 260))), bbox_list=[[], [[0, 0, 301, 100]]])) == [
        "parameters.bbox_list[1][0]: x2 (301) is beyond the image width of 300 px"
    ]


def test_box_touching_the_image_edges_is_accepted() -> None:
    assert_valid(body(images=(data_url(size=(300, 260)),), bbox_list=[[[0, 0, 300, 260]]]))


def test_box_on_an_http_image_is_not_bounds_checked_and_says_so() -> None:
    report = validate_body(body(images=(URL,), bbox_list=[[[0, 0, 99999, 99999]]]))
    assert report.ok
    assert report.notes[-1] == (
        "note: parameters.bbox_list[0]: bounds not checked: image 1 is an http(s) URL, its size is unknown"
    )


# --- color_palette -----------------------------------------------------------------------------


def test_documented_palette_is_accepted() -> None:
    assert_valid(body(color_palette=PALETTE))


@pytest.mark.parametrize("count", [3, 10])
def test_palette_of_3_to_10_colours_is_accepted(count: int) -> None:
    ratios = ["10.00%"] * (count - 1) + [f"{100 - 10 * (count - 1)}.00%"]
    assert_valid(body(color_palette=[{"hex": "#112233", "ratio": r} for r in ratios]))


@pytest.mark.parametrize("count", [2, 11])
def test_palette_of_fewer_than_3_or_more_than_10_colours_is_refused(count: int) -> None:
    ratios = ["5.00%"] * (count - 1) + [f"{100 - 5 * (count - 1)}.00%"]
    assert problems(body(color_palette=[{"hex": "#112233", "ratio": r} for r in ratios])) == [
        f"parameters.color_palette: has {count} colours; it must have 3–10 (8 recommended)"
    ]


def test_palette_ratios_summing_to_99_99_are_refused() -> None:
    palette = copy.deepcopy(PALETTE)
    palette[7]["ratio"] = "2.61%"
    assert problems(body(color_palette=palette)) == [
        "parameters.color_palette: ratios sum to 99.99%, must be 100.00%"
    ]


def test_palette_thirds_sum_exactly_without_floating_point() -> None:
    ratios = ["33.33%", "33.33%", "33.34%"]
    assert_valid(body(color_palette=[{"hex": "#ABCDEF", "ratio": r} for r in ratios]))


@pytest.mark.parametrize("ratio", ["25%", "25.0%", "25.000%", 25, "25.00"])
def test_palette_ratio_without_exactly_two_decimals_and_percent_is_refused(ratio: object) -> None:
    palette = copy.deepcopy(PALETTE)
    palette[3]["ratio"] = ratio  # type: ignore[assignment]
    assert paths(body(color_palette=palette)) == ["parameters.color_palette[3].ratio"]


@pytest.mark.parametrize("hex_value", ["C2D1E6", "#C2D1E", "#GGGGGG", "#C2D1E6FF", 0xC2D1E6])
def test_palette_hex_that_is_not_a_six_digit_colour_is_refused(hex_value: object) -> None:
    palette = copy.deepcopy(PALETTE)
    palette[0]["hex"] = hex_value  # type: ignore[assignment]
    assert paths(body(color_palette=palette)) == ["parameters.color_palette[0].hex"]


def test_palette_colour_missing_its_ratio_is_refused() -> None:
    palette = copy.deepcopy(PALETTE)
    del palette[2]["ratio"]
    assert paths(body(color_palette=palette)) == ["parameters.color_palette[2].ratio"]


def test_palette_with_an_image_set_is_refused() -> None:
    assert problems(body(color_palette=PALETTE, enable_sequential=True)) == [
        "parameters.color_palette: is only available when enable_sequential is false"
    ]


def test_palette_with_sequential_explicitly_off_is_accepted() -> None:
    assert_valid(body(color_palette=PALETTE, enable_sequential=False))


# --- thinking_mode -----------------------------------------------------------------------------


def test_thinking_mode_with_input_images_is_accepted_with_a_note() -> None:
    report = validate_body(body(images=(data_url(),), thinking_mode=True))
    assert report.ok
    assert report.notes == [
        "note: parameters.thinking_mode: has no effect with input images or enable_sequential; "
        "it only applies to text-to-image"
    ]


def test_thinking_mode_for_an_image_set_gets_a_note() -> None:
    assert len(validate_body(body(thinking_mode=False, enable_sequential=True)).notes) == 1


def test_thinking_mode_for_text_to_image_gets_no_note() -> None:
    report = validate_body(body(thinking_mode=True))
    assert report.ok and report.notes == []
