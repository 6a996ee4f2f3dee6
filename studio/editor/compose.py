"""From what a person typed to a request the provider will accept, or to messages saying why not.

Each message names the field as the page labels it ("Number of images", "Image 2, box 1") and
the limit it breaks. Field-level parsing happens here; every documented rule is then checked
once more by the protocol's validator (studio.wan.validator), whose paths are translated into
the page's labels.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from studio.editor import palette as palettes
from studio.editor.models import Draft, DraftReference
from studio.pipeline.jobs import ReferenceImage
from studio.wan.capabilities import MODELS, Mode, ModelCapabilities, get_model, mode_for
from studio.wan.request import GenerationRequest, ImageInput, PaletteColor
from studio.wan.validator import validate_request

CUSTOM = "custom"
BOX_FIELDS = ("x1", "y1", "x2", "y2")


@dataclass(frozen=True)
class FieldError:
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


@dataclass
class Composed:
    """A checked request with its references, or the errors that stop it."""

    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    request: GenerationRequest | None = None
    references: list[ReferenceImage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.request is not None


@dataclass(frozen=True)
class Settings:
    """The draft's parameter fields with defaults filled in, still as typed."""

    size_preset: str
    width: str
    height: str
    n: str
    sequential: bool
    thinking_mode: bool
    watermark: bool
    seed: str


def settings_of(draft: Draft) -> Settings:
    caps = model_of(draft)
    f = draft.fields
    return Settings(
        size_preset=str(f.get("size_preset") or caps.size.default_preset),
        width=str(f.get("width", "")),
        height=str(f.get("height", "")),
        n=str(f.get("n") or "1"),
        sequential=bool(f.get("sequential")) and caps.supports_sequential,
        thinking_mode=bool(f.get("thinking_mode", True)),
        watermark=bool(f.get("watermark", False)),
        seed=str(f.get("seed", "")),
    )


def model_of(draft: Draft) -> ModelCapabilities:
    return MODELS.get(draft.model) or get_model(Draft._meta.get_field("model").default)


def mode_of(draft: Draft, references: list[DraftReference] | None = None) -> Mode:
    count = len(references) if references is not None else draft.references.count()
    return mode_for(image_count=count, sequential=settings_of(draft).sequential)


def thinking_applies(draft: Draft, references: list[DraftReference] | None = None) -> bool:
    # Reference: 002, thinking_mode — only without input images and without image sets.
    return model_of(draft).supports_thinking_mode and mode_of(draft, references) is Mode.TEXT_TO_IMAGE


def palette_allowed(draft: Draft) -> bool:
    # Reference: 002, color_palette — not available with enable_sequential.
    return model_of(draft).palette is not None and not settings_of(draft).sequential


def compose(draft: Draft, *, seed_source: random.Random | None = None) -> Composed:
    """Check everything and build the request; every problem found is reported at once."""
    caps = model_of(draft)
    opts = settings_of(draft)
    refs = draft.ordered_references()
    out = Composed()
    errors = out.errors

    prompt = draft.prompt.strip()
    if not prompt:
        errors.append(FieldError("Prompt", "write what to generate, or how to change the images"))
    n = _whole(opts.n, "Number of images", errors)
    seed = _whole(opts.seed, "Seed", errors) if opts.seed.strip() else None
    size = _size(opts, caps, errors)
    boxes = [_boxes_of(ref, i, errors) for i, ref in enumerate(refs)]
    colours = _palette(draft, caps, errors) if draft.palette_enabled and palette_allowed(draft) else ()
    if errors:
        return out

    if seed is None:
        # The studio picks the seed so every job records one and can be reproduced.
        seed = (seed_source or random.SystemRandom()).randint(caps.seed.lo, caps.seed.hi)
    references = [_reference_image(ref, ref_boxes) for ref, ref_boxes in zip(refs, boxes, strict=True)]
    request = GenerationRequest(
        model=caps.name,
        prompt=prompt,
        images=tuple(ImageInput(data=r.content, mime=r.mime, width=r.width, height=r.height) for r in references),
        boxes=tuple(r.boxes for r in references) if any(boxes) else (),
        color_palette=colours,
        size=size,
        n=n,
        enable_sequential=opts.sequential,
        thinking_mode=opts.thinking_mode if thinking_applies(draft, refs) else None,
        watermark=opts.watermark if caps.supports_watermark else None,
        seed=seed,
    )
    report = validate_request(request)
    errors.extend(FieldError(label_for(p.path, len(refs)), p.message) for p in report.problems)
    if not errors:
        out.request = request
        out.references = references
    return out


def _whole(text: str, label: str, errors: list[FieldError]) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]+", text, re.ASCII):
        return int(text)
    errors.append(FieldError(label, f"“{text}” is not a whole number" if text else "is required"))
    return None


def _size(opts: Settings, caps: ModelCapabilities, errors: list[FieldError]) -> str | None:
    if opts.size_preset != CUSTOM:
        return opts.size_preset
    width = _whole(opts.width, "Width", errors)
    height = _whole(opts.height, "Height", errors)
    if width is None or height is None:
        return None
    return f"{width}*{height}"


def _boxes_of(ref: DraftReference, index: int, errors: list[FieldError]) -> tuple[tuple[int, int, int, int], ...]:
    boxes = []
    for slot, values in enumerate(ref.boxes):
        label = f"Image {index + 1}, box {slot + 1}"
        typed = [str(v).strip() for v in values]
        if not any(typed):
            continue
        if not all(typed):
            missing = ", ".join(name for name, v in zip(BOX_FIELDS, typed, strict=True) if not v)
            errors.append(FieldError(label, f"fill in all of x1, y1, x2, y2 or none ({missing} missing)"))
            continue
        numbers = [_whole(v, f"{label} {name}", errors) for name, v in zip(BOX_FIELDS, typed, strict=True)]
        if None not in numbers:
            boxes.append(tuple(numbers))
    return tuple(boxes)


def _palette(draft: Draft, caps: ModelCapabilities, errors: list[FieldError]) -> tuple[PaletteColor, ...]:
    swatches: list[tuple[str, int]] = []
    for i, entry in enumerate(draft.palette):
        hex_text = str(entry.get("hex", ""))
        percent_text = str(entry.get("percent", ""))
        hex_value = palettes.normalize_hex(hex_text)
        hundredths = palettes.parse_percent(percent_text)
        if hex_value is None:
            errors.append(FieldError(f"Palette colour {i + 1}", f"“{hex_text}” is not a hex colour like #1A2B3C"))
        if hundredths is None:
            errors.append(
                FieldError(f"Palette colour {i + 1}", f"ratio “{percent_text}” is not a percentage like 25.00")
            )
        swatches.append((hex_value or hex_text, hundredths or 0))
    if any(e.label.startswith("Palette") for e in errors):
        return ()
    for message in palettes.validate_palette(swatches, model=caps.name):
        label, _, rest = message.partition(": ")
        errors.append(FieldError(label, rest) if rest else FieldError("Palette", message))
    return tuple(PaletteColor(hex=h, hundredths=r) for h, r in swatches)


def _reference_image(ref: DraftReference, boxes) -> ReferenceImage:
    with ref.file.open("rb") as handle:
        content = handle.read()
    return ReferenceImage(content=content, mime=ref.mime, width=ref.width, height=ref.height, boxes=boxes)


_PARAMETER_LABELS = {
    "size": "Size",
    "n": "Number of images",
    "seed": "Seed",
    "enable_sequential": "Image set",
    "thinking_mode": "Thinking mode",
    "watermark": "Watermark",
    "color_palette": "Palette",
    "bbox_list": "Boxes",
}


def label_for(path: str, image_count: int) -> str:
    """A validator path in the words of the page: 'parameters.bbox_list[1][0]' -> 'Image 2, box 1'."""
    if match := re.match(r"parameters\.bbox_list\[(\d+)\](?:\[(\d+)\])?", path):
        image, box = match.groups()
        return f"Image {int(image) + 1}, box {int(box) + 1}" if box else f"Boxes of image {int(image) + 1}"
    if match := re.match(r"parameters\.color_palette\[(\d+)\]", path):
        return f"Palette colour {int(match[1]) + 1}"
    if match := re.match(r"parameters\.(\w+)", path):
        return _PARAMETER_LABELS.get(match[1], match[1])
    if match := re.match(r"input\.messages\[0\]\.content\[(\d+)\]", path):
        index = int(match[1])
        return f"Image {index + 1}" if index < image_count else "Prompt"
    if path.startswith("input"):
        return "Reference images"
    return {"model": "Model"}.get(path, path)
