"""Reference uploads: refused with a message naming the file and the limit, or made ready for the
API — upright, without metadata or alpha, re-encoded within the byte limit (reference 002)."""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import replace

import pytest
from PIL import Image

from studio.editor.uploads import (
    NOTE_FLATTENED,
    NOTE_METADATA,
    NOTE_OPAQUE_ALPHA,
    NOTE_ROTATED,
    AcceptedReference,
    UploadRefused,
    accept_reference,
    check_count,
)
from studio.wan.capabilities import MODELS, get_model

MODEL = "wan2.7-image"
MB = 1024 * 1024
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def solid(size: tuple[int, int] = (300, 300), colour: object = "teal", mode: str = "RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def noise(size: tuple[int, int] = (600, 600)) -> Image.Image:
    """Pixels that no encoder can shrink much; the same on every run."""
    return Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))


def accept(name: str, data: bytes | io.IOBase, model: str = MODEL) -> AcceptedReference:
    return accept_reference(name, data, model=model)


def refusal(name: str, data: bytes | io.IOBase, model: str = MODEL) -> str:
    with pytest.raises(UploadRefused) as caught:
        accept_reference(name, data, model=model)
    return str(caught.value)


def reopen(accepted: AcceptedReference) -> Image.Image:
    image = Image.open(io.BytesIO(accepted.content))
    image.load()
    return image


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, with no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.fixture
def tight_model(monkeypatch: pytest.MonkeyPatch):
    """A model row like wan2.7-image whose byte limit is small enough to reach in a test."""

    def make(max_bytes: int) -> str:
        caps = get_model(MODEL)
        name = f"tight-{max_bytes}"
        monkeypatch.setitem(MODELS, name, replace(caps, name=name, images=replace(caps.images, max_bytes=max_bytes)))
        return name

    return make


# Refusals: each names the file and the limit.


def test_gif_is_refused_naming_the_accepted_formats() -> None:
    assert refusal("photo.gif", encode(solid(), "GIF")) == "photo.gif: GIF is not accepted (JPEG, PNG, BMP or WEBP)"


def test_tiff_is_refused_by_its_real_name() -> None:
    assert refusal("scan.tif", encode(solid(), "TIFF")) == "scan.tif: TIFF is not accepted (JPEG, PNG, BMP or WEBP)"


def test_text_file_is_not_an_image() -> None:
    assert refusal("notes.txt", b"Shopping list: milk, eggs") == "notes.txt: not an image (JPEG, PNG, BMP or WEBP)"


def test_empty_file_is_refused() -> None:
    assert refusal("empty.png", b"") == "empty.png: the file is empty"


def test_image_below_the_smallest_side_is_refused() -> None:
    assert (
        refusal("tiny.png", encode(solid((100, 100)), "PNG"))
        == "tiny.png: 100×100 px is too small (each side must be 240–8000 px)"
    )


def test_image_above_the_largest_side_is_refused() -> None:
    assert (
        refusal("wide.png", encode(solid((8001, 1200)), "PNG"))
        == "wide.png: 8001×1200 px is too large (each side must be 240–8000 px)"
    )


def test_image_too_small_one_way_and_too_large_the_other_is_outside_the_allowed_size() -> None:
    assert (
        refusal("strip.png", encode(solid((100, 8500)), "PNG"))
        == "strip.png: 100×8500 px is outside the allowed size (each side must be 240–8000 px)"
    )


def test_aspect_ratio_beyond_1_to_8_is_refused() -> None:
    assert refusal("long.png", encode(solid((250, 2500)), "PNG")) == "long.png: aspect ratio 1:10 is outside 1:8–8:1"


def test_aspect_ratio_of_exactly_8_to_1_is_accepted() -> None:
    assert accept("banner.png", encode(solid((2400, 300)), "PNG")).width == 2400


def test_file_over_the_byte_limit_is_refused_before_it_is_decoded() -> None:
    # Not an image at all: the size alone decides, so nothing is decoded.
    assert refusal("big.jpg", b"\xff" * int(23.4 * MB)) == "big.jpg: 23.4 MB is over the 20 MB limit"


def test_file_just_over_the_byte_limit_shows_its_exact_size() -> None:
    assert refusal("edge.jpg", b"\xff" * (20 * MB + 5)) == "edge.jpg: 20,971,525 bytes is over the 20 MB limit"


def test_stream_that_cannot_seek_is_refused_once_it_passes_the_limit() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[override]
            buffer[: len(buffer)] = b"\xff" * len(buffer)
            self.served += len(buffer)
            return len(buffer)

    pipe = Pipe()
    assert refusal("stream.jpg", io.BufferedReader(pipe)) == "stream.jpg: the file is over the 20 MB limit"
    assert pipe.served < 21 * MB


def test_truncated_jpeg_is_refused_as_damaged() -> None:
    data = encode(noise((400, 400)), "JPEG")
    assert refusal("cut.jpg", data[: len(data) // 2]) == "cut.jpg: the JPEG file is damaged or cut short and could not be decoded"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_decompression_bomb_is_refused_without_decoding() -> None:
    # 81 million 1-bit pixels compress to a few kilobytes.
    bomb = encode(Image.new("1", (9000, 9000)), "PNG")
    assert len(bomb) < 100_000
    assert refusal("bomb.png", bomb) == (
        "bomb.png: 9000×9000 px is more than the 64,000,000 pixels an image may have; "
        "refused without decoding (it could be a decompression bomb)"
    )


def test_header_claiming_far_too_many_pixels_is_refused_as_a_bomb() -> None:
    assert refusal("huge.png", png_claiming(20000, 20000)) == (
        "huge.png: the image claims more than the 64,000,000 pixels an image may have; "
        "refused without decoding (it could be a decompression bomb)"
    )


# What is accepted, and what it becomes.


def test_format_is_decided_from_the_content_not_the_name() -> None:
    accepted = accept("holiday.jpg", encode(solid(), "PNG"))
    assert accepted.mime == "image/png"
    assert reopen(accepted).format == "PNG"


def test_jpeg_stays_a_jpeg_of_the_same_size() -> None:
    accepted = accept("photo.jpg", encode(solid((640, 480)), "JPEG"))
    assert (accepted.mime, accepted.width, accepted.height) == ("image/jpeg", 640, 480)
    assert reopen(accepted).format == "JPEG"
    assert accepted.notes == ()


def test_phone_jpeg_with_a_multi_picture_index_is_a_jpeg() -> None:
    data = encode(solid(), "MPO", save_all=True, append_images=[solid(colour="red")])
    accepted = accept("phone.jpg", data)
    assert accepted.mime == "image/jpeg"
    assert accepted.notes == ()


@pytest.mark.parametrize("fmt", ["BMP", "WEBP"])
def test_bmp_and_webp_are_accepted_and_re_encoded_as_png(fmt: str) -> None:
    original = noise((300, 260))
    options = {"lossless": True} if fmt == "WEBP" else {}
    accepted = accept(f"picture.{fmt.lower()}", encode(original, fmt, **options))
    assert (accepted.mime, accepted.width, accepted.height) == ("image/png", 300, 260)
    assert reopen(accepted).tobytes() == original.tobytes()  # no pixel lost
    assert accepted.notes == (f"Converted from {fmt} to PNG, which keeps every pixel.",)


def test_file_like_upload_is_read_from_its_start() -> None:
    upload = io.BytesIO(encode(solid(), "PNG"))
    upload.read(10)  # as a form's validation might have done
    assert accept("upload.png", upload).mime == "image/png"


def test_exif_rotated_jpeg_becomes_upright() -> None:
    # Stored landscape 400×300 with a red top-left corner; orientation 6 means "turn 90° clockwise".
    stored = solid((400, 300), "white")
    stored.paste("red", (0, 0, 60, 60))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    accepted = accept("sideways.jpg", encode(stored, "JPEG", exif=exif, quality=95))
    upright = reopen(accepted)
    assert (accepted.width, accepted.height) == upright.size == (300, 400)
    assert accepted.rotated
    assert NOTE_ROTATED in accepted.notes
    red, green, blue = upright.getpixel((300 - 30, 30))  # the red corner is now top-right
    assert red > 200 and green < 60 and blue < 60
    assert ORIENTATION not in upright.getexif()


def test_upright_jpeg_is_not_reported_as_rotated() -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = 1
    accepted = accept("level.jpg", encode(solid((400, 300)), "JPEG", exif=exif))
    assert (accepted.width, accepted.height, accepted.rotated) == (400, 300, False)


def test_exif_gps_and_xmp_are_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 1.5)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret place</x:xmpmeta>'
    accepted = accept("trip.jpg", encode(solid((400, 300)), "JPEG", exif=exif, xmp=xmp))
    cleaned = reopen(accepted)
    assert dict(cleaned.getexif()) == {}
    assert dict(cleaned.getexif().get_ifd(GPS_IFD)) == {}
    assert "xmp" not in cleaned.info
    assert b"PhoneMaker" not in accepted.content and b"secret place" not in accepted.content
    assert NOTE_METADATA in accepted.notes


def test_jpeg_comment_is_stripped() -> None:
    accepted = accept("scan.jpg", encode(solid((400, 300)), "JPEG", comment=b"Scanned at 12 Elm Street"))
    assert "comment" not in reopen(accepted).info
    assert b"Elm Street" not in accepted.content


def test_metadata_is_stripped_from_png_too() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    accepted = accept("shot.png", encode(solid(), "PNG", exif=exif))
    assert dict(reopen(accepted).getexif()) == {}
    assert b"PhoneMaker" not in accepted.content


def test_icc_profile_is_kept_because_it_is_colour_not_personal_data() -> None:
    profile = b"\x00" * 128 + b"pretend-display-p3"
    accepted = accept("wide-gamut.jpg", encode(solid((400, 300)), "JPEG", icc_profile=profile))
    assert reopen(accepted).info.get("icc_profile") == profile


def test_cmyk_jpeg_becomes_rgb_and_loses_its_cmyk_profile() -> None:
    cmyk = solid(mode="CMYK", colour=(0, 255, 0, 0))
    accepted = accept("print.jpg", encode(cmyk, "JPEG", icc_profile=b"cmyk-profile"))
    cleaned = reopen(accepted)
    assert cleaned.mode == "RGB"
    assert "icc_profile" not in cleaned.info


def test_transparent_png_is_flattened_onto_white_and_noted() -> None:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    image.paste((255, 0, 0, 128), (0, 0, 150, 300))  # left half: half-transparent red
    accepted = accept("logo.png", encode(image, "PNG"))
    flat = reopen(accepted)
    assert flat.mode == "RGB"
    assert flat.getpixel((250, 150)) == (255, 255, 255)
    red, green, blue = flat.getpixel((50, 150))
    assert red == 255 and 120 <= green <= 135 and green == blue
    assert accepted.flattened_alpha
    assert accepted.notes == (NOTE_FLATTENED,)


def test_palette_png_with_a_transparent_colour_is_flattened() -> None:
    image = Image.new("P", (300, 300), 0)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(1, (0, 0, 150, 300))
    accepted = accept("sticker.png", encode(image, "PNG", transparency=0))
    flat = reopen(accepted)
    assert (flat.getpixel((50, 50)), flat.getpixel((250, 50))) == ((255, 0, 0), (255, 255, 255))
    assert accepted.flattened_alpha


def test_grey_image_with_alpha_stays_grey_on_white() -> None:
    accepted = accept("mark.png", encode(Image.new("LA", (300, 300), (0, 0)), "PNG"))
    flat = reopen(accepted)
    assert (flat.mode, flat.getpixel((10, 10))) == ("L", 255)


def test_fully_opaque_alpha_channel_is_removed_with_its_own_note() -> None:
    accepted = accept("opaque.png", encode(solid(mode="RGBA", colour=(10, 20, 30, 255)), "PNG"))
    assert reopen(accepted).getpixel((0, 0)) == (10, 20, 30)
    assert accepted.flattened_alpha
    assert accepted.notes == (NOTE_OPAQUE_ALPHA,)


def test_sixteen_bit_grey_keeps_its_tones() -> None:
    accepted = accept("scan.png", encode(Image.new("I;16", (300, 300), 32768), "PNG"))
    assert reopen(accepted).getpixel((0, 0)) == 128  # not clipped to white


# Staying within the byte limit after re-encoding.


def test_png_that_would_pass_the_byte_limit_is_saved_as_jpeg(tight_model) -> None:
    # A lossy WEBP of noise is small; the same pixels as PNG are about 1 MB.
    model = tight_model(500_000)
    upload = encode(noise(), "WEBP", quality=80)
    assert len(upload) < 500_000
    accepted = accept("noisy.webp", upload, model)
    assert accepted.mime == "image/jpeg"
    assert len(accepted.content) <= 500_000
    assert accepted.notes[-1].startswith("Saved as JPEG: as a PNG it would be over the")


def test_jpeg_quality_is_lowered_only_as_far_as_the_limit_needs(tight_model) -> None:
    upload = encode(noise(), "JPEG", quality=20)
    at_95 = len(encode(Image.open(io.BytesIO(upload)), "JPEG", quality=95))
    model = tight_model(at_95 - 1)
    accepted = accept("grainy.jpg", upload, model)
    assert len(accepted.content) < at_95
    assert accepted.notes[-1].startswith("Saved at JPEG quality 85 to stay within the")


def test_image_that_fits_no_jpeg_quality_is_refused(tight_model) -> None:
    upload = encode(noise(), "JPEG", quality=10)
    model = tight_model(len(upload) + 1000)
    assert refusal("grainy.jpg", upload, model).startswith("grainy.jpg: even as a JPEG at quality 75 it is over the")


# How many images a request takes.


def test_ninth_image_is_accepted() -> None:
    check_count(8, 1, model=MODEL)


def test_tenth_image_is_refused_naming_the_limit() -> None:
    with pytest.raises(UploadRefused, match="^Image 10 refused: wan2.7-image takes at most 9 reference images$"):
        check_count(9, 1, model=MODEL)


def test_adding_several_past_the_limit_names_the_ones_refused() -> None:
    with pytest.raises(UploadRefused, match="^Images 10–11 refused: wan2.7-image takes at most 9 reference images$"):
        check_count(8, 3, model=MODEL)


# Per-model formats and sides (issue 15).


def test_wanx21_takes_a_tiff_and_the_studio_re_encodes_it_as_png() -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/wanx-image-edit — JPG, JPEG,
    # PNG, BMP, TIFF, WEBP; each side 512–4096 px.
    original = noise((600, 520))
    accepted = accept("scan.tif", encode(original, "TIFF"), "wanx2.1-imageedit")
    assert (accepted.mime, accepted.width, accepted.height) == ("image/png", 600, 520)
    assert reopen(accepted).tobytes() == original.tobytes()
    assert accepted.notes == ("Converted from TIFF to PNG, which keeps every pixel.",)
    assert refusal("small.png", encode(solid((511, 600)), "PNG"), "wanx2.1-imageedit") == (
        "small.png: 511×600 px is too small (each side must be 512–4096 px)"
    )


def test_a_qwen_reference_outside_the_recommended_sides_is_accepted() -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api — 384–3072
    # px is a recommendation "for best results"; the editor warns (presenters) but accepts.
    accepted = accept("banner.png", encode(solid((3200, 300)), "PNG"), "qwen-image-edit-plus")
    assert (accepted.width, accepted.height) == (3200, 300)


def test_a_tiffs_camera_tags_are_stripped_and_noted() -> None:
    exif = Image.Exif()
    exif[0x0110] = "Scanner 3000"  # Model
    accepted = accept("scan.tif", encode(solid((600, 600)), "TIFF", exif=exif), "wanx2.1-imageedit")
    assert NOTE_METADATA in accepted.notes
    assert "Scanner 3000" not in accepted.content.decode("latin-1")
