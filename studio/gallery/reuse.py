"""Back from the gallery to the editor: a job's settings as a new draft, an image as a reference.

"Reuse settings" must give the editor exactly the request the job sent: composing the new draft
yields a GenerationRequest equal to `request_for_job(job)`, seed included (the job recorded the
seed the studio picked, and keeping it is what makes a rerun reproduce the image). The draft
holds fields as the editor's form would have typed them (strings, a size preset or a custom
width and height, palette percentages), and its references are copies of the job's files, byte
for byte, with their boxes.
"""

from __future__ import annotations

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction

from studio.editor import drafts
from studio.editor.compose import AUTO, CUSTOM
from studio.editor.models import Draft, DraftReference
from studio.editor.palette import format_percent
from studio.gallery.zips import image_filename
from studio.pipeline.models import Job, OutputImage
from studio.wan.capabilities import MODELS, PARAMETERS, Stored, parse_size


def draft_fields(job: Job) -> dict[str, object]:
    """The editor's parameter fields that reproduce the job's parameters: the inverse of
    compose.settings_of, read from the capability table's descriptors."""
    p = job.parameters
    caps = MODELS.get(job.model)
    size = p.get("size") or ""
    fields: dict[str, object] = {"size_preset": size, "width": "", "height": ""}
    custom = parse_size(size) if size else None
    offered = set(caps.size.presets) | set(caps.size.fixed) | {caps.size.default} if caps and caps.size else set()
    if custom is not None and size not in offered:
        fields.update(size_preset=CUSTOM, width=str(custom[0]), height=str(custom[1]))
    elif not size and caps is not None and caps.size is not None and caps.size.follows_input_aspect:
        fields["size_preset"] = AUTO
    for parameter in PARAMETERS:
        value = p.get(parameter.name)
        if parameter.stored is Stored.FLAG:
            # None means "not sent" (e.g. thinking mode with references): the editor's default then.
            fields[parameter.field] = bool(value) if value is not None else bool(parameter.default)
        elif parameter.stored in (Stored.TEXT, Stored.LONG_TEXT):
            fields[parameter.field] = _text(value)
    return fields


def _text(value: object) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def draft_from_job(*, job: Job, owner) -> Draft:
    """A new draft for `owner` with the job's model, prompt, parameters, palette and references.

    It becomes the owner's current draft (the newest); the draft it replaces is left as it was and
    stays one click away in the editor ("Back to your previous draft").
    """
    palette = job.parameters.get("color_palette") or []
    draft = drafts.draft_start(
        owner=owner,
        model=job.model,
        prompt=job.prompt,
        fields=draft_fields(job),
        palette_enabled=bool(palette),
        palette=[{"hex": c["hex"], "percent": format_percent(c["hundredths"])} for c in palette],
    )
    for ref in job.references.order_by("position"):
        copy = DraftReference(
            draft=draft,
            position=ref.position,
            mime=ref.mime,
            width=ref.width,
            height=ref.height,
            original_name=f"Job {job.pk}, image {ref.position + 1}",
            # The editor keeps boxes as typed text until it validates them.
            boxes=[[str(v) for v in box] for box in ref.boxes],
            # The same image again: a job made from this draft is a version of the same parent.
            source_image_id=ref.source_image_id,
        )
        with ref.file.open("rb") as handle:
            # Copied, not shared: the draft's files are the editor's to replace or delete.
            copy.file.save(f"ref.{_extension(ref.file.name)}", ContentFile(handle.read()), save=False)
        if ref.mask:
            with ref.mask.open("rb") as handle:
                copy.mask.save("mask.png", ContentFile(handle.read()), save=False)
        copy.save()
    drafts.draft_make_current(draft)
    return draft


class ReferenceRefused(Exception):
    """The image cannot join the draft (its reference limit, or the model's image rules)."""


def output_to_draft(*, output: OutputImage, owner, new_draft: bool = False) -> Draft:
    """Add a stored image as the last reference of the owner's current draft (or of a new one).

    The image goes through the same checks and re-encoding as an upload, so the draft's model
    limits (how many references, which sizes) apply; ReferenceRefused says which one it breaks.
    The reference remembers the image it came from, so the job made from it is the image's next
    version (studio.gallery.versions).
    """
    draft = drafts.draft_start(owner=owner) if new_draft else Draft.current_for(owner)
    with output.file.open("rb") as handle:
        added, refused = drafts.references_add(draft, [File(handle, name=image_filename(output))])
    if refused:
        if new_draft:
            draft.delete()
        raise ReferenceRefused("; ".join(refused))
    DraftReference.objects.filter(pk__in=[ref.pk for ref in added]).update(source_image=output)
    drafts.draft_make_current(draft)
    return draft


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else "png"
