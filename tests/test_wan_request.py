"""The typed request and the exact JSON body the reference documents (002, "Request body")."""

from __future__ import annotations

import copy
import io

import pytest
from PIL import Image

from studio.wan.images import parse_data_url
from studio.wan.request import (
    GenerationRequest,
    ImageInput,
    PaletteColor,
    build_body,
    format_ratio,
    parse_body,
    parse_ratio,
)
from studio.wan.validator import validate_body

# Reference: 002, color_palette, "Click to view an input example".
DOCUMENTED_PALETTE = [
    {"hex": "#C2D1E6", "ratio": "23.51%"},
    {"hex": "#CDD8E9", "ratio": "20.13%"},
    {"hex": "#B5C8DB", "ratio": "15.88%"},
    {"hex": "#C0B5B4", "ratio": "13.27%"},
    {"hex": "#DAE0EC", "ratio": "10.11%"},
    {"hex": "#636574", "ratio": "8.93%"},
    {"hex": "#CACAD2", "ratio": "5.55%"},
    {"hex": "#CBD4E4", "ratio": "2.62%"},
]
# Reference: 002, bbox_list example — image 1 two boxes, image 2 none, image 3 one box.
DOCUMENTED_BOXES = [[[0, 0, 12, 12], [25, 25, 100, 100]], [], [[10, 10, 50, 50]]]


def make_image(fmt: str = "PNG", size: tuple[int, int] = (256, 256)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, fmt)
    return buffer.getvalue()


def palette_from_reference() -> tuple[PaletteColor, ...]:
    return tuple(PaletteColor(c["hex"], parse_ratio(c["ratio"]) or 0) for c in DOCUMENTED_PALETTE)


def test_text_to_image_body_matches_the_documented_example() -> None:
    prompt = "A flower shop with exquisite windows, a beautiful wooden door, and flowers on display"
    req = GenerationRequest(
        model="wan2.7-image-pro", prompt=prompt, size="2K", n=1, watermark=False, thinking_mode=True
    )
    assert build_body(req) == {
        "model": "wan2.7-image-pro",
        "input": {"messages": [{"role": "user", "content": [{"text": prompt}]}]},
        "parameters": {"size": "2K", "n": 1, "watermark": False, "thinking_mode": True},
    }


def test_image_set_body_matches_the_documented_example() -> None:
    req = GenerationRequest(model="wan2.7-image-pro", prompt="cats", enable_sequential=True, n=4, size="2K")
    assert build_body(req)["parameters"] == {"enable_sequential": True, "n": 4, "size": "2K"}


def test_unset_parameters_are_left_out_but_the_object_is_present() -> None:
    body = build_body(GenerationRequest(model="wan2.7-image", prompt="a cat"))
    assert body["parameters"] == {}


def test_images_come_first_in_order_and_the_prompt_last() -> None:
    first = make_image("PNG")
    req = GenerationRequest(
        model="wan2.7-image-pro",
        prompt="blend",
        images=(ImageInput.from_bytes(first), ImageInput(url="https://example.com/b.webp")),
    )
    content = build_body(req)["input"]["messages"][0]["content"]
    assert parse_data_url(content[0]["image"]) == ("image/png", first)
    assert content[1:] == [{"image": "https://example.com/b.webp"}, {"text": "blend"}]


def test_documented_bbox_example_is_built_validated_and_round_tripped_exactly() -> None:
    images = tuple(ImageInput.from_bytes(make_image("PNG", (300, 300))) for _ in range(3))
    boxes = tuple(tuple(tuple(box) for box in entry) for entry in DOCUMENTED_BOXES)
    req = GenerationRequest(
        model="wan2.7-image-pro", prompt="edit", images=images, boxes=boxes  # type: ignore[arg-type]
    )
    body = build_body(req)
    assert body["parameters"]["bbox_list"] == DOCUMENTED_BOXES
    assert validate_body(body).problems == []
    assert parse_body(copy.deepcopy(body)) == req
    assert build_body(parse_body(body)) == body


def test_bbox_list_is_left_out_when_no_image_has_boxes() -> None:
    images = (ImageInput(url="https://example.com/a.png"),)
    req = GenerationRequest(model="wan2.7-image-pro", prompt="edit", images=images, boxes=((),))
    assert "bbox_list" not in build_body(req)["parameters"]


def test_images_without_boxes_get_an_empty_list_in_bbox_list() -> None:
    images = tuple(ImageInput(url=f"https://example.com/{i}.png") for i in range(3))
    req = GenerationRequest(model="wan2.7-image-pro", prompt="edit", images=images, boxes=(((1, 2, 3, 4),),))
    assert build_body(req)["parameters"]["bbox_list"] == [[[1, 2, 3, 4]], [], []]


def test_documented_palette_example_is_built_validated_and_round_tripped_exactly() -> None:
    req = GenerationRequest(model="wan2.7-image-pro", prompt="a calm harbour", color_palette=palette_from_reference())
    body = build_body(req)
    assert body["parameters"]["color_palette"] == DOCUMENTED_PALETTE
    assert validate_body(body).problems == []
    assert parse_body(body) == req


def test_documented_interactive_editing_body_round_trips_exactly() -> None:
    body = {
        "model": "wan2.7-image-pro",
        "input": {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"image": "https://img.alicdn.com/imgextra/i3/clock-1104-1472.webp"},
                        {"image": "https://img.alicdn.com/imgextra/i3/room-1696-960.webp"},
                        {"text": "Place the alarm clock from image 1 in the selected area of image 2"},
                    ],
                }
            ]
        },
        "parameters": {
            "bbox_list": [[], [[989, 515, 1138, 681]]],
            "size": "2K",
            "n": 1,
            "watermark": False,
            "thinking_mode": True,
        },
    }
    req = parse_body(body)
    assert req.images[1].url == "https://img.alicdn.com/imgextra/i3/room-1696-960.webp"
    assert req.boxes == ((), ((989, 515, 1138, 681),))
    assert build_body(req) == body


def test_parse_body_decodes_data_urls_to_bytes_with_their_size() -> None:
    data = make_image("JPEG", (320, 240))
    body = build_body(GenerationRequest(model="wan2.7-image", prompt="x", images=(ImageInput.from_bytes(data),)))
    image = parse_body(body).images[0]
    assert (image.data, image.mime, image.width, image.height) == (data, "image/jpeg", 320, 240)


def test_parse_body_refuses_a_body_without_a_prompt() -> None:
    with pytest.raises(ValueError):
        parse_body({"model": "wan2.7-image", "input": {"messages": [{"role": "user", "content": []}]}})


def test_image_input_from_bytes_learns_type_and_size_from_the_content() -> None:
    image = ImageInput.from_bytes(make_image("WEBP", (400, 250)))
    assert (image.mime, image.width, image.height) == ("image/webp", 400, 250)
    assert image.as_api_value().startswith("data:image/webp;base64,")


def test_image_input_never_takes_a_file_path() -> None:
    with pytest.raises(ValueError, match="http"):
        ImageInput(url="file:///home/alice/cat.png")


def test_image_input_needs_bytes_or_a_url() -> None:
    with pytest.raises(ValueError):
        ImageInput()


def test_undecodable_bytes_still_build_a_body_for_the_validator_to_refuse() -> None:
    body = build_body(GenerationRequest(model="wan2.7-image", prompt="x", images=(ImageInput(data=b"junk"),)))
    assert body["input"]["messages"][0]["content"][0]["image"].startswith("data:application/octet-stream;base64,")
    assert not validate_body(body).ok


@pytest.mark.parametrize(
    ("hundredths", "text"), [(2500, "25.00%"), (893, "8.93%"), (10000, "100.00%"), (1, "0.01%"), (0, "0.00%")]
)
def test_ratio_is_formatted_exactly_from_integer_hundredths(hundredths: int, text: str) -> None:
    assert format_ratio(hundredths) == text
    assert PaletteColor("#000000", hundredths).ratio == text
    assert parse_ratio(text) == hundredths


@pytest.mark.parametrize(
    "text", ["25%", "25.0%", "25.000%", "25.00", " 25.00%", "25.00%\n", "-1.00%", "٢٥.00%", "25,00%", "1000.00%"]
)
def test_ratio_not_in_the_documented_form_is_not_parsed(text: str) -> None:
    assert parse_ratio(text) is None


def test_negative_ratio_cannot_be_formatted() -> None:
    with pytest.raises(ValueError):
        format_ratio(-1)
