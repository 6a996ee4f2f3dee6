"""What the editor's templates show, computed from a draft (no request, no side effects)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.text import get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from studio.accounting import prices
from studio.editor import compose, palette
from studio.editor.models import Draft, DraftReference
from studio.numbers import parse_whole
from studio.pipeline import gate, provider
from studio.pipeline.images import side_advice
from studio.pipeline.models import Job
from studio.pipeline.problem_text import said_text
from studio.wan.capabilities import (
    EXPAND_SCALES,
    MODELS,
    OPTIONS,
    PARAMETERS,
    BodyShape,
    Mode,
    ModelCapabilities,
    browser_limits,
    parameters_of,
)


@dataclass(frozen=True)
class BoxSlot:
    index: int
    values: dict[str, str]


@dataclass(frozen=True)
class ReferenceCard:
    ref: DraftReference
    number: int
    slots: list[BoxSlot]
    # What the chosen model's reference advises against but takes (sent anyway).
    warnings: tuple[str, ...] = ()

    @property
    def box_count(self) -> int:
        """Boxes with anything typed in, as the filmstrip counts them (box-editor.js keeps it current)."""
        return sum(1 for slot in self.slots if any(v.strip() for v in slot.values.values()))


def reference_cards(draft: Draft, refs: list[DraftReference]) -> list[ReferenceCard]:
    caps = compose.model_of(draft)
    slots = caps.max_boxes_per_image or 0
    cards = []
    for number, ref in enumerate(refs, start=1):
        stored = list(ref.boxes) + [[]] * slots
        cards.append(
            ReferenceCard(
                ref=ref,
                number=number,
                slots=[
                    BoxSlot(i, dict(zip(compose.BOX_FIELDS, [str(v) for v in (stored[i] or ["", "", "", ""])], strict=True)))
                    for i in range(slots)
                ],
                warnings=tuple(said_text(w) for w in side_advice(ref.width, ref.height, caps.images)) if caps.images.count.hi else (),
            )
        )
    return cards


def references_over(draft: Draft, refs: list[DraftReference], most: int) -> str:
    """Why Generate is refused when the draft holds more references than the model takes."""
    if not most or len(refs) <= most:
        return ""
    first, last = most + 1, len(refs)
    values = {"model": compose.model_of(draft).label, "most": most, "first": first, "last": last}
    if first == last:
        return ngettext(
            "%(model)s takes at most %(most)s reference image here: remove image %(first)s to generate.",
            "%(model)s takes at most %(most)s reference images here: remove image %(first)s to generate.",
            most,
        ) % values
    return ngettext(
        "%(model)s takes at most %(most)s reference image here: remove images %(first)s–%(last)s to generate.",
        "%(model)s takes at most %(most)s reference images here: remove images %(first)s–%(last)s to generate.",
        most,
    ) % values


def model_limits(caps: ModelCapabilities, opts: compose.Settings) -> str:
    """What a model does not take that others do, said once instead of hiding the controls silently."""
    parts = []
    one = compose.fixed_n(caps, opts)
    if one is not None and not opts.interleave:
        parts.append(ngettext("makes %(n)s image per request", "makes %(n)s images per request", one) % {"n": one})
    if caps.size is None and caps.output_pixels is not None:
        parts.append(_("takes no size (the image is shaped like the last reference)"))
    if not caps.supports_prompt_extend and caps.body_shape is not BodyShape.IMAGE_EDIT:
        parts.append(_("does no prompt rewriting"))
    if not parts:
        return ""
    # "X makes 1 image per request, takes no size and does no prompt rewriting."
    return _("%(model)s %(limits)s.") % {"model": caps.label, "limits": get_text_list(parts, _("and"))}


def layout_key(draft: Draft) -> tuple:
    """What decides the layout of the parameter and palette parts; when it changes they are redrawn."""
    opts = compose.settings_of(draft)
    return (
        draft.model,
        opts.sequential,
        opts.size_preset == compose.CUSTOM,
        compose.mode_of(draft),
        draft.palette_enabled,
        opts.interleave,
        opts.function,
    )


_SIZE_LABELS = {
    compose.AUTO: gettext_lazy("Automatic (follows the last reference)"),
    compose.CUSTOM: gettext_lazy("Custom width × height"),
}


def size_options(caps, mode: Mode) -> list[tuple[str, str]]:
    """(value, label) of every size the editor offers for the model in this mode."""
    default = caps.size.default if caps.size else ""
    return [(value, _size_label(value, default)) for value in compose.size_choices(caps, mode)]


def _size_label(value: str, default: str) -> str:
    if value in _SIZE_LABELS:
        return str(_SIZE_LABELS[value])
    label = value.replace("*", " × ")
    return _("%(size)s (default)") % {"size": label} if value == default and "*" in value else label


def editor_context(draft: Draft) -> dict[str, object]:
    caps = compose.model_of(draft)
    opts = compose.settings_of(draft)
    refs = draft.ordered_references()
    mode = compose.mode_of(draft, refs)
    n_range = caps.n_range(sequential=opts.sequential)
    n_value = compose.fixed_n(caps, opts) or parse_whole(opts.n)
    # In emulator mode nothing is billed, but the line still shows what the real service would cost.
    estimate = prices.estimate(
        model=caps.name,
        region=settings.DASHSCOPE_REGION,
        n=n_value,
        sequential=opts.sequential,
        interleave=opts.interleave,
        max_images=parse_whole(opts.max_images),
    )
    pixels = caps.size.pixels_for(mode) if caps.size else None
    function = compose.edit_function(caps, opts)
    hundredths = [palette.parse_percent(row.get("percent", "")) for row in draft.palette]
    total = sum(h for h in hundredths if h is not None)
    rules = caps.palette
    return {
        "draft": draft,
        "box_min_side": compose.BOX_MIN_SIDE,
        "caps": caps,
        "caps_json": browser_limits(caps),
        "models": list(MODELS.values()),
        "opts": opts,
        "cards": reference_cards(draft, refs),
        "can_add_references": len(refs) < caps.image_count(mode).hi,
        "max_references": caps.image_count(mode).hi,
        "mode": mode.value,
        "size_options": size_options(caps, mode),
        "presets": caps.size.presets_for(mode) if caps.size else [],
        "custom_pixels": pixels,
        "function": function,
        "expand_fields": [
            (name, compose.PARAMETER_LABELS[name], value) for name, value in zip(EXPAND_SCALES, opts.scales, strict=True)
        ],
        "dropped": compose.dropped(draft, refs),
        "region": settings.DASHSCOPE_REGION,
        "region_ok": provider.serving_region() is None or caps.available_in(settings.DASHSCOPE_REGION),
        "n_range": n_range,
        "thinking_applies": compose.thinking_applies(draft, refs),
        "palette_allowed": compose.palette_allowed(draft),
        "palette_rows": draft.palette,
        "palette_total": palette.format_percent(total),
        "palette_remaining": _signed_percent(rules.total_hundredths - total) if rules else "",
        "palette_exact": rules is not None and total == rules.total_hundredths and None not in hundredths,
        "palette_rules": rules,
        "estimate": estimate,
        "preview": json.dumps(request_preview(draft, refs), indent=2, ensure_ascii=False),
        "custom_sides": tuple(math.isqrt(v) for v in (pixels.lo, pixels.hi)) if pixels else (),
        "custom_side": caps.size.custom_side if caps.size else None,
        "n_fixed": compose.fixed_n(caps, opts),
        "model_limits": model_limits(caps, opts),
        "references_over": references_over(draft, refs, caps.image_count(mode).hi),
        "prompt_note": _prompt_note(draft, caps),
        "last_seed": _last_seed(draft),
    }


def _prompt_note(draft: Draft, caps: ModelCapabilities) -> str:
    length = len(draft.prompt.strip())
    if caps.prompt_max_tokens is None or not caps.prompt_max_tokens < length <= caps.prompt_max_chars:
        return ""
    return gettext("The %(note)s; it is sent as it is.") % {"note": said_text(gate.prompt_may_be_cut(length, caps))}


def _last_seed(draft: Draft) -> int | None:
    last = Job.objects.filter(owner_id=draft.owner_id).order_by("-created_at").values_list("parameters", flat=True).first()
    return (last or {}).get("seed")


def _signed_percent(hundredths: int) -> str:
    return ("-" if hundredths < 0 else "") + palette.format_percent(abs(hundredths))


def request_preview(draft: Draft, refs: list[DraftReference]) -> dict[str, object]:
    """The body build_body would send, with images named instead of their data URLs and the
    values as typed (an empty seed is chosen when sent)."""
    caps = compose.model_of(draft)
    opts = compose.settings_of(draft)
    takes = {p.name for p in parameters_of(caps)}
    function = compose.edit_function(caps, opts)
    images = [gate.image_placeholder(f"image {i} ({ref.width}×{ref.height} px, {ref.mime})") for i, ref in enumerate(refs, start=1)]
    if caps.body_shape is BodyShape.IMAGE_EDIT and not images:
        images.append(gate.image_placeholder("(add image 1)"))
    mask = None
    if function is not None and function.needs_mask:
        mask = gate.image_placeholder("mask painted on image 1 (white = edit)" if refs and refs[0].mask else "(paint a mask)")
    boxes = tuple(tuple(_ints(slot) for slot in ref.boxes if any(str(v).strip() for v in slot)) for ref in refs)
    colours = ()
    if draft.palette_enabled and compose.palette_allowed(draft):
        shares = [(row.get("hex"), palette.parse_percent(row.get("percent", ""))) for row in draft.palette]
        colours = tuple(gate.PaletteColor(hex=h, hundredths=r) for h, r in shares if r is not None)
    edit = {}
    if function is not None:
        for parameter in PARAMETERS:
            if parameter.function_flag is not None and getattr(function, parameter.function_flag):
                typed = compose.typed_value(opts, parameter)
                edit[parameter.name] = typed if parameter.kind is bool else (typed or None)
    request = gate.GenerationRequest(
        model=draft.model,
        prompt=draft.prompt,
        images=tuple(images),
        boxes=boxes if any(boxes) and "bbox_list" in takes else (),
        color_palette=colours,
        mask=mask,
        size={compose.CUSTOM: f"{opts.width}*{opts.height}", compose.AUTO: None}.get(opts.size_preset, opts.size_preset),
        n=None if opts.interleave else (compose.fixed_n(caps, opts) or opts.n),
        max_images=(opts.max_images or "(default)") if opts.interleave else None,
        enable_sequential=opts.sequential,
        enable_interleave=opts.interleave,
        prompt_extend=None if opts.interleave else opts.prompt_extend,
        thinking_mode=opts.thinking_mode if compose.thinking_applies(draft, refs) else None,
        watermark=opts.watermark,
        seed=opts.seed or "(random, chosen when sent)",
        negative_prompt=opts.negative_prompt or None,
        function=opts.function or None,
        **edit,
    )
    # Only what the model takes: the draft keeps the rest, unsent.
    return gate.request_preview(replace(request, **{name: None for name in OPTIONS if name not in takes}))


def _ints(box: list) -> list:
    return [v if (number := parse_whole(str(v))) is None else number for v in box]
