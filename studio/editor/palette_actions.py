"""The palette buttons: add, remove, even split, normalize, extract from a reference."""

from __future__ import annotations

from collections.abc import Mapping

from studio.editor import palette
from studio.editor.models import Draft
from studio.numbers import parse_whole
from studio.wan.capabilities import get_model

# A pleasant start when the palette is switched on with no reference to extract from.
STARTER = ("#1F3A5F", "#E8D5B7", "#C8553D")


def apply(draft: Draft, action: str, data: Mapping[str, str]) -> str | None:
    """Change the draft's palette; returns a message when the action cannot be done."""
    rules = get_model(draft.model).palette
    if rules is None:
        return f"{draft.model} does not take a colour palette."
    rows = list(draft.palette)
    if action == "toggle":
        # The checkbox itself was saved with the form; switching on starts from a palette.
        if draft.palette_enabled and not rows:
            rows = _rows(list(zip(STARTER, palette.even_split(len(STARTER)), strict=True)))
    elif action == "add":
        if len(rows) >= rules.count.hi:
            return f"A palette has at most {rules.count.hi} colours."
        rows.append({"hex": "#808080", "percent": palette.format_percent(0)})
    elif action == "remove":
        index = _index(data.get("index"), len(rows))
        if index is None:
            return "No such colour."
        if len(rows) <= rules.count.lo:
            return f"A palette needs at least {rules.count.lo} colours."
        rows.pop(index)
    elif action == "even":
        rows = [{**row, "percent": palette.format_percent(h)} for row, h in zip(rows, palette.even_split(len(rows)), strict=True)]
    elif action == "normalize":
        weights = [palette.parse_percent(row["percent"]) or 0 for row in rows]
        rows = [{**row, "percent": palette.format_percent(h)} for row, h in zip(rows, palette.normalize(weights), strict=True)]
    elif action == "extract":
        refs = draft.ordered_references()
        index = _index(data.get("extract_image"), len(refs))
        if index is None:
            return "Choose an image to extract colours from."
        with refs[index].file.open("rb") as handle:
            extracted = palette.extract_palette(handle.read(), count=max(len(rows), rules.count.lo) if rows else rules.recommended)
        draft.palette_enabled = True
        rows = _rows(extracted)
        if len(rows) < rules.count.lo:
            draft.palette = rows
            draft.save(update_fields=["palette", "palette_enabled", "updated_at"])
            return (
                f"Image {index + 1} has only {len(rows)} distinct colour{'s' if len(rows) != 1 else ''}; "
                f"add colours until there are at least {rules.count.lo}."
            )
    else:
        return f"Unknown palette action “{action}”."
    draft.palette = rows
    draft.save(update_fields=["palette", "palette_enabled", "updated_at"])
    return None


def _rows(swatches: list[tuple[str, int]]) -> list[dict[str, str]]:
    return [{"hex": hex_value, "percent": palette.format_percent(h)} for hex_value, h in swatches]


def _index(text: str | None, length: int) -> int | None:
    index = parse_whole(text)
    return index if index is not None and index < length else None
