"""Input images: data URLs, content sniffing and the documented image limits (reference 002)."""

from __future__ import annotations

import base64
import io
import struct
import warnings
import zlib

import pytest
from PIL import Image

from studio.wan.capabilities import get_model
from studio.wan.images import (
    ImageDecodeError,
    ImageInfo,
    format_aspect,
    image_problems,
    inspect_image,
    parse_data_url,
    to_data_url,
)

LIMITS = get_model("wan2.7-image-pro").images
MB = 1024 * 1024


def make_image(fmt: str = "PNG", size: tuple[int, int] = (256, 256), mode: str = "RGB", **save: object) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "teal").save(buffer, fmt, **save)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size in its header and has no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def info(**overrides: object) -> ImageInfo:
    fields: dict[str, object] = dict(
        format="PNG", mime="image/png", width=1024, height=768, byte_size=1000, has_alpha=False
    )
    fields.update(overrides)
    return ImageInfo(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("BMP", "image/bmp"), ("WEBP", "image/webp")],
)
def test_supported_formats_are_recognised_from_their_content(fmt: str, mime: str) -> None:
    data = make_image(fmt, (300, 260))
    found = inspect_image(data)
    assert (found.format, found.mime, found.width, found.height) == (fmt, mime, 300, 260)
    assert found.byte_size == len(data)
    assert image_problems(found, LIMITS, declared_mime=mime) == []


def test_jpeg_with_a_multi_picture_index_counts_as_jpeg() -> None:
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (256, 256), "red"), Image.new("RGB", (256, 256), "blue")
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    found = inspect_image(buffer.getvalue())
    assert (found.format, found.mime) == ("JPEG", "image/jpeg")


def test_gif_is_refused_naming_the_supported_formats() -> None:
    problems = image_problems(inspect_image(make_image("GIF")), LIMITS)
    assert problems == ["format GIF is not supported (BMP, JPEG, PNG, WEBP)"]


def test_declared_mime_type_must_match_the_content() -> None:
    found = inspect_image(make_image("JPEG"))
    assert image_problems(found, LIMITS, declared_mime="image/png") == [
        "declared MIME type image/png does not match the content (JPEG)"
    ]


def test_declared_mime_type_is_compared_without_regard_to_case() -> None:
    assert image_problems(inspect_image(make_image("JPEG")), LIMITS, declared_mime="image/JPEG") == []


def test_side_below_240_px_is_refused() -> None:
    found = inspect_image(make_image("PNG", (239, 300)))
    assert image_problems(found, LIMITS) == ["width 239 px is below the minimum of 240 px"]


def test_side_of_exactly_240_px_is_accepted() -> None:
    assert image_problems(inspect_image(make_image("PNG", (240, 240))), LIMITS) == []


def test_side_above_8000_px_is_refused() -> None:
    assert image_problems(info(width=4000, height=8001), LIMITS) == ["height 8001 px is above the maximum of 8000 px"]


def test_side_of_exactly_8000_px_is_accepted() -> None:
    assert image_problems(info(width=8000, height=8000), LIMITS) == []


def test_aspect_ratio_beyond_1_to_8_is_refused() -> None:
    found = inspect_image(make_image("PNG", (240, 2280)))
    assert image_problems(found, LIMITS) == ["aspect ratio 1:9.5 is outside 1:8 to 8:1"]


def test_aspect_ratio_of_exactly_8_to_1_is_accepted() -> None:
    assert image_problems(inspect_image(make_image("PNG", (1920, 240))), LIMITS) == []


def test_aspect_ratio_just_over_the_limit_does_not_read_as_the_limit() -> None:
    assert format_aspect(8001, 1000) == "8.001:1"


def test_file_over_20_mb_is_refused() -> None:
    assert image_problems(info(byte_size=int(21.3 * MB)), LIMITS) == ["file is 21.3 MB, more than the 20 MB limit"]


def test_file_one_byte_over_20_mb_names_the_byte_count() -> None:
    assert image_problems(info(byte_size=20 * MB + 1), LIMITS) == [
        "file is 20,971,521 bytes, more than the 20 MB limit"
    ]


def test_file_of_exactly_20_mb_is_accepted() -> None:
    assert image_problems(info(byte_size=20 * MB), LIMITS) == []


def test_png_with_an_alpha_channel_is_refused() -> None:
    found = inspect_image(make_image("PNG", mode="RGBA"))
    assert found.has_alpha
    assert image_problems(found, LIMITS) == ["PNG has an alpha channel, which the API does not take"]


def test_palette_png_with_a_transparent_colour_counts_as_alpha() -> None:
    assert inspect_image(make_image("PNG", mode="P", transparency=0)).has_alpha


def test_png_without_alpha_is_accepted() -> None:
    found = inspect_image(make_image("PNG", mode="RGB"))
    assert not found.has_alpha


def test_every_broken_limit_is_reported_together() -> None:
    problems = image_problems(info(format="GIF", mime="image/gif", width=100, height=2000, has_alpha=True), LIMITS)
    assert len(problems) == 4


def test_bytes_that_are_not_an_image_are_a_decode_error() -> None:
    with pytest.raises(ImageDecodeError, match="not an image"):
        inspect_image(b"hello, world" * 20)


def test_empty_bytes_are_a_decode_error() -> None:
    with pytest.raises(ImageDecodeError, match="empty"):
        inspect_image(b"")


def test_truncated_jpeg_is_a_decode_error() -> None:
    data = make_image("JPEG", (400, 400))
    with pytest.raises(ImageDecodeError, match="could not be decoded"):
        inspect_image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ImageDecodeError, match="pixels"):
        inspect_image(png_header_only(20000, 20000))


def test_image_just_above_the_pixel_bound_is_refused() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(ImageDecodeError, match="pixels"):
            inspect_image(png_header_only(8001, 8000))


def test_data_url_round_trips() -> None:
    data = make_image("PNG")
    assert parse_data_url(to_data_url(data, "image/png")) == ("image/png", data)


@pytest.mark.parametrize(
    "url",
    [
        "image/png;base64,AAAA",
        "data:image/png,AAAA",
        "data:;base64,AAAA",
        "data:image/png;base64,",
        "data:image/png;base64,AA*A",
        "data:image/png;base64,AAA",
    ],
)
def test_malformed_data_url_is_a_decode_error(url: str) -> None:
    with pytest.raises(ImageDecodeError):
        parse_data_url(url)


def test_data_url_payload_must_be_strict_base64() -> None:
    payload = base64.b64encode(make_image("PNG")).decode()
    with pytest.raises(ImageDecodeError, match="base64"):
        parse_data_url(f"data:image/png;base64,{payload[:10]}\n{payload[10:]}")
