"""Result PNGs that show what was asked, drawn with Pillow.

Nothing here is a model: each picture is a diagram of its request, so a person (or a test) can
see that the studio sent what the user chose. The background is the colour palette in its
proportions (horizontal bands) or a seed-derived gradient; input images appear as a faded
backdrop, with the first reference pasted into every bounding box; the prompt is written on top;
labels name the index ("2/4"), the frame of an image set, the watermark and the emulator.

Everything is a function of the `RenderSpec` and the image index, so the same request and seed
give the same bytes. Large outputs stay cheap: only rectangles, one gradient and some text are
drawn at full size, and PNGs are written with a low compression level.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont, ImageOps

Box = tuple[float, float, float, float]

# Input images are kept this small in a spec: enough to be recognisable when scaled up.
_THUMBNAIL_SIDE = 512
_PNG_COMPRESS_LEVEL = 1
_MAX_PROMPT_LINES = 8
_BACKDROP_OPACITY = 0.45
# Text to measure the average character width with, for wrapping.
_SAMPLE = "the quick brown fox jumps over a lazy dog, THEN 12 MORE"


@dataclass(frozen=True)
class RenderSpec:
    """Everything needed to draw the images of one generation, JSON-serialisable."""

    width: int
    height: int
    prompt: str
    seed: int
    count: int
    sequential: bool = False
    watermark: bool = False
    # (hex, hundredths of a percent) in request order.
    palette: tuple[tuple[str, int], ...] = ()
    # Downscaled PNGs: the image being edited (or the last one) and the first reference.
    backdrop: bytes | None = None
    reference: bytes | None = None
    # Bounding boxes as fractions (x1, y1, x2, y2) of the backdrop, i.e. of the output.
    boxes: tuple[Box, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        def b64(data: bytes | None) -> str | None:
            return None if data is None else base64.b64encode(data).decode("ascii")

        return {
            "width": self.width,
            "height": self.height,
            "prompt": self.prompt,
            "seed": self.seed,
            "count": self.count,
            "sequential": self.sequential,
            "watermark": self.watermark,
            "palette": [list(c) for c in self.palette],
            "backdrop": b64(self.backdrop),
            "reference": b64(self.reference),
            "boxes": [list(b) for b in self.boxes],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RenderSpec:
        def unb64(value: object) -> bytes | None:
            return None if value is None else base64.b64decode(str(value))

        return cls(
            width=int(data["width"]),  # type: ignore[arg-type]
            height=int(data["height"]),  # type: ignore[arg-type]
            prompt=str(data["prompt"]),
            seed=int(data["seed"]),  # type: ignore[arg-type]
            count=int(data["count"]),  # type: ignore[arg-type]
            sequential=bool(data.get("sequential")),
            watermark=bool(data.get("watermark")),
            palette=tuple((str(h), int(r)) for h, r in data.get("palette") or []),  # type: ignore[union-attr]
            backdrop=unb64(data.get("backdrop")),
            reference=unb64(data.get("reference")),
            boxes=tuple(tuple(float(v) for v in b) for b in data.get("boxes") or []),  # type: ignore[union-attr, misc]
        )


def derive_seed(body: object, *, upper: int) -> int:
    """A seed for a request that gave none: stable for the same body (0 ≤ seed ≤ upper)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (upper + 1)


def thumbnail_png(data: bytes) -> bytes:
    """An input image made small and opaque, for a spec that may be persisted."""
    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
        img.thumbnail((_THUMBNAIL_SIDE, _THUMBNAIL_SIDE))
        out = io.BytesIO()
        img.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
        return out.getvalue()


def layout_inputs(
    images: Sequence[tuple[bytes, int, int]],
    boxes: Sequence[Sequence[Sequence[int]]],
) -> tuple[bytes | None, bytes | None, tuple[Box, ...]]:
    """(backdrop, reference, boxes as fractions) from the input images and their bbox_list.

    `images` holds (bytes, width, height). With boxes, the first image that has boxes is the one
    being edited: it becomes the backdrop and the first image is pasted into its boxes. Without
    boxes the last image (the one whose aspect the output takes) is the backdrop.
    """
    if not images:
        return None, None, ()
    for i, image_boxes in enumerate(boxes):
        if image_boxes and i < len(images):
            data, w, h = images[i]
            fractions = tuple((x1 / w, y1 / h, x2 / w, y2 / h) for x1, y1, x2, y2 in image_boxes)
            return thumbnail_png(data), thumbnail_png(images[0][0]), fractions
    return thumbnail_png(images[-1][0]), None, ()


def render_png(spec: RenderSpec, index: int) -> bytes:
    """The PNG bytes of image `index` (0-based) of a generation."""
    size = (spec.width, spec.height)
    rng = random.Random(spec.seed * 1009 + index)
    canvas = _palette_bands(spec, index) if spec.palette else _gradient(size, rng)
    if spec.backdrop is not None:
        backdrop = _open_rgb(spec.backdrop).resize(size, Image.Resampling.BILINEAR)
        canvas = Image.blend(canvas, backdrop, _BACKDROP_OPACITY if not spec.boxes else 0.8)
    draw = ImageDraw.Draw(canvas)
    if spec.reference is not None:
        _paste_into_boxes(canvas, draw, spec)
    unit = max(10, min(size) // 40)
    _draw_prompt(draw, spec.prompt, size, unit)
    _draw_labels(draw, spec, index, size, unit)
    out = io.BytesIO()
    canvas.save(out, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _open_rgb(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB")


def _palette_bands(spec: RenderSpec, index: int) -> Image.Image:
    """Horizontal bands, each as tall as its colour's ratio; later images rotate the order."""
    width, height = spec.width, spec.height
    canvas = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(canvas)
    colours = list(spec.palette)
    shift = index % len(colours)
    colours = colours[shift:] + colours[:shift]
    total = sum(r for _, r in colours) or 1
    top, acc = 0, 0
    for hex_colour, hundredths in colours:
        acc += hundredths
        bottom = round(height * acc / total)
        if bottom > top:
            draw.rectangle((0, top, width - 1, bottom - 1), fill=hex_colour)
        top = bottom
    return canvas


def _gradient(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A two-colour linear gradient at a seed-chosen angle."""
    start = tuple(rng.randrange(40, 216) for _ in range(3))
    end = tuple(rng.randrange(40, 216) for _ in range(3))
    ramp = Image.linear_gradient("L").resize((512, 512))
    ramp = ramp.rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR)
    # The centre of a rotated square is always covered; 362 ≈ 512 / √2.
    ramp = ramp.crop((75, 75, 437, 437)).resize(size, Image.Resampling.BILINEAR)
    return ImageOps.colorize(ramp, black=start, white=end)  # type: ignore[arg-type]


def _paste_into_boxes(canvas: Image.Image, draw: ImageDraw.ImageDraw, spec: RenderSpec) -> None:
    assert spec.reference is not None
    reference = _open_rgb(spec.reference)
    outline = max(2, min(spec.width, spec.height) // 256)
    for fx1, fy1, fx2, fy2 in spec.boxes:
        x1, y1 = round(fx1 * spec.width), round(fy1 * spec.height)
        x2, y2 = round(fx2 * spec.width), round(fy2 * spec.height)
        x1, x2 = sorted((max(0, min(spec.width, x1)), max(0, min(spec.width, x2))))
        y1, y2 = sorted((max(0, min(spec.height, y1)), max(0, min(spec.height, y2))))
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        canvas.paste(reference.resize((x2 - x1, y2 - y1), Image.Resampling.BILINEAR), (x1, y1))
        draw.rectangle((x1, y1, x2 - 1, y2 - 1), outline="#ff3b30", width=outline)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _draw_prompt(draw: ImageDraw.ImageDraw, prompt: str, size: tuple[int, int], unit: int) -> None:
    width, height = size
    font_size = max(12, round(unit * 1.4))
    font = _font(font_size)
    average = font.getlength(_SAMPLE) / len(_SAMPLE)
    columns = max(8, int((width - 4 * unit) / average))
    lines = textwrap.wrap(" ".join(prompt.split()), width=columns) or [""]
    if len(lines) > _MAX_PROMPT_LINES:
        lines = [*lines[: _MAX_PROMPT_LINES - 1], lines[_MAX_PROMPT_LINES - 1][: columns - 1] + "…"]
    line_height = round(font_size * 1.25)
    y = max(2 * unit, (height - line_height * len(lines)) // 2)
    for line in lines:
        draw.text(
            (2 * unit, y),
            line,
            font=font,
            fill="#ffffff",
            stroke_width=max(1, font_size // 12),
            stroke_fill="#1c1c1e",
        )
        y += line_height


def _draw_labels(
    draw: ImageDraw.ImageDraw, spec: RenderSpec, index: int, size: tuple[int, int], unit: int
) -> None:
    width, height = size
    font = _font(unit)
    margin = unit // 2
    _label(draw, (margin, margin), "EMULATOR", font, anchor="la")
    _label(draw, (width - margin, margin), f"{index + 1}/{spec.count}", font, anchor="ra")
    if spec.sequential:
        _label(draw, (margin, height - margin), f"Frame {index + 1} of {spec.count}", font, anchor="ld")
    if spec.watermark:
        # Reference: 002, watermark — "AI Generated" in the bottom-right corner.
        _label(
            draw,
            (width - margin, height - margin),
            "AI Generated",
            _font(round(unit * 1.2)),
            anchor="rd",
        )


def _label(
    draw: ImageDraw.ImageDraw,
    xy: tuple[int, int],
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    *,
    anchor: str,
) -> None:
    """Text on a dark plate, readable on any background."""
    left, top, right, bottom = draw.textbbox(xy, text, font=font, anchor=anchor)
    pad = max(2, (bottom - top) // 4)
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill="#1c1c1e")
    draw.text(xy, text, font=font, fill="#ffffff", anchor=anchor)
