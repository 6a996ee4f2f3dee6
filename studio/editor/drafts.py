"""Saving what the editor form holds into the draft, and the reference list's operations.

Values are stored as typed; checking happens when the person asks to generate (compose.py), so
a half-typed number is never thrown away by an autosave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from studio.editor import refusals, uploads
from studio.editor.models import Draft, DraftReference
from studio.pipeline.jobs import EXTENSIONS
from studio.wan.capabilities import MODELS, PARAMETERS, Stored

# The draft fields the capability table's parameters are typed into, and the editor's own:
# the size as a preset or a width and a height, and the style named in a wanx2.1 prompt.
PARAMETER_FIELDS = (
    "size_preset", "width", "height",
    *(p.field for p in PARAMETERS if p.stored is Stored.TEXT),
    "style",
)
FLAG_FIELDS = tuple(p.field for p in PARAMETERS if p.stored is Stored.FLAG)
# A page older than the per-checkbox "flag" list showed these three.
_FLAGS_OF_OLD_PAGES = ("sequential", "thinking_mode", "watermark")
LONG_TEXT_FIELDS = tuple(p.field for p in PARAMETERS if p.stored is Stored.LONG_TEXT)
# Long enough for any model's negative prompt; the check names the model's own limit.
NEGATIVE_PROMPT_CHARS = 5000


def draft_save(draft: Draft, data: Mapping[str, str]) -> Draft:
    """Store every editor field present in `data` (a POST); absent checkboxes mean off.

    A model or size the editor does not offer is not stored: ChoiceRefused names it, once
    everything else is saved."""
    refused = refusals.choice_errors(data.get("model"), data.get("size_preset"))
    if data.get("model") in MODELS:
        draft.model = data["model"]
    if "prompt" in data:
        draft.prompt = data["prompt"]
    fields = dict(draft.fields)
    for name in PARAMETER_FIELDS:
        if name in data and name not in refused:
            fields[name] = data[name].strip()[:32]
    for name in LONG_TEXT_FIELDS:
        if name in data:
            fields[name] = data[name][:NEGATIVE_PROMPT_CHARS]
    if "parameters" in data:  # the parameter fieldset was on the page: its checkboxes are meaningful
        # Only the checkboxes the page showed: a model without a control keeps the draft's value.
        shown = data.getlist("flag") if hasattr(data, "getlist") and "flag" in data else _FLAGS_OF_OLD_PAGES
        for name in FLAG_FIELDS:
            if name in shown:
                fields[name] = data.get(name) == "on"
    draft.fields = fields
    if "palette_shown" in data:
        draft.palette_enabled = data.get("palette_enabled") == "on"
        draft.palette = palette_from(data)
    draft.save()
    _save_boxes(draft, data)
    if refused:
        raise refusals.ChoiceRefused(list(refused.values()))
    return draft


def draft_start(*, owner, **values) -> Draft:
    """A new draft that becomes `owner`'s current one, remembering the draft it replaces.

    Reuse settings and "a new draft" from the gallery start here: the draft the person was editing
    stays as it was, and the editor offers "Back to your previous draft" (Draft.previous)."""
    replaced = Draft.objects.filter(owner=owner).order_by("-updated_at", "-pk").first()
    return Draft.objects.create(owner=owner, previous=None if replaced is None or is_blank(replaced) else replaced, **values)


def draft_open(*, draft: Draft, leaving: Draft) -> Draft:
    """Make `draft` current again; the one being left becomes its way back."""
    if draft.pk != leaving.pk:
        draft.previous = None if is_blank(leaving) else leaving
        draft.save(update_fields=["previous", "updated_at"])
    return draft


def draft_make_current(draft: Draft) -> None:
    # Draft.current_for picks the latest update; this one is what the person asked to open.
    Draft.objects.filter(pk=draft.pk).update(updated_at=timezone.now())


def is_blank(draft: Draft) -> bool:
    """Nothing typed, chosen or uploaded: no work to lose, so no way back is offered to it."""
    return not (draft.prompt.strip() or draft.fields or draft.palette or draft.references.exists())


def palette_from(data: Mapping[str, str]) -> list[dict[str, str]]:
    rows = []
    i = 0
    while f"palette-{i}-hex" in data:
        rows.append({"hex": data[f"palette-{i}-hex"].strip()[:16], "percent": data.get(f"palette-{i}-percent", "").strip()[:16]})
        i += 1
    return rows


def _save_boxes(draft: Draft, data: Mapping[str, str]) -> None:
    for ref in draft.references.all():
        prefix = f"ref-{ref.pk}-box-"
        if not any(key.startswith(prefix) for key in data):
            continue
        slots = []
        slot = 0
        while f"{prefix}{slot}-x1" in data:
            slots.append([data.get(f"{prefix}{slot}-{name}", "").strip()[:8] for name in ("x1", "y1", "x2", "y2")])
            slot += 1
        if slots != ref.boxes:
            ref.boxes = slots
            ref.save(update_fields=["boxes"])


def references_add(draft: Draft, files: Sequence) -> tuple[list[DraftReference], list[str]]:
    """Accept what can be accepted, in the order given; refuse the rest, each with its reason."""
    added: list[DraftReference] = []
    refused: list[str] = []
    caps = MODELS[draft.model]
    existing = draft.references.count()
    for upload in files:
        name = upload.name or gettext("pasted image")
        try:
            uploads.check_count(existing + len(added), 1, model=caps.name)
        except uploads.UploadRefused as exc:
            refused.append(f"{name}: {exc}")
            continue
        try:
            accepted = uploads.accept_reference(name, upload, model=caps.name)
        except uploads.UploadRefused as exc:
            refused.append(str(exc))
            continue
        added.append(_store(draft, name, accepted))
    return added, refused


def _store(draft: Draft, name: str, accepted) -> DraftReference:
    with transaction.atomic():
        last = draft.references.aggregate(last=Max("position"))["last"]
        ref = DraftReference(
            draft=draft,
            position=0 if last is None else last + 1,
            mime=accepted.mime,
            width=accepted.width,
            height=accepted.height,
            original_name=name[:255],
            notes=list(accepted.notes),
        )
        ref.file.save(f"ref.{EXTENSIONS[accepted.mime]}", ContentFile(accepted.content), save=False)
        ref.save()
    Draft.objects.filter(pk=draft.pk).update(updated_at=ref.created_at)
    return ref


def reference_remove(draft: Draft, ref_id: int) -> None:
    ref = draft.references.get(pk=ref_id)
    ref.file.delete(save=False)
    if ref.mask:
        ref.mask.delete(save=False)
    ref.delete()
    _renumber(draft, [r.pk for r in draft.ordered_references()])


def reference_move(draft: Draft, ref_id: int, offset: int) -> None:
    """Move one reference earlier (-1) or later (+1); at either end nothing changes."""
    order = [r.pk for r in draft.ordered_references()]
    index = order.index(ref_id)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    _renumber(draft, order)


def references_reorder(draft: Draft, ids: Iterable[int]) -> None:
    """Put references in the given order; ids not given keep their relative order at the end."""
    current = [r.pk for r in draft.ordered_references()]
    wanted = [i for i in dict.fromkeys(ids) if i in current]
    _renumber(draft, wanted + [i for i in current if i not in wanted])


def _renumber(draft: Draft, order: list[int]) -> None:
    with transaction.atomic():
        for position, pk in enumerate(order):
            DraftReference.objects.filter(draft=draft, pk=pk).update(position=position)


def reference_mask_save(ref: DraftReference, upload) -> None:
    """Store (or, when nothing is painted, remove) the mask painted on a reference."""
    if upload is None:
        raise uploads.UploadRefused(gettext("Mask: no file was sent"))
    mask = uploads.accept_mask(upload, width=ref.width, height=ref.height)
    if ref.mask:
        ref.mask.delete(save=False)
    if mask is not None:
        ref.mask.save("mask.png", ContentFile(mask), save=False)
    ref.save(update_fields=["mask"])
