"""Reference images a person uploads: refused with a reason that names the limit, or made ready
for the API (upright, no metadata, no alpha, re-encoded within the byte limit).

Every number comes from the model's `ImageLimits`; the format is decided from the decoded content,
never from the file name. Pillow's decompression-bomb guard stays on (studio.wan.images sets it;
the editor reads it through studio.pipeline.images).

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Image limits" (JPEG, PNG without alpha, BMP,
WEBP; each side 240–8000 px; aspect 1:8–8:1; at most 20 MB) and "Image quantity limits" (0–9).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from PIL import ExifTags, Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from studio.pipeline.images import (
    PIXEL_BOUND,
    ImageDecodeError,
    aspect_within,
    format_aspect,
    inspect_image,
)
from studio.wan.capabilities import ImageLimits, get_model

_MIB = 1024 * 1024

# Tried in turn when a JPEG is needed: 95 keeps re-encoding loss invisible; the lower ones only
# matter for huge, noisy images that would not otherwise fit the byte limit.
_JPEG_QUALITIES = (95, 85, 75)

_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N"})
_SIXTEEN_BIT_GREY = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
# Modes whose ICC profile still describes the pixels after conversion to RGB or L. A CMYK (or
# Lab, YCbCr) profile would be wrong on the converted pixels, so it is dropped.
_PROFILE_SURVIVES = _GREY_MODES | {"RGB", "RGBA", "RGBa", "RGBX", "P", "PA"}

# Lazy: the notes are put into words when stored, in the language of the person uploading.
NOTE_FLATTENED = gettext_lazy("Transparency was flattened onto white: the API does not accept alpha.")
NOTE_OPAQUE_ALPHA = gettext_lazy("The alpha channel (fully opaque) was removed: the API does not accept alpha.")
NOTE_ROTATED = gettext_lazy("Turned upright using the photo's EXIF orientation.")
NOTE_METADATA = gettext_lazy("Camera and location metadata (EXIF, GPS, XMP) were removed.")
NOTE_FIRST_FRAME = gettext_lazy("Only the first frame of the animation was kept.")

# A TIFF's own structure (size, compression, strips) reads as EXIF tags; only these say something
# about the camera, the place, the software or the person (wanx2.1 takes TIFF uploads).
_TIFF_PERSONAL_TAGS = frozenset(
    {
        ExifTags.Base.ImageDescription, ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.Software,
        ExifTags.Base.DateTime, ExifTags.Base.Artist, ExifTags.Base.HostComputer, ExifTags.Base.XMLPacket,
        ExifTags.Base.Copyright, ExifTags.Base.IPTCNAA, ExifTags.Base.ExifOffset, ExifTags.Base.GPSInfo,
    }
)


# What Pillow raises on a damaged file, beyond UnidentifiedImageError: a truncated stream
# (OSError), a header it cannot make sense of (ValueError, SyntaxError, struct.error), a text or
# ICC chunk inflating past its limit (ValueError "Decompressed data too large"), or one ending
# early (EOFError). Pillow's plugins are not consistent, so each one counts as "damaged".
_BROKEN_FILE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)


class UploadRefused(ValueError):
    """An upload the API would not take; the message names the file and the limit."""


@dataclass(frozen=True)
class AcceptedReference:
    content: bytes
    mime: str
    width: int  # upright, as stored
    height: int
    flattened_alpha: bool
    rotated: bool  # EXIF orientation was applied
    notes: tuple[str, ...] = ()


def accept_reference(filename: str, data: bytes | BinaryIO, *, model: str) -> AcceptedReference:
    """The upload made ready for the API, or UploadRefused saying which limit it breaks."""
    limits = get_model(model).images
    name = filename or _("The file")
    raw = _read_within(name, data, limits)
    image, source_format = _open(name, raw, limits)
    try:
        return _prepare(name, image, source_format, limits)
    except UploadRefused:
        raise
    except _BROKEN_FILE_ERRORS:
        # Decoding is lazy in places (EXIF, ICC and text chunks are read when first asked for).
        raise UploadRefused(_damaged(name, source_format)) from None


def _prepare(name: str, image: Image.Image, source_format: str, limits: ImageLimits) -> AcceptedReference:
    notes: list[str] = []
    # Everything happens before the image is closed: `clean` may be the opened image itself.
    with image:
        exif = image.getexif()
        personal = any(tag in exif for tag in _TIFF_PERSONAL_TAGS) if source_format == "TIFF" else bool(exif)
        had_metadata = personal or any(key in image.info for key in ("xmp", "XML:com.adobe.xmp", "comment"))
        if getattr(image, "n_frames", 1) > 1 and source_format != "JPEG":
            # A JPEG's extra frames (MPO) are depth maps or previews, not an animation.
            notes.append(NOTE_FIRST_FRAME)
        # The API reads the pixels as stored: a photo taken sideways, with an orientation tag,
        # would otherwise reach the model on its side. Sides are checked on the upright size.
        rotated = exif.get(ExifTags.Base.Orientation, 1) in range(2, 9)
        upright = ImageOps.exif_transpose(image) if rotated else image
        if rotated:
            notes.append(NOTE_ROTATED)
        _check_shape(name, upright.size, limits)
        profile = upright.info.get("icc_profile") if upright.mode in _PROFILE_SURVIVES else None
        flattened_alpha = upright.has_transparency_data
        if flattened_alpha:
            notes.append(NOTE_FLATTENED if _has_see_through_pixels(upright) else NOTE_OPAQUE_ALPHA)
        clean = flatten(upright, mode="L" if upright.mode in _GREY_MODES else "RGB")
        if had_metadata:
            notes.append(NOTE_METADATA)
        content, output_format, encode_notes = _encode(name, clean, source_format, profile, limits)
    return AcceptedReference(
        content=content,
        mime=limits.formats[output_format],
        width=clean.width,
        height=clean.height,
        flattened_alpha=flattened_alpha,
        rotated=rotated,
        notes=tuple(str(note) for note in notes + encode_notes),
    )


def check_count(existing: int, adding: int, *, model: str) -> None:
    """UploadRefused when `adding` more images would pass the model's image count."""
    caps = get_model(model)
    if existing < 0 or adding < 0:
        raise ValueError(f"image counts cannot be negative ({existing}, {adding})")
    most = caps.images.count.hi
    last = existing + adding
    if last <= most:
        return
    first = max(existing, most) + 1
    # Reference: 002, "Image quantity limits".
    if first == last:
        message = ngettext(
            "Image %(first)s refused: %(model)s takes at most %(most)s reference image",
            "Image %(first)s refused: %(model)s takes at most %(most)s reference images",
            most,
        )
    else:
        message = ngettext(
            "Images %(first)s–%(last)s refused: %(model)s takes at most %(most)s reference image",
            "Images %(first)s–%(last)s refused: %(model)s takes at most %(most)s reference images",
            most,
        )
    raise UploadRefused(message % {"first": first, "last": last, "model": caps.name, "most": most})


def flatten(image: Image.Image, *, mode: str) -> Image.Image:
    """The image in `mode` ("RGB" or "L"), any transparency composited onto white.

    White because the API takes no alpha (reference: 002, "PNG (alpha channel not supported)")
    and a transparent background most often means "paper" in product shots and logos.
    """
    if image.mode in _SIXTEEN_BIT_GREY:
        # Pillow clips 16-bit grey to 8 bits when converting, which turns most pixels white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if not image.has_transparency_data:
        return image.convert(mode) if image.mode != mode else image
    with_alpha = image.convert("LA" if mode == "L" else "RGBA")
    out = Image.new(mode, image.size, "white")
    out.paste(with_alpha.convert(mode), mask=with_alpha.getchannel("A"))
    return out


def _read_within(name: str, data: bytes | BinaryIO, limits: ImageLimits) -> bytes:
    """The upload's bytes, refusing an over-size file before reading (or decoding) it all."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        size: int | None = len(raw)
    else:
        if data.seekable():
            # Django may already have read an upload to check it; start from the beginning.
            data.seek(0, io.SEEK_END)
            size = data.tell()
            data.seek(0)
            if size > limits.max_bytes:
                raise UploadRefused(f"{name}: {_too_big(size, limits.max_bytes)}")
        raw = data.read(limits.max_bytes + 1)
        size = len(raw) if len(raw) <= limits.max_bytes else None
    if size is None or size > limits.max_bytes:
        raise UploadRefused(f"{name}: {_too_big(size, limits.max_bytes)}")
    if not raw:
        raise UploadRefused(_("%(file)s: the file is empty") % {"file": name})
    return raw


def _megabytes(byte_count: int) -> str:
    return f"{byte_count / _MIB:g} MB"


def _too_big(size: int | None, max_bytes: int) -> str:
    limit = _megabytes(max_bytes)
    if size is None:
        return _("the file is over the %(limit)s limit") % {"limit": limit}
    shown = f"{size / _MIB:.1f} MB"
    if round(size / _MIB, 1) <= max_bytes / _MIB:
        # Just over the limit, where one decimal would read as within it ("20.0 MB").
        shown = _("%(bytes)s bytes") % {"bytes": f"{size:,}"}
    return _("%(size)s is over the %(limit)s limit") % {"size": shown, "limit": limit}


def _open(name: str, raw: bytes, limits: ImageLimits) -> tuple[Image.Image, str]:
    """The decoded image and its format, decided from the content."""
    try:
        # Only the decoders of accepted formats ever run on the pixels of an upload.
        image = Image.open(io.BytesIO(raw), formats=list(limits.formats))
    except UnidentifiedImageError:
        raise UploadRefused(_unaccepted(name, raw, limits)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_bomb(name, None)) from None
    except _BROKEN_FILE_ERRORS:
        raise UploadRefused(_damaged(name, None)) from None
    # Pillow opens JPEGs with a multi-picture index (many phone photos) as MPO; still a JPEG.
    source_format = "JPEG" if isinstance(image, JpegImagePlugin.JpegImageFile) else image.format or ""
    width, height = image.size
    if width * height > PIXEL_BOUND:
        # Pillow only warns up to twice its bound; the refusal must not depend on warning filters.
        image.close()
        raise UploadRefused(_bomb(name, image.size))
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        image.close()
        raise UploadRefused(_bomb(name, None)) from None
    except Exception:  # Pillow's decoders raise many kinds of errors on broken files.
        image.close()
        raise UploadRefused(_damaged(name, source_format)) from None
    return image, source_format


def _damaged(name: str, source_format: str | None) -> str:
    if source_format:
        return _("%(file)s: the %(format)s file is damaged or cut short and could not be decoded") % {
            "file": name,
            "format": source_format,
        }
    return _("%(file)s: the file is damaged or cut short and could not be decoded") % {"file": name}


def _unaccepted(name: str, raw: bytes, limits: ImageLimits) -> str:
    """Why bytes that no accepted decoder opens are refused: another image format, or none."""
    accepted = _accepted_formats(limits)
    try:
        # Identifies GIF, TIFF, AVIF... from the header only, without decoding their pixels.
        found = inspect_image(raw).format
    except ImageDecodeError:
        return _("%(file)s: not an image (%(accepted)s)") % {"file": name, "accepted": accepted}
    return _("%(file)s: %(format)s is not accepted (%(accepted)s)") % {"file": name, "format": found, "accepted": accepted}


def _accepted_formats(limits: ImageLimits) -> str:
    names = list(limits.formats)
    if len(names) == 1:
        return names[0]
    return _("%(formats)s or %(last)s") % {"formats": ", ".join(names[:-1]), "last": names[-1]}


def _bomb(name: str, size: tuple[int, int] | None) -> str:
    values = {"file": name, "bound": f"{PIXEL_BOUND:,}"}
    if size:
        return _(
            "%(file)s: %(width)s×%(height)s px is more than the %(bound)s pixels an image may have; "
            "refused without decoding (it could be a decompression bomb)"
        ) % {**values, "width": size[0], "height": size[1]}
    return _(
        "%(file)s: the image claims more than the %(bound)s pixels an image may have; "
        "refused without decoding (it could be a decompression bomb)"
    ) % values


def _check_shape(name: str, size: tuple[int, int], limits: ImageLimits) -> None:
    """Side and aspect limits, on the upright size."""
    width, height = size
    side = limits.side
    if width not in side or height not in side:
        if min(width, height) >= side.lo:
            message = _("%(file)s: %(width)s×%(height)s px is too large (each side must be %(sides)s px)")
        elif max(width, height) <= side.hi:
            message = _("%(file)s: %(width)s×%(height)s px is too small (each side must be %(sides)s px)")
        else:
            message = _("%(file)s: %(width)s×%(height)s px is outside the allowed size (each side must be %(sides)s px)")
        raise UploadRefused(message % {"file": name, "width": width, "height": height, "sides": side.describe()})
    if not aspect_within(width, height, limits.max_aspect):
        most = limits.max_aspect
        raise UploadRefused(
            _("%(file)s: aspect ratio %(aspect)s is outside 1:%(most)s–%(most)s:1")
            % {"file": name, "aspect": format_aspect(width, height), "most": most}
        )


def _has_see_through_pixels(image: Image.Image) -> bool:
    alpha = image.convert("RGBA").getchannel("A")
    return alpha.getextrema()[0] < 255


def _encode(
    name: str, image: Image.Image, source_format: str, profile: bytes | None, limits: ImageLimits
) -> tuple[bytes, str, list[str]]:
    """The image re-encoded from its pixels alone, so no metadata can travel along.

    JPEG stays JPEG; every lossless source (PNG, BMP, WEBP — whose lossy or lossless kind Pillow
    does not report) becomes PNG so no pixel is lost, unless the PNG would pass the byte limit.
    """
    # An ICC profile is kept: it is colour data, not personal data, and without it a wide-gamut
    # (Display P3) photo would look washed out wherever the profile is honoured.
    extra = {"icc_profile": profile} if profile else {}
    # Encoders fall back to image.info (JPEG takes a comment from there, PNG an ICC profile even
    # when it no longer fits the pixels); only what is passed explicitly may be written.
    image.info = {}
    notes: list[str] = []
    limit = _megabytes(limits.max_bytes)
    if source_format != "JPEG":
        content = _save(image, "PNG", **extra)
        if len(content) <= limits.max_bytes:
            if source_format != "PNG":
                notes.append(_("Converted from %(format)s to PNG, which keeps every pixel.") % {"format": source_format})
            return content, "PNG", notes
        notes.append(_("Saved as JPEG: as a PNG it would be over the %(limit)s limit.") % {"limit": limit})
    for quality in _JPEG_QUALITIES:
        content = _save(image, "JPEG", quality=quality, **extra)
        if len(content) <= limits.max_bytes:
            if quality != _JPEG_QUALITIES[0]:
                notes.append(_("Saved at JPEG quality %(quality)s to stay within the %(limit)s limit.") % {"quality": quality, "limit": limit})
            return content, "JPEG", notes
    raise UploadRefused(
        _("%(file)s: even as a JPEG at quality %(quality)s it is over the %(limit)s limit")
        % {"file": name, "quality": _JPEG_QUALITIES[-1], "limit": limit}
    )


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# A painted mask is a PNG of the reference's own size; a little over 1 bit per pixel at worst.
MASK_MAX_BYTES = 8 * 1024 * 1024


def accept_mask(data: bytes | BinaryIO, *, width: int, height: int) -> bytes | None:
    """A mask as the API wants it (reference: 001, "white is edited, black is kept"): decoded,
    checked to be exactly the reference's size, made pure black and white, and re-encoded as PNG.
    None when nothing is painted (no mask)."""
    raw = data if isinstance(data, bytes) else data.read(MASK_MAX_BYTES + 1)
    if len(raw) > MASK_MAX_BYTES:
        raise UploadRefused(_("Mask: the file is larger than %(limit)s") % {"limit": _megabytes(MASK_MAX_BYTES)})
    try:
        # The editor paints masks and sends them as PNG; no other decoder runs on one.
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as img:
            if img.size != (width, height):
                raise UploadRefused(
                    _("Mask: must be %(width)s×%(height)s px like image 1, not %(got_width)s×%(got_height)s")
                    % {"width": width, "height": height, "got_width": img.size[0], "got_height": img.size[1]}
                )
            img.load()
            grey = img.convert("L")
            if img.has_transparency_data:
                # Transparent means unpainted here: composited onto black, not white.
                with_alpha = img.convert("LA")
                grey = Image.new("L", img.size, 0)
                grey.paste(with_alpha.convert("L"), mask=with_alpha.getchannel("A"))
    except UploadRefused:
        raise
    except UnidentifiedImageError:
        raise UploadRefused(_("Mask: not a PNG image (the editor sends the painted mask as PNG)")) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_bomb("Mask", None)) from None
    except _BROKEN_FILE_ERRORS:
        raise UploadRefused(_damaged("Mask", "PNG")) from None
    mask = grey.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    if mask.getbbox() is None:
        return None
    return _save(mask.convert("L"), "PNG")
