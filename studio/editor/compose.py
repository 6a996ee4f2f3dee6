"""From what a person typed to a request the provider will accept, or to messages saying why not.

Each message names the field as the page labels it ("Number of images", "Image 2, box 1") and
the limit it breaks. Field-level parsing happens here; every documented rule is then checked by
the job gate (studio.pipeline.jobs.job_create), whose problems are translated into the page's
labels by field_errors (studio.editor.labels).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studio.editor import palette as palettes
# Read as compose.X by the views, refusals and presenters: the labels belong to composing.
from studio.editor.labels import PARAMETER_LABELS, FieldError, field_errors, label_for  # noqa: F401
from studio.editor.models import Draft, DraftReference
from studio.pipeline.gate import (
    GenerationRequest,
    PaletteColor,
    ReferenceImage,
    request_with_references,
)
from studio.wan.capabilities import (
    BY_NAME,
    EXPAND_SCALES,
    MODELS,
    PARAMETERS,
    EditFunction,
    Mode,
    ModelCapabilities,
    Parameter,
    get_model,
    mode_for,
    parameters_of,
)

CUSTOM = "custom"
# The size option that sends no size, so the output follows the last reference (wan2.5).
AUTO = "auto"
BOX_FIELDS = ("x1", "y1", "x2", "y2")
# Our own choice, not the API's (it documents no minimum): a smaller box is almost surely a slip.
# The box editor draws no smaller; this holds for boxes typed in or sent by other means.
BOX_MIN_SIDE = 8


@dataclass
class Composed:
    """A request with its references, ready for the job gate, or the errors that stop it."""

    errors: list[FieldError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What the draft holds that the chosen model does not take: kept, but not sent.
    dropped: list[str] = field(default_factory=list)
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
    negative_prompt: str = ""
    prompt_extend: bool = True
    interleave: bool = False
    max_images: str = ""
    function: str = ""
    strength: str = ""
    scales: tuple[str, str, str, str] = ("", "", "", "")
    upscale_factor: str = ""
    is_sketch: bool = False
    style: str = ""


def _size_default(caps: ModelCapabilities) -> str:
    if caps.size is None:
        return ""
    return AUTO if caps.size.follows_input_aspect else caps.size.default


def settings_of(draft: Draft) -> Settings:
    caps = model_of(draft)
    f = draft.fields
    preset = str(f.get("size_preset") or "")
    if preset not in {choice for mode in Mode for choice in size_choices(caps, mode)}:
        # A size the newly chosen model does not offer falls back to its default; one it offers
        # in another mode is kept, so the check can say why it does not fit this request.
        preset = _size_default(caps)
    edit = caps.image_edit
    function = str(f.get("function") or "")
    if edit is not None and function not in edit.functions:
        function = next(iter(edit.functions))
    return Settings(
        size_preset=preset,
        width=str(f.get("width", "")),
        height=str(f.get("height", "")),
        n=str(f.get("n") or "1"),
        sequential=bool(f.get("sequential")) and caps.supports_sequential,
        thinking_mode=_flag(f, "thinking_mode"),
        watermark=_flag(f, "watermark"),
        seed=str(f.get("seed", "")),
        negative_prompt=str(f.get("negative_prompt", "")),
        prompt_extend=_flag(f, "prompt_extend"),
        interleave=bool(f.get("interleave")) and caps.interleave is not None,
        max_images=str(f.get("max_images", "")),
        function=function,
        strength=str(f.get("strength", "")),
        scales=tuple(str(f.get(name, "")) for name in EXPAND_SCALES),  # type: ignore[arg-type]
        upscale_factor=str(f.get("upscale_factor", "")),
        is_sketch=_flag(f, "is_sketch"),
        style=str(f.get("style", "")),
    )


def _flag(fields: dict, name: str) -> bool:
    """A checkbox as the draft holds it; never touched, it is what the model does by default."""
    parameter = BY_NAME[name]
    return bool(fields.get(parameter.field, parameter.default))


def edit_function(caps: ModelCapabilities, opts: Settings) -> EditFunction | None:
    """The wanx2.1 function chosen (settings_of always holds one of the model's), else None."""
    return caps.image_edit.functions[opts.function] if caps.image_edit else None


def size_choices(caps: ModelCapabilities, mode: Mode) -> list[str]:
    """The size options the editor offers for a model in a mode, in order."""
    rules = caps.size
    if rules is None:
        return [""]
    choices = [AUTO] if rules.follows_input_aspect else []
    choices += rules.presets_for(mode) + list(rules.fixed)
    if not rules.presets_for(mode) and not rules.fixed and not rules.follows_input_aspect:
        choices.append(rules.default)
    if rules.pixels_for(mode) is not None and not rules.fixed:
        choices.append(CUSTOM)
    return choices


def model_of(draft: Draft) -> ModelCapabilities:
    return MODELS.get(draft.model) or get_model(Draft._meta.get_field("model").default)


def mode_of(draft: Draft, references: list[DraftReference] | None = None) -> Mode:
    count = len(references) if references is not None else draft.references.count()
    opts = settings_of(draft)
    return mode_for(image_count=count, sequential=opts.sequential, interleave=opts.interleave)


def thinking_applies(draft: Draft, references: list[DraftReference] | None = None) -> bool:
    # Reference: 002, thinking_mode — only without input images and without image sets.
    return model_of(draft).supports_thinking_mode and mode_of(draft, references) is Mode.TEXT_TO_IMAGE


def palette_allowed(draft: Draft) -> bool:
    # Reference: 002, color_palette — not available with enable_sequential.
    return model_of(draft).palette is not None and not settings_of(draft).sequential


def compose(draft: Draft, *, seed_source: random.Random | None = None) -> Composed:
    """Read every field and build the request; every problem found is reported at once (the
    documented rules are the job gate's: see field_errors)."""
    caps = model_of(draft)
    opts = settings_of(draft)
    refs = draft.ordered_references()
    out = Composed(dropped=dropped(draft, refs))
    if caps.images.count.hi == 0:
        refs = []  # a text-to-image model: the references stay in the draft, unsent
    errors = out.errors
    function = edit_function(caps, opts)

    prompt = draft.prompt.strip()
    if not prompt and not caps.prompt_optional:
        errors.append(FieldError(_("Prompt"), _("write what to generate, or how to change the images")))
    if function is not None and function.styles:
        prompt = _with_style(prompt, opts.style, function.styles, errors)
    n = None
    if caps.n is not None and not opts.interleave:
        n = fixed_n(caps, opts) or _whole(opts.n, _("Number of images"), errors)
    max_images = None
    if opts.interleave and caps.interleave is not None:
        max_images = _whole(opts.max_images or str(caps.interleave.max_images_default), _("Images in the answer"), errors)
    seed = _whole(opts.seed, _("Seed"), errors) if opts.seed.strip() else None
    size = _size(opts, caps, errors) if caps.size is not None else None
    boxes = [_boxes_of(ref, i, errors) if caps.supports_bbox else () for i, ref in enumerate(refs)]
    colours = _palette(draft, caps, errors) if draft.palette_enabled and palette_allowed(draft) else ()
    edit = _edit_options(opts, function, errors)
    mask = None
    if function is not None and function.needs_mask:
        if not refs or not refs[0].mask:
            errors.append(FieldError("Mask", "paint the area to change on image 1 (white is edited)"))
        else:
            with refs[0].mask.open("rb") as handle:
                mask = handle.read()
    if errors:
        return out

    if seed is None:
        # The studio picks the seed so every job records one and can be reproduced.
        seed = (seed_source or random.SystemRandom()).randint(caps.seed.lo, caps.seed.hi)
    takes = {p.name for p in parameters_of(caps)}
    references = [
        _reference_image(ref, ref_boxes, mask if i == 0 else None)
        for i, (ref, ref_boxes) in enumerate(zip(refs, boxes, strict=True))
    ]
    request = GenerationRequest(
        model=caps.name,
        prompt=prompt,
        color_palette=colours,
        size=size,
        n=n,
        enable_sequential=opts.sequential,
        thinking_mode=opts.thinking_mode if thinking_applies(draft, refs) else None,
        watermark=opts.watermark if "watermark" in takes else None,
        seed=seed,
        negative_prompt=(opts.negative_prompt.strip() or None) if "negative_prompt" in takes else None,
        prompt_extend=opts.prompt_extend if "prompt_extend" in takes and not opts.interleave else None,
        enable_interleave=opts.interleave,
        max_images=max_images,
        function=function.name if function else None,
        **edit,
    )
    # The references carry the images, their boxes and the mask; the job gate checks the rest.
    out.request = request_with_references(request, references)
    out.references = references
    return out


def fixed_n(caps: ModelCapabilities, opts: Settings) -> int | None:
    """The one number of images a model makes (qwen-image-plus/max: n "is fixed at 1"), else None."""
    if caps.n is None:
        return 1
    allowed = caps.n_range(sequential=opts.sequential)
    return allowed.lo if allowed.lo == allowed.hi else None


def dropped(draft: Draft, refs: list[DraftReference]) -> list[str]:
    """What the draft holds that its model does not take: kept in the draft, not sent."""
    caps = model_of(draft)
    f = draft.fields
    out: list[str] = []
    if refs and caps.images.count.hi == 0:
        out.append(
            ngettext(
                "%(count)s reference image (%(model)s is text-to-image)",
                "%(count)s reference images (%(model)s is text-to-image)",
                len(refs),
            )
            % {"count": len(refs), "model": caps.label}
        )
    if not caps.supports_bbox:
        with_boxes = [i for i, ref in enumerate(refs, start=1) if any(any(str(v).strip() for v in b) for b in ref.boxes)]
        if with_boxes:
            out.append(_("boxes on image %(numbers)s") % {"numbers": ", ".join(str(i) for i in with_boxes)})
    if draft.palette_enabled and caps.palette is None:
        out.append(_("the colour palette"))
    if f.get("sequential") and not caps.supports_sequential:
        out.append(_("image set (sequential)"))
    if str(f.get("negative_prompt", "")).strip() and caps.negative_prompt_max_chars is None:
        out.append(_("the negative prompt"))
    if f.get("watermark") and not caps.supports_watermark:
        out.append(_("watermark"))
    if f.get("interleave") and caps.interleave is None:
        out.append(_("interleaved text and images"))
    one = fixed_n(caps, settings_of(draft))
    if one is not None and str(f.get("n") or one) != str(one) and not (f.get("interleave") and caps.interleave):
        out.append(_("%(n)s images (%(model)s makes %(one)s per request)") % {"n": f.get("n"), "model": caps.label, "one": one})
    function = edit_function(caps, settings_of(draft))
    if any(ref.mask for ref in refs) and not (function and function.needs_mask):
        out.append(_("the mask on image 1"))
    return out


def _with_style(prompt: str, style: str, styles: dict[str, str], errors: list[FieldError]) -> str:
    # Reference: 001, local stylization — the style is named in the prompt by its value.
    if style not in styles:
        errors.append(FieldError(_("Style"), _("choose one of: %(styles)s") % {"styles": ", ".join(styles.values())}))
        return prompt
    if style in prompt.lower():
        return prompt
    return f"{prompt}, in {style} style" if prompt else f"Change the subject to {style} style"


def _number(text: str, label: str, errors: list[FieldError]) -> float | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text, re.ASCII):
        return float(text)
    errors.append(FieldError(label, _("“%(text)s” is not a number like 1.5") % {"text": text}))
    return None


def _edit_options(opts: Settings, function: EditFunction | None, errors: list[FieldError]) -> dict[str, object]:
    """wanx2.1's paired parameters, only for the function that takes each; empty means the default."""
    options: dict[str, object] = {}
    if function is None:
        return options
    for parameter in PARAMETERS:
        if parameter.function_flag is None or not getattr(function, parameter.function_flag):
            continue
        typed = typed_value(opts, parameter)
        if parameter.kind is bool:
            options[parameter.name] = typed
        elif str(typed).strip():
            read = _number if parameter.kind is float else _whole
            options[parameter.name] = read(str(typed), parameter.label, errors)
    return options


def typed_value(opts: Settings, parameter: Parameter) -> object:
    """What the draft holds for a parameter, as Settings keeps it (the four scales in one tuple)."""
    if parameter.name in EXPAND_SCALES:
        return opts.scales[EXPAND_SCALES.index(parameter.name)]
    return getattr(opts, parameter.field)


def _whole(text: str, label: str, errors: list[FieldError]) -> int | None:
    text = text.strip()
    if re.fullmatch(r"[0-9]+", text, re.ASCII):
        return int(text)
    errors.append(FieldError(label, _("“%(text)s” is not a whole number") % {"text": text} if text else _("is required")))
    return None


def _size(opts: Settings, caps: ModelCapabilities, errors: list[FieldError]) -> str | None:
    if opts.size_preset == AUTO:
        return None
    if opts.size_preset != CUSTOM:
        return opts.size_preset
    width = _whole(opts.width, _("Width"), errors)
    height = _whole(opts.height, _("Height"), errors)
    if width is None or height is None:
        return None
    return f"{width}*{height}"


def _boxes_of(ref: DraftReference, index: int, errors: list[FieldError]) -> tuple[tuple[int, int, int, int], ...]:
    boxes = []
    for slot, values in enumerate(ref.boxes):
        label = _("Image %(number)s, box %(box)s") % {"number": index + 1, "box": slot + 1}
        typed = [str(v).strip() for v in values]
        if not any(typed):
            continue
        if not all(typed):
            missing = ", ".join(name for name, v in zip(BOX_FIELDS, typed, strict=True) if not v)
            errors.append(FieldError(label, _("fill in all of x1, y1, x2, y2 or none (%(missing)s missing)") % {"missing": missing}))
            continue
        numbers = [_whole(v, f"{label} {name}", errors) for name, v in zip(BOX_FIELDS, typed, strict=True)]
        if None in numbers:
            continue
        x1, y1, x2, y2 = numbers
        if x1 < x2 and y1 < y2 and min(x2 - x1, y2 - y1) < BOX_MIN_SIDE:
            # Reversed corners are the validator's to name; this is only about a slip-sized box.
            errors.append(
                FieldError(
                    label,
                    _("%(width)s×%(height)s px is too small: a box is at least %(min)s px on each side")
                    % {"width": x2 - x1, "height": y2 - y1, "min": BOX_MIN_SIDE},
                )
            )
            continue
        boxes.append(tuple(numbers))
    return tuple(boxes)


def _palette(draft: Draft, caps: ModelCapabilities, errors: list[FieldError]) -> tuple[PaletteColor, ...]:
    swatches: list[tuple[str, int]] = []
    typed_wrong = False
    for i, entry in enumerate(draft.palette):
        label = _("Palette colour %(number)s") % {"number": i + 1}
        hex_text = str(entry.get("hex", ""))
        percent_text = str(entry.get("percent", ""))
        hex_value = palettes.normalize_hex(hex_text)
        hundredths = palettes.parse_percent(percent_text)
        if hex_value is None:
            typed_wrong = True
            errors.append(FieldError(label, _("“%(text)s” is not a hex colour like #1A2B3C") % {"text": hex_text}))
        if hundredths is None:
            typed_wrong = True
            errors.append(FieldError(label, _("ratio “%(text)s” is not a percentage like 25.00") % {"text": percent_text}))
        swatches.append((hex_value or hex_text, hundredths or 0))
    if typed_wrong:
        return ()
    for message in palettes.validate_palette(swatches, model=caps.name):
        # The palette's messages start with the field they are about ("Palette colour 2: ...").
        label, _sep, rest = message.partition(": ")
        errors.append(FieldError(label, rest) if rest else FieldError(_("Palette"), message))
    return tuple(PaletteColor(hex=h, hundredths=r) for h, r in swatches)


def _reference_image(ref: DraftReference, boxes, mask: bytes | None = None) -> ReferenceImage:
    with ref.file.open("rb") as handle:
        content = handle.read()
    return ReferenceImage(
        content=content, mime=ref.mime, width=ref.width, height=ref.height, boxes=boxes, mask=mask,
        source_image_id=ref.source_image_id,
    )
