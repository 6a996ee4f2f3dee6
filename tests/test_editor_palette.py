"""Colour palettes: integer hundredths that always total 100.00%, percent and hex fields as people
type them, the documented palette limits (reference 002, color_palette), and extraction."""

from __future__ import annotations

import io
import random
from dataclasses import replace
from fractions import Fraction

import pytest
from PIL import Image

from studio.editor.palette import (
    even_split,
    extract_palette,
    format_percent,
    normalize,
    normalize_hex,
    palette_from_references,
    parse_percent,
    validate_palette,
)
from studio.wan.capabilities import MODELS, get_model
from studio.wan.images import ImageDecodeError

MODEL = "wan2.7-image"
GOOD = [("#C2D1E6", 5000), ("#CDD8E9", 3000), ("#B5C8DB", 2000)]


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def blocks(*stripes: tuple[tuple[int, int, int], int], height: int = 600) -> Image.Image:
    """Vertical stripes of the given colours and widths, left to right."""
    image = Image.new("RGB", (sum(width for _, width in stripes), height))
    left = 0
    for colour, width in stripes:
        image.paste(colour, (left, 0, left + width, height))
        left += width
    return image


def rgb(hex_value: str) -> tuple[int, int, int]:
    return int(hex_value[1:3], 16), int(hex_value[3:5], 16), int(hex_value[5:7], 16)


def near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 8) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


# Sharing 100.00%.


def test_even_split_of_three_gives_the_spare_hundredth_to_the_first() -> None:
    assert even_split(3) == [3334, 3333, 3333]


@pytest.mark.parametrize("count", range(1, 11))
def test_even_split_always_totals_exactly_100_percent(count: int) -> None:
    shares = even_split(count)
    assert sum(shares) == 10000
    assert max(shares) - min(shares) <= 1


def test_equal_weights_normalize_to_100_percent() -> None:
    assert sum(normalize([1, 1, 1])) == 10000


def test_normalize_gives_the_spare_hundredth_to_the_largest_remainder() -> None:
    # Exact shares 3333.33 and 6666.67: the second lost more in rounding down.
    assert normalize([1, 2]) == [3333, 6667]


def test_normalize_keeps_exact_proportions_exact() -> None:
    assert normalize([0.1, 0.2, 0.7]) == [1000, 2000, 7000]
    assert normalize([60, 30, 10]) == [6000, 3000, 1000]


@pytest.mark.parametrize(
    "weights",
    [[1, 1, 1], [7, 3, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0.3, 0.3, 0.4], [1e-9, 1, 1e9], [5, 0, 5]],
)
def test_every_normalized_share_is_within_one_hundredth_of_its_exact_value(weights: list[float]) -> None:
    shares = normalize(weights)
    assert sum(shares) == 10000
    whole = sum(Fraction(w) for w in weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - Fraction(weight) * 10000 / whole) < 1


def test_all_zero_weights_become_an_even_split() -> None:
    assert normalize([0, 0, 0]) == [3334, 3333, 3333]


@pytest.mark.parametrize("weights", [[], [1, -1, 2], [1, float("nan")], [1, float("inf")], ["1", 2]])
def test_normalize_refuses_what_cannot_be_shared(weights: list[object]) -> None:
    with pytest.raises(ValueError):
        normalize(weights)  # type: ignore[arg-type]


# What a person types.


@pytest.mark.parametrize(
    ("typed", "hundredths"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("25.50", 2550),
        (" 25.50 % ", 2550),
        ("25%", 2500),
        ("0", 0),
        ("100", 10000),
        ("100.00", 10000),
        (".5", 50),
        ("7.", 700),
    ],
)
def test_percent_field_reads_what_people_type(typed: str, hundredths: int) -> None:
    assert parse_percent(typed) == hundredths


@pytest.mark.parametrize(
    "typed",
    ["25.505", "-5", "+5", "abc", "", " ", "%", ".", "1e2", "25,5", "100.01", "250", "٢٥", "25 %%", "0x19"],
)
def test_percent_field_refuses_anything_else(typed: str) -> None:
    assert parse_percent(typed) is None


def test_percent_formats_with_exactly_two_decimals() -> None:
    assert [format_percent(h) for h in (2550, 5, 0, 10000)] == ["25.50", "0.05", "0.00", "100.00"]


def test_every_share_round_trips_through_the_percent_field() -> None:
    assert all(parse_percent(format_percent(h)) == h for h in range(10001))


@pytest.mark.parametrize(
    ("typed", "hex_value"),
    [
        ("#C2D1E6", "#C2D1E6"),
        ("#c2d1e6", "#C2D1E6"),
        ("c2d1e6", "#C2D1E6"),
        ("  #c2d1e6 ", "#C2D1E6"),
        ("#abc", "#AABBCC"),
        ("abc", "#AABBCC"),
    ],
)
def test_hex_field_accepts_six_digits_or_the_css_shorthand(typed: str, hex_value: str) -> None:
    assert normalize_hex(typed) == hex_value


@pytest.mark.parametrize("typed", ["#12", "#12345", "#C2D1E6FF", "##abc", "#GGHHII", "red", "", "#ａｂｃ"])
def test_hex_field_refuses_anything_else(typed: str) -> None:
    assert normalize_hex(typed) is None


# The documented limits.


def test_a_documented_palette_has_no_problems() -> None:
    assert validate_palette(GOOD, model=MODEL) == []


def test_two_colours_are_too_few() -> None:
    assert validate_palette([("#000000", 5000), ("#FFFFFF", 5000)], model=MODEL) == ["Palette: 2 colours; use 3–10."]


def test_eleven_colours_are_too_many() -> None:
    swatches = list(zip([f"#0000{i:02X}" for i in range(11)], even_split(11), strict=True))
    assert validate_palette(swatches, model=MODEL) == ["Palette: 11 colours; use 3–10."]


def test_malformed_hex_is_named_by_its_position() -> None:
    swatches = [GOOD[0], ("#12", 3000), GOOD[2]]
    assert validate_palette(swatches, model=MODEL) == ["Palette colour 2: “#12” is not a hex colour like #1A2B3C."]


def test_ratios_short_of_100_percent_are_refused() -> None:
    swatches = [("#C2D1E6", 5000), ("#CDD8E9", 3000), ("#B5C8DB", 1999)]
    assert validate_palette(swatches, model=MODEL) == [
        "Palette ratios add up to 99.99%; they must total exactly 100.00%."
    ]


def test_negative_ratio_is_named_and_the_total_is_not_guessed() -> None:
    swatches = [("#C2D1E6", 10001), ("#CDD8E9", -1), ("#B5C8DB", 0)]
    assert validate_palette(swatches, model=MODEL) == [
        "Palette colour 1: 10001 is not a share between 0.00% and 100.00%.",
        "Palette colour 2: -1 is not a share between 0.00% and 100.00%.",
    ]


def test_every_problem_is_reported_at_once() -> None:
    problems = validate_palette([("nope", 5000), ("#FFFFFF", 4000)], model=MODEL)
    assert problems == [
        "Palette: 2 colours; use 3–10.",
        "Palette colour 1: “nope” is not a hex colour like #1A2B3C.",
        "Palette ratios add up to 90.00%; they must total exactly 100.00%.",
    ]


def test_model_without_a_palette_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "no-palette", replace(get_model(MODEL), name="no-palette", palette=None))
    assert validate_palette(GOOD, model="no-palette") == ["Palette: no-palette does not take a colour palette."]


# Extraction.


def test_extraction_finds_the_colours_of_known_blocks_and_their_shares() -> None:
    red, green, blue = (220, 30, 40), (40, 180, 60), (30, 60, 200)
    image = blocks((red, 1200), (green, 600), (blue, 200))
    palette = extract_palette(encode(image), count=3)
    found = [rgb(hex_value) for hex_value, _ in palette]
    assert [near(colour, expected) for colour, expected in zip(found, (red, green, blue))] == [True] * 3
    assert [abs(share - expected) <= 100 for (_, share), expected in zip(palette, (6000, 3000, 1000))] == [True] * 3
    assert sum(share for _, share in palette) == 10000


def test_extraction_from_a_jpeg_photo_size_image_finds_the_same_blocks() -> None:
    image = blocks(((220, 30, 40), 2400), ((40, 180, 60), 1200), ((30, 60, 200), 400), height=3000)
    palette = extract_palette(encode(image, "JPEG", quality=90), count=3)
    assert [abs(share - expected) <= 100 for (_, share), expected in zip(palette, (6000, 3000, 1000))] == [True] * 3
    assert near(rgb(palette[0][0]), (220, 30, 40))


def test_extraction_separates_overlapping_colours_that_median_cut_alone_would_merge() -> None:
    # Five noisy colour clusters of 50/20/15/10/5%; median cut on its own blends blue and brown.
    rnd = random.Random(3)
    centres = [(200, 40, 40), (60, 160, 70), (50, 70, 190), (230, 220, 120), (90, 60, 40)]
    shares = [5000, 2000, 1500, 1000, 500]
    image = Image.new("RGB", (200, 200))
    image.putdata(
        [
            tuple(min(255, max(0, channel + round(rnd.gauss(0, 25)))) for channel in rnd.choices(centres, shares)[0])
            for _ in range(200 * 200)
        ]
    )
    palette = extract_palette(encode(image), count=5)
    found = [rgb(hex_value) for hex_value, _ in palette]
    assert [near(colour, centre, tolerance=20) for colour, centre in zip(found, centres)] == [True] * 5
    assert [abs(share - expected) <= 200 for (_, share), expected in zip(palette, shares)] == [True] * 5


def test_extracted_palette_is_sorted_by_share_with_uppercase_hex() -> None:
    palette = extract_palette(encode(blocks(((0, 0, 255), 300), ((255, 0, 0), 500), ((0, 255, 0), 200))), count=3)
    assert [share for _, share in palette] == sorted((share for _, share in palette), reverse=True)
    assert all(hex_value == hex_value.upper() and normalize_hex(hex_value) == hex_value for hex_value, _ in palette)


def gradient() -> Image.Image:
    across, down = Image.linear_gradient("L"), Image.linear_gradient("L").rotate(90)
    return Image.merge("RGB", [across, down, Image.radial_gradient("L")])


def test_extraction_is_deterministic() -> None:
    data = encode(gradient())
    assert extract_palette(data, count=8) == extract_palette(data, count=8)


@pytest.mark.parametrize(("asked", "given"), [(1, 3), (3, 3), (8, 8), (10, 10), (50, 10)])
def test_extraction_count_is_clamped_to_the_documented_range(asked: int, given: int) -> None:
    palette = extract_palette(encode(gradient()), count=asked)
    assert len(palette) == given
    assert sum(share for _, share in palette) == 10000
    assert validate_palette(palette, model=MODEL) == []


def test_image_with_fewer_colours_than_asked_gives_fewer_swatches() -> None:
    palette = extract_palette(encode(Image.new("RGB", (400, 400), (12, 34, 56))), count=5)
    assert palette == [("#0C2238", 10000)]


def test_transparent_areas_count_as_the_white_the_api_will_see() -> None:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 100, 400))
    palette = dict(extract_palette(encode(image), count=3))
    assert abs(palette["#FFFFFF"] - 7500) <= 100


def test_extraction_refuses_bytes_that_are_not_an_image() -> None:
    with pytest.raises(ImageDecodeError):
        extract_palette(b"not an image at all")


# Colours from several references.


def noise(rnd: random.Random, width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    image.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(width * height)])
    return image


def test_colours_from_three_references_are_five_summing_to_exactly_100_percent() -> None:
    rnd = random.Random(19)
    images = [encode(noise(rnd, w, h)) for w, h in ((320, 240), (200, 300), (640, 120))]
    palette = palette_from_references(images)
    assert len(palette) == 5
    assert sum(share for _, share in palette) == 10000
    assert validate_palette(palette, model=MODEL) == []


def test_each_reference_weighs_the_same_whatever_its_size() -> None:
    big_red = encode(Image.new("RGB", (1600, 1200), (220, 30, 40)))
    small_blue = encode(Image.new("RGB", (100, 80), (30, 60, 200)))
    palette = dict(palette_from_references([big_red, small_blue]))
    assert palette == {"#DC1E28": 5000, "#1E3CC8": 5000}


def test_colours_from_references_follow_what_each_picture_covers() -> None:
    left = encode(blocks(((220, 30, 40), 192), ((40, 180, 60), 64), height=256))
    right = encode(blocks(((40, 180, 60), 128), ((30, 60, 200), 128), height=256))
    # Red covers 3/4 of one picture, green 1/4 of it and 1/2 of the other, blue the other half.
    assert dict(palette_from_references([left, right])) == {"#DC1E28": 3750, "#28B43C": 3750, "#1E3CC8": 2500}


def test_colours_from_no_references_are_refused() -> None:
    with pytest.raises(ValueError):
        palette_from_references([])
