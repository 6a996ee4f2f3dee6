"""Input images: data URLs, what an image really is, and which documented limits it breaks.

The format is always decided from the decoded content (Pillow), never from a file name or the
MIME type a caller declared: the declared type is only compared against what was found.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Image limits" (formats, sides, aspect ratio,
file size, no alpha channel) and "Supported input formats" (data:{MIME_type};base64,{data}).
Reference: 000_ddfe7cc9c4930e90.txt, "Image input methods" (the MIME type of each format).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from studio.wan.capabilities import MODELS, ImageLimits
from studio.wan.problem_words import Said, say

_MIB = 1024 * 1024

# Formats any model accepts: only these are fully decoded. Others are identified from their
# header (to name them in a message) but never decoded, so no exotic Pillow plugin runs on
# untrusted bytes.
_DECODABLE = frozenset(name for caps in MODELS.values() for name in caps.images.formats)
_RECOGNISED = sorted(_DECODABLE | {"GIF", "TIFF", "ICO", "AVIF", "JPEG2000", "PSD", "QOI", "PPM"})

# Pillow opens JPEGs that carry a multi-picture index (many phone photos) as "MPO"; the file is
# still a JPEG and is sent as image/jpeg.
_FORMAT_ALIASES = {"MPO": "JPEG"}

# No accepted image can have more pixels than its largest allowed side squared; anything above
# is refused before its pixels are decoded (Pillow's decompression-bomb guard, kept on).
PIXEL_BOUND = max(caps.images.side.hi for caps in MODELS.values()) ** 2
Image.MAX_IMAGE_PIXELS = PIXEL_BOUND

_DATA_URL_HEADER = re.compile(r"data:(?P<mime>[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+);base64", re.ASCII)


class ImageDecodeError(ValueError):
    """The bytes or the data URL do not hold an image we can read. Its argument is a Said, so
    the web layer can word it in the user's language."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # Pillow's name: "JPEG", "PNG", "BMP", "WEBP", "GIF", ...
    mime: str
    width: int
    height: int
    byte_size: int
    has_alpha: bool


def parse_data_url(url: str) -> tuple[str, bytes]:
    """'data:image/png;base64,iVBO...' -> ('image/png', b'\\x89PNG...')."""
    header, comma, payload = url.partition(",")
    match = _DATA_URL_HEADER.fullmatch(header)
    if not comma or match is None:
        raise ImageDecodeError(say("data_url.form"))
    if not payload:
        raise ImageDecodeError(say("data_url.empty"))
    try:
        # validate=True: a stray character is an error, as it would be for the service.
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageDecodeError(say("data_url.base64", detail=str(exc))) from None
    return match["mime"], data


def data_url_byte_size(url: str) -> int:
    """How many bytes a data URL's base64 payload decodes to, without decoding it.

    Lets a validator refuse a huge upload by its size before spending memory on it.
    """
    payload = url.partition(",")[2]
    padding = len(payload) - len(payload.rstrip("="))
    return max(0, len(payload) * 3 // 4 - padding)


def to_data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def inspect_image(data: bytes) -> ImageInfo:
    """Decode the bytes and describe the image; ImageDecodeError when they are not one."""
    if not data:
        raise ImageDecodeError(say("image.empty"))
    try:
        info = _identify(data)
        if info.format in _DECODABLE:
            _decode_fully(data)
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError(say("image.unrecognised", formats=", ".join(sorted(_DECODABLE)))) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError(say("image.bomb", detail=str(exc))) from None
    except Exception as exc:  # Pillow's plugins raise many kinds of errors on broken files.
        raise ImageDecodeError(say("image.undecodable", format=_guess_name(data), detail=str(exc))) from None
    return info


def _identify(data: bytes) -> ImageInfo:
    """Read the header only: format, size and transparency."""
    with Image.open(io.BytesIO(data), formats=_RECOGNISED) as im:
        width, height = im.size
        if width * height > PIXEL_BOUND:
            raise ImageDecodeError(say("image.too_many_pixels", width=width, height=height, limit=PIXEL_BOUND))
        name = _FORMAT_ALIASES.get(im.format or "", im.format or "unknown")
        mime = Image.MIME.get(name) or "application/octet-stream"
        return ImageInfo(
            format=name,
            mime=mime,
            width=width,
            height=height,
            byte_size=len(data),
            # An alpha band or a transparency entry (PNG tRNS, palette transparency).
            has_alpha=im.has_transparency_data,
        )


def _decode_fully(data: bytes) -> None:
    # verify() checks structure (PNG CRCs) but leaves the image unusable, so load() reopens;
    # load() catches truncated pixel data that verify() does not see in JPEGs.
    with Image.open(io.BytesIO(data), formats=_RECOGNISED) as im:
        im.verify()
    with Image.open(io.BytesIO(data), formats=_RECOGNISED) as im:
        im.load()


def _guess_name(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data), formats=_RECOGNISED) as im:
            return _FORMAT_ALIASES.get(im.format or "", im.format or "")
    except Exception:
        return ""


def image_problems(info: ImageInfo, limits: ImageLimits, *, declared_mime: str | None = None) -> list[Said]:
    """Every documented limit the image breaks, as messages naming the limit."""
    problems: list[Said] = []
    expected_mime = limits.formats.get(info.format)
    if expected_mime is None:
        problems.append(say("image.format", format=info.format, formats=limits.describe_formats()))
    # Reference: 000, "Image input methods" — the MIME type must correspond to the file format.
    if declared_mime is not None and declared_mime.lower() != (expected_mime or info.mime):
        problems.append(say("image.mime_mismatch", declared=declared_mime, format=info.format))
    for label, value in (("side.width", info.width), ("side.height", info.height)):
        if value < limits.side.lo:
            problems.append(say("image.side_small", side=say(label), value=value, limit=limits.side.lo))
        elif value > limits.side.hi:
            problems.append(say("image.side_large", side=say(label), value=value, limit=limits.side.hi))
    if not aspect_within(info.width, info.height, limits.max_aspect):
        problems.append(say("aspect.outside", ratio=format_aspect(info.width, info.height), limit=limits.max_aspect))
    if info.byte_size > limits.max_bytes:
        problems.append(size_problem(info.byte_size, limits.max_bytes))
    if info.has_alpha and not limits.alpha_allowed:
        problems.append(say("image.alpha", format=info.format))
    return problems


def image_warnings(info: ImageInfo, limits: ImageLimits) -> list[Said]:
    """What the reference advises against without refusing it (sides outside a recommended range)."""
    return side_advice(info.width, info.height, limits)


def side_advice(width: int, height: int, limits: ImageLimits) -> list[Said]:
    advised = limits.recommended_side
    if advised is None or (width in advised and height in advised):
        return []
    return [say("image.side_advice", width=width, height=height, lo=advised.lo, hi=advised.hi)]


def size_problem(byte_size: int, max_bytes: int) -> Said:
    shown = say("file.megabytes", megabytes=byte_size / _MIB)
    if round(byte_size / _MIB, 1) <= max_bytes / _MIB:
        # Just over the limit, where one decimal would hide the difference.
        shown = say("file.bytes", bytes=byte_size)
    return say("image.file_size", shown=shown, limit=max_bytes / _MIB)


def aspect_within(width: int, height: int, max_aspect: int | None) -> bool:
    """Whether width:height lies within 1:max_aspect to max_aspect:1 (integer arithmetic); any
    shape when the model documents no limit (None)."""
    if width <= 0 or height <= 0:
        return False
    if max_aspect is None:
        return True
    return max(width, height) <= max_aspect * min(width, height)


def format_aspect(width: int, height: int) -> str:
    """1200×150 -> '8:1', 100×950 -> '1:9.5' (the longer side over the shorter)."""
    if width <= 0 or height <= 0:
        return f"{width}:{height}"
    if width >= height:
        return f"{_short_number(width / height)}:1"
    return f"1:{_short_number(height / width)}"


def _short_number(value: float) -> str:
    text = f"{round(value, 2):g}"
    if value != int(value) and float(text) == int(value):
        # 8.001 must not read as "8", which would look within a limit of 8.
        text = f"{value:.10g}"
    return text
