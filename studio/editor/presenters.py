"""What the editor's templates show, computed from a draft (no request, no side effects)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from django.conf import settings

from studio.editor import compose, palette
from studio.editor.models import Draft, DraftReference
from studio.pipeline import prices
from studio.pipeline.models import Job
from studio.wan.capabilities import MODELS


# Our own choice, not the API's (it documents no minimum): a smaller box is almost surely a slip.
BOX_MIN_SIDE = 8


@dataclass(frozen=True)
class BoxSlot:
    index: int
    values: dict[str, str]


@dataclass(frozen=True)
class ReferenceCard:
    ref: DraftReference
    number: int
    slots: list[BoxSlot]


def reference_cards(draft: Draft, refs: list[DraftReference]) -> list[ReferenceCard]:
    slots = compose.model_of(draft).max_boxes_per_image or 0
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
            )
        )
    return cards


def layout_key(draft: Draft) -> tuple:
    """What decides the layout of the parameter and palette parts; when it changes they are redrawn."""
    opts = compose.settings_of(draft)
    return (draft.model, opts.sequential, opts.size_preset == compose.CUSTOM, compose.mode_of(draft), draft.palette_enabled)


def editor_context(draft: Draft) -> dict[str, object]:
    caps = compose.model_of(draft)
    opts = compose.settings_of(draft)
    refs = draft.ordered_references()
    mode = compose.mode_of(draft, refs)
    n_range = caps.n_range(sequential=opts.sequential)
    n_value = int(opts.n) if opts.n.isdigit() else None
    # In emulator mode nothing is billed, but the line still shows what the real service would cost.
    estimate = prices.estimate(model=caps.name, region=settings.DASHSCOPE_REGION, n=n_value, sequential=opts.sequential)
    hundredths = [palette.parse_percent(row.get("percent", "")) for row in draft.palette]
    total = sum(h for h in hundredths if h is not None)
    rules = caps.palette
    return {
        "draft": draft,
        "box_min_side": BOX_MIN_SIDE,
        "caps": caps,
        "caps_json": caps.to_json(),
        "models": list(MODELS.values()),
        "opts": opts,
        "cards": reference_cards(draft, refs),
        "can_add_references": len(refs) < caps.images.count.hi,
        "mode": mode.value,
        "presets": caps.size.presets_for(mode),
        "custom_pixels": caps.size.custom_pixels[mode],
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
        "custom_sides": tuple(math.isqrt(v) for v in (caps.size.custom_pixels[mode].lo, caps.size.custom_pixels[mode].hi)),
        "last_seed": _last_seed(draft),
    }


def _last_seed(draft: Draft) -> int | None:
    last = Job.objects.filter(owner_id=draft.owner_id).order_by("-created_at").values_list("parameters", flat=True).first()
    return (last or {}).get("seed")


def _signed_percent(hundredths: int) -> str:
    return ("-" if hundredths < 0 else "") + palette.format_percent(abs(hundredths))


def request_preview(draft: Draft, refs: list[DraftReference]) -> dict[str, object]:
    """The request as it would be sent, with images named instead of their data URLs."""
    opts = compose.settings_of(draft)
    boxes = [[[v for v in slot] for slot in ref.boxes if any(str(v).strip() for v in slot)] for ref in refs]
    params: dict[str, object] = {
        "size": f"{opts.width}*{opts.height}" if opts.size_preset == compose.CUSTOM else opts.size_preset,
        "n": opts.n,
        "enable_sequential": opts.sequential,
        "watermark": opts.watermark,
        "seed": opts.seed or "(random, chosen when sent)",
    }
    if compose.thinking_applies(draft, refs):
        params["thinking_mode"] = opts.thinking_mode
    if any(boxes):
        params["bbox_list"] = [[_ints(box) for box in entry] for entry in boxes]
    if draft.palette_enabled and compose.palette_allowed(draft):
        params["color_palette"] = [{"hex": row.get("hex"), "ratio": f"{row.get('percent')}%"} for row in draft.palette]
    content: list[dict[str, str]] = [
        {"image": f"image {i} ({ref.width}×{ref.height} px, {ref.mime})"} for i, ref in enumerate(refs, start=1)
    ]
    content.append({"text": draft.prompt})
    return {"model": draft.model, "input": {"messages": [{"role": "user", "content": content}]}, "parameters": params}


def _ints(box: list) -> list:
    return [int(v) if str(v).strip().isdigit() else v for v in box]
