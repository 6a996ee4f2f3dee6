"""Colour palettes: shares held as integer hundredths of a percent, what a person types into the
palette fields, and palettes computed from images.

Shares are integers throughout ("33.34% + 33.33% + 33.33%" is exactly 100.00%, never 99.99999%),
so a palette that sums correctly here sums correctly in the request body.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, color_palette — 3 to 10 colours, each a hex
colour like "#C2D1E6" with a ratio of exactly two decimals ("23.51%"), the ratios summing to 100.00%.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from fractions import Fraction

from django.utils.translation import gettext, ngettext
from PIL import Image, UnidentifiedImageError

from studio.editor.uploads import flatten
from studio.pipeline.images import PIXEL_BOUND, ImageDecodeError
from studio.wan.capabilities import DEFAULT_MODEL, PaletteRules, format_ratio, get_model

# The colours of a picture survive shrinking to this size, and k-means on ~65,000 pixels stays fast.
_THUMBNAIL_SIDE = 256
# Median cut can merge two colours and split one; rounds of k-means move each colour to the
# centre of the pixels nearest to it. Most images settle sooner; a round costs a few milliseconds.
_KMEANS_ROUNDS = 12
_SHOWN_CHARS = 20
# Colours taken from the references (issue 19): few enough that each one is plainly in the
# pictures, and inside every model's 3–10.
REFERENCE_COLOURS = 5
# Each reference's share of the pixels when colours are taken from several: 9 references make
# about 150,000 pixels, as many as two single-image extractions.
_REFERENCE_SIDE = 128

# What a person types in a percent field: "25", "25.5", "25.50", ".5", "25." — at most two decimals.
_PERCENT = re.compile(r"(?=\.?\d)(\d{0,3})(?:\.(\d{0,2}))?", re.ASCII)


def _rules(model: str) -> PaletteRules:
    rules = get_model(model).palette
    if rules is None:
        raise ValueError(f"{model} does not take a colour palette")
    return rules


def even_split(count: int, *, model: str = DEFAULT_MODEL) -> list[int]:
    """100.00% shared by `count` colours; the hundredths left over go to the first ones."""
    return normalize([1] * count, model=model)


def normalize(weights: Sequence[int | float], *, model: str = DEFAULT_MODEL) -> list[int]:
    """Non-negative weights scaled to hundredths that sum to exactly 100.00%.

    Largest remainder: each share is rounded down, then the hundredths still missing go to the
    shares that lost the most in rounding (the earlier one on a tie), so no share is ever more
    than one hundredth away from its exact value. All weights zero means an even split.
    """
    total = _rules(model).total_hundredths
    if not weights:
        raise ValueError("cannot share 100.00% among no colours")
    if not all(isinstance(weight, (int, float)) for weight in weights):
        raise ValueError(f"weights must be numbers, not {list(weights)!r}")
    try:
        # Fraction holds a float exactly, so the arithmetic below has no rounding of its own.
        exact = [Fraction(weight) for weight in weights]
    except (ValueError, OverflowError):
        raise ValueError(f"weights must be finite numbers, not {list(weights)!r}") from None
    if any(weight < 0 for weight in exact):
        raise ValueError(f"weights cannot be negative ({list(weights)!r})")
    whole = sum(exact)
    if whole == 0:
        return even_split(len(exact), model=model)
    quotas = [weight * total / whole for weight in exact]
    shares = [math.floor(quota) for quota in quotas]
    missing = total - sum(shares)
    by_loss = sorted(range(len(quotas)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_loss[:missing]:
        shares[i] += 1
    return shares


def parse_percent(text: str, *, model: str = DEFAULT_MODEL) -> int | None:
    """What a person typed in a percent field, in hundredths: " 25.50 % " -> 2550.

    None for anything else: more than two decimals (the API's precision), a sign, other
    characters, or more than 100.00% (no colour can take more than the whole palette).
    """
    if not isinstance(text, str):
        return None
    body = text.strip().removesuffix("%").rstrip()
    match = _PERCENT.fullmatch(body)
    if match is None:
        return None
    whole, decimals = match.group(1), match.group(2) or ""
    hundredths = int(whole or "0") * 100 + int(decimals.ljust(2, "0"))
    return hundredths if hundredths <= _rules(model).total_hundredths else None


def format_percent(hundredths: int) -> str:
    """2550 -> '25.50', the form a percent field shows (the request adds the '%')."""
    return format_ratio(hundredths).removesuffix("%")


def normalize_hex(text: str, *, model: str = DEFAULT_MODEL) -> str | None:
    """'#c2d1e6', 'C2D1E6' or the CSS shorthand '#abc' -> '#C2D1E6' / '#AABBCC'; None otherwise.

    The API documents six hex digits (002, color_palette.hex, "#C2D1E6"). A person may type the
    CSS shorthand or leave out the '#'; both are unambiguous, so they are expanded here and the
    API only ever sees the documented form. "#RRGGBBAA" is refused: a palette colour has no alpha.
    """
    if not isinstance(text, str):
        return None
    digits = text.strip().removeprefix("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    candidate = f"#{digits.upper()}"
    return candidate if re.fullmatch(_rules(model).hex_pattern, candidate, re.ASCII) else None


def validate_palette(swatches: Sequence[tuple[str, int]], *, model: str) -> list[str]:
    """Every problem of a palette as (hex, hundredths) pairs, each naming the field and the limit."""
    caps = get_model(model)
    if caps.palette is None:
        # "<field>: <problem>", the field and the problem in words apart: compose splits them at ": ".
        return [f"{gettext('Palette')}: " + gettext("%(model)s does not take a colour palette.") % {"model": caps.name}]
    rules = caps.palette
    problems: list[str] = []
    if len(swatches) not in rules.count:
        count = len(swatches)
        problem = ngettext("%(count)s colour; use %(range)s.", "%(count)s colours; use %(range)s.", count)
        problems.append(f"{gettext('Palette')}: " + problem % {"count": count, "range": rules.count.describe()})
    ratios_readable = True
    for number, (hex_value, hundredths) in enumerate(swatches, start=1):
        field = gettext("Palette colour %(number)s") % {"number": number}
        if not isinstance(hex_value, str) or not re.fullmatch(rules.hex_pattern, hex_value, re.ASCII):
            problems.append(f"{field}: " + gettext("“%(text)s” is not a hex colour like #1A2B3C.") % {"text": _shown(hex_value)})
        whole = isinstance(hundredths, int) and not isinstance(hundredths, bool)
        if not whole or not 0 <= hundredths <= rules.total_hundredths:
            ratios_readable = False
            problems.append(
                f"{field}: "
                + gettext("%(value)s is not a share between %(lo)s%% and %(hi)s%%.")
                % {"value": _shown(hundredths), "lo": format_percent(0), "hi": format_percent(rules.total_hundredths)}
            )
    if swatches and ratios_readable:
        total = sum(hundredths for _, hundredths in swatches)
        if not rules.adds_up([hundredths for _, hundredths in swatches]):
            problems.append(
                gettext("Palette ratios add up to %(total)s%%; they must total exactly %(exact)s%%.")
                % {"total": format_percent(total), "exact": format_percent(rules.total_hundredths)}
            )
    return problems


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}…"


def extract_palette(data: bytes, *, count: int = 5, model: str = DEFAULT_MODEL) -> list[tuple[str, int]]:
    """The main colours of an image as ("#RRGGBB", hundredths), largest share first.

    `count` is clamped to the palette sizes the model takes. Fewer colours come back when the
    image has fewer distinct ones. Deterministic: the same bytes always give the same palette.
    """
    return _main_colours(_thumbnail(data, model), count=count, model=model)


def palette_from_references(
    images: Sequence[bytes], *, count: int = REFERENCE_COLOURS, model: str = DEFAULT_MODEL
) -> list[tuple[str, int]]:
    """The main colours of several images taken together, each image weighing the same.

    What the editor offers (and starts from) when a palette is switched on beside references.
    """
    if not images:
        raise ValueError("no images to take colours from")
    side = _REFERENCE_SIDE
    # Squashed to one size, so a large reference does not outvote a small one; squashing keeps
    # how much of a picture each colour covers.
    tiles = [_thumbnail(data, model).resize((side, side), Image.Resampling.BOX) for data in images]
    # Where a pixel sits does not matter to a palette: all of them in one strip.
    strip = Image.frombytes("RGB", (side * side * len(tiles), 1), b"".join(tile.tobytes() for tile in tiles))
    return _main_colours(strip, count=count, model=model)


def _main_colours(pixels: Image.Image, *, count: int, model: str) -> list[tuple[str, int]]:
    rules = _rules(model)
    wanted = min(max(count, rules.count.lo), rules.count.hi)
    seed = pixels.quantize(colors=wanted, method=Image.Quantize.MEDIANCUT)
    centres, counts = _refine(pixels, seed)
    by_hex: dict[str, int] = {}
    for (red, green, blue), pixel_count in zip(centres, counts, strict=True):
        key = f"#{red:02X}{green:02X}{blue:02X}"
        # Two clusters can settle on the same colour; they are one swatch.
        by_hex[key] = by_hex.get(key, 0) + pixel_count
    colours = [(key, n) for key, n in by_hex.items() if n > 0]
    shares = normalize([n for _, n in colours], model=model)
    if 0 in shares:
        # A sliver under 0.005% of the image would be sent as "0.00%": leave it out.
        colours = [colour for colour, share in zip(colours, shares, strict=True) if share > 0]
        shares = normalize([n for _, n in colours], model=model)
    palette = [(key, share) for (key, _), share in zip(colours, shares, strict=True)]
    return sorted(palette, key=lambda swatch: (-swatch[1], swatch[0]))


def _thumbnail(data: bytes, model: str) -> Image.Image:
    """A small RGB copy of the image, transparency shown on white as the API will see it."""
    try:
        with Image.open(io.BytesIO(data), formats=list(get_model(model).images.formats)) as image:
            if image.width * image.height > PIXEL_BOUND:
                raise ImageDecodeError(f"the image is {image.width}×{image.height} pixels, too many to decode safely")
            # thumbnail() lets a JPEG decode at 1/2, 1/4 or 1/8 scale (draft), which is most of
            # the speed on a large photo.
            image.thumbnail((_THUMBNAIL_SIDE, _THUMBNAIL_SIDE), Image.Resampling.BOX)
            thumb = flatten(image, mode="RGB")
            # flatten() hands back the image itself when nothing needs converting (a small RGB
            # image is not even shrunk); the pixels must outlive the open file.
            return thumb.copy() if thumb is image else thumb
    except ImageDecodeError:
        raise
    except UnidentifiedImageError:
        raise ImageDecodeError("the data is not an image in an accepted format") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError(f"the image has too many pixels to decode safely ({exc})") from None
    except Exception as exc:  # Pillow's decoders raise many kinds of errors on broken files.
        raise ImageDecodeError(f"the image could not be decoded ({exc})") from None


def _refine(pixels: Image.Image, seed: Image.Image) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Lloyd's k-means from the median-cut seed: move each colour to the mean of its pixels,
    reassign every pixel to its nearest colour, until nothing moves or the rounds run out.

    Both steps run inside Pillow (quantize to a fixed palette, masked histograms), so no pixel
    is visited in Python.
    """
    palette = seed.getpalette() or []
    centres = [tuple(palette[i : i + 3]) for i in range(0, len(palette), 3)]
    assigned = seed
    for _ in range(_KMEANS_ROUNDS):
        means = [mean for mean in _cluster_means(pixels, assigned, len(centres)) if mean is not None]
        if means == centres:
            break
        centres = means
        fixed = Image.new("P", (1, 1))
        fixed.putpalette([channel for centre in centres for channel in centre])
        assigned = pixels.quantize(palette=fixed, dither=Image.Dither.NONE)
    counts = assigned.histogram()[: len(centres)]
    return centres, counts  # type: ignore[return-value]


def _cluster_means(pixels: Image.Image, assigned: Image.Image, clusters: int) -> list[tuple[int, int, int] | None]:
    """The mean colour of each cluster's pixels (None for an empty one), in integer arithmetic."""
    # The palette indices as plain grey levels, so point() builds a mask per cluster.
    indices = Image.frombytes("L", assigned.size, assigned.tobytes())
    means: list[tuple[int, int, int] | None] = []
    for cluster in range(clusters):
        mask = indices.point([255 if level == cluster else 0 for level in range(256)])
        histogram = pixels.histogram(mask=mask)
        size = sum(histogram[:256])
        if size == 0:
            means.append(None)
            continue
        sums = [sum(level * n for level, n in enumerate(histogram[band * 256 : band * 256 + 256])) for band in range(3)]
        # Round half up without floats: (2s + n) // 2n.
        means.append(tuple((2 * s + size) // (2 * size) for s in sums))  # type: ignore[arg-type]
    return means
