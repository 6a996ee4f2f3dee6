"""The palette buttons: add, remove, even split, normalize, colours from the references or one of them."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studio.editor import palette
from studio.editor.models import Draft, DraftReference
from studio.pipeline.images import ImageDecodeError
from studio.numbers import parse_whole
from studio.wan.capabilities import get_model

# A pleasant start when the palette is switched on with no reference to extract from.
STARTER = ("#1F3A5F", "#E8D5B7", "#C8553D")


def apply(draft: Draft, action: str, data: Mapping[str, str]) -> str | None:
    """Change the draft's palette; returns a message when the action cannot be done."""
    rules = get_model(draft.model).palette
    if rules is None:
        return _("%(model)s does not take a colour palette.") % {"model": draft.model}
    rows = list(draft.palette)
    if action == "toggle":
        # The checkbox itself was saved with the form; switching on starts from a palette: the
        # references' colours when there are references (issue 19), else a starter.
        if draft.palette_enabled and not rows:
            refs = draft.ordered_references()
            if refs:
                return _use_references(draft, refs, rules.count.lo)
            rows = _rows(list(zip(STARTER, palette.even_split(len(STARTER)), strict=True)))
    elif action == "references":
        refs = draft.ordered_references()
        if not refs:
            return _("Add a reference image first: its main colours become the palette.")
        return _use_references(draft, refs, rules.count.lo)
    elif action == "add":
        if len(rows) >= rules.count.hi:
            return _("A palette has at most %(most)s colours.") % {"most": rules.count.hi}
        rows.append({"hex": "#808080", "percent": palette.format_percent(0)})
    elif action == "remove":
        index = _index(data.get("index"), len(rows))
        if index is None:
            return _("No such colour.")
        if len(rows) <= rules.count.lo:
            return _("A palette needs at least %(fewest)s colours.") % {"fewest": rules.count.lo}
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
            return _("Choose an image to extract colours from.")
        extracted = palette.extract_palette(_read(refs[index]), count=max(len(rows), rules.count.lo) if rows else rules.recommended)
        return _use(draft, extracted, rules.count.lo, image_number=index + 1)
    else:
        return _("Unknown palette action “%(action)s”.") % {"action": action}
    draft.palette = rows
    draft.save(update_fields=["palette", "palette_enabled", "updated_at"])
    return None


def _use_references(draft: Draft, refs: list[DraftReference], fewest: int) -> str | None:
    try:
        swatches = palette.palette_from_references([_read(ref) for ref in refs])
    except ImageDecodeError as exc:
        return _("The references' colours could not be read: %(reason)s.") % {"reason": exc}
    return _use(draft, swatches, fewest, image_number=1 if len(refs) == 1 else None, references=len(refs))


def _use(
    draft: Draft, swatches: list[tuple[str, int]], fewest: int, *, image_number: int | None, references: int = 1
) -> str | None:
    """Make colours found in pictures the palette; says so when they are too few to send."""
    rows = _rows(swatches)
    draft.palette_enabled = True
    draft.palette = rows
    draft.save(update_fields=["palette", "palette_enabled", "updated_at"])
    if len(rows) < fewest:
        # What was found is kept to build on.
        values = {"number": image_number, "references": references, "count": len(rows), "fewest": fewest}
        if image_number is not None:
            return ngettext(
                "Image %(number)s has only %(count)s distinct colour; add colours until there are at least %(fewest)s.",
                "Image %(number)s has only %(count)s distinct colours; add colours until there are at least %(fewest)s.",
                len(rows),
            ) % values
        return ngettext(
            "The %(references)s references have only %(count)s distinct colour; add colours until there are at least %(fewest)s.",
            "The %(references)s references have only %(count)s distinct colours; add colours until there are at least %(fewest)s.",
            len(rows),
        ) % values
    return None


def _read(ref: DraftReference) -> bytes:
    with ref.file.open("rb") as handle:
        return handle.read()


def _rows(swatches: list[tuple[str, int]]) -> list[dict[str, str]]:
    return [{"hex": hex_value, "percent": palette.format_percent(h)} for hex_value, h in swatches]


def _index(text: str | None, length: int) -> int | None:
    index = parse_whole(text)
    return index if index is not None and index < length else None
