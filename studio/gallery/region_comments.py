"""Region comments: boxes drawn on a result, "Edit from this comment", and resolving.

The loop: a reviewer marks up to two regions of an image and says what should change there; the
author turns that comment into a new draft (the image as reference 1, the comment's boxes on it,
the text as the prompt); the job generated from that draft is linked to the comment, and its
first image resolves it. Boxes are in the image's original pixels, like the editor's `bbox_list`.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts import teams
from studio.accounts.models import Membership
from studio.editor.compose import BOX_FIELDS, BOX_MIN_SIDE
from studio.editor.models import Draft
from studio.gallery import reuse
from studio.gallery.models import Comment
from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.wan.capabilities import DEFAULT_MODEL, MODELS

# The API's limit per image (Reference: 002, bbox_list — "at most 2 bounding boxes"), read from the
# capability table of the model an edit opens with by default.
MAX_COMMENT_BOXES = MODELS[DEFAULT_MODEL].max_boxes_per_image or 0


class RegionInvalid(ValueError):
    """Boxes that cannot be stored; the message names the box and the limit."""


class ResolveRefused(PermissionError):
    """The person may not mark this comment resolved."""


def parse_boxes(data: Mapping[str, str], *, width: int, height: int) -> list[list[int]]:
    """The boxes a comment form sent (`box-0-x1` ... as the box editor writes them), checked.

    An all-empty slot is no box. Each box must lie inside the image, have x1 < x2 and y1 < y2
    and be at least BOX_MIN_SIDE on each side; at most MAX_COMMENT_BOXES are taken."""
    boxes: list[list[int]] = []
    slot = 0
    while f"box-{slot}-x1" in data:
        label = _("box %(n)s") % {"n": slot + 1}
        typed = [str(data.get(f"box-{slot}-{name}", "")).strip() for name in BOX_FIELDS]
        slot += 1
        if not any(typed):
            continue
        if not all(v.isascii() and v.isdigit() for v in typed):
            raise RegionInvalid(_("%(box)s: x1, y1, x2 and y2 must all be whole numbers of pixels.") % {"box": label})
        boxes.append(check_box([int(v) for v in typed], label=label, width=width, height=height))
        if slot > 16:  # a form never has this many slots: stop reading a hostile one
            break
    if len(boxes) > MAX_COMMENT_BOXES:
        raise RegionInvalid(
            _("boxes: at most %(most)s per comment (this one has %(n)s).") % {"most": MAX_COMMENT_BOXES, "n": len(boxes)}
        )
    return boxes


def check_box(box: list[int], *, label: str, width: int, height: int) -> list[int]:
    x1, y1, x2, y2 = box
    if not (x1 < x2 and y1 < y2):
        raise RegionInvalid(_("%(box)s: x1 must be less than x2 and y1 less than y2.") % {"box": label})
    if x2 > width or y2 > height:
        raise RegionInvalid(_("%(box)s: must lie inside the image (%(w)s × %(h)s px).") % {"box": label, "w": width, "h": height})
    if min(x2 - x1, y2 - y1) < BOX_MIN_SIDE:
        text = _("%(box)s: %(w)s×%(h)s px is too small; at least %(side)s px on each side.")
        raise RegionInvalid(text % {"box": label, "w": x2 - x1, "h": y2 - y1, "side": BOX_MIN_SIDE})
    return [x1, y1, x2, y2]


# --- resolving -------------------------------------------------------------------------------


def can_resolve(comment: Comment, user, membership: Membership | None) -> bool:
    """The comment's author, the image's author, or an admin of the image's team."""
    if membership is None or membership.team_id != comment.image.job.team_id:
        return False
    return user.pk in (comment.author_id, comment.image.job.owner_id) or teams.can_administer(membership)


def comment_resolve(*, comment: Comment, by, membership: Membership | None, resolved: bool) -> Comment:
    if not can_resolve(comment, by, membership):
        raise ResolveRefused(_("Only the comment's author, the image's author or a team admin can resolve it."))
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by = by if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by"])
    return comment


def resolving_images(comments: list[Comment]) -> dict[int, OutputImage]:
    """For each comment that an edit job has resolved: that job's first image (the earliest
    succeeded job wins). Read, not stored: the pipeline stays unaware of comments, and an edit
    job moved to the trash stops resolving the comment."""
    ids = [c.pk for c in comments]
    through = Comment.edit_jobs.through
    links = (
        through.objects.filter(comment_id__in=ids, job__status=JobStatus.SUCCEEDED, job__deleted_at__isnull=True)
        .order_by("job__created_at", "job_id")
        .values_list("comment_id", "job_id")
    )
    first_job: dict[int, int] = {}
    for comment_id, job_id in links:
        first_job.setdefault(comment_id, job_id)
    firsts = {o.job_id: o for o in OutputImage.objects.filter(job_id__in=first_job.values()).order_by("-index")}
    return {comment_id: firsts[job_id] for comment_id, job_id in first_job.items() if job_id in firsts}


# --- Edit from this comment ------------------------------------------------------------------


class EditRefused(Exception):
    """The image cannot start a draft (the reference limits); the message says which."""


def _edit_model(job: Job) -> str:
    """The original job's model when it takes an image with boxes; otherwise the default edit model."""
    caps = MODELS.get(job.model)
    return job.model if caps is not None and caps.max_boxes_per_image else DEFAULT_MODEL


@transaction.atomic
def draft_from_comment(*, comment: Comment, owner) -> Draft:
    """A new current draft for `owner`: the comment's image as reference 1 (added through the
    gallery's "Use as reference" path, so the image's lineage is recorded the same way), the
    comment's boxes on it, the text as the prompt, the original job's model and settings where
    they apply. The draft the person was on is kept as its previous one."""
    image = comment.image
    job = image.job
    try:
        draft = reuse.output_to_draft(output=image, owner=owner, new_draft=True)
    except reuse.ReferenceRefused as exc:
        raise EditRefused(str(exc)) from None
    model = _edit_model(job)
    fields = reuse.draft_fields(job) if model == job.model else {}
    caps = MODELS[model]
    if caps.size is not None and fields.get("size_preset") in caps.size.text_to_image_only_presets:
        # A text-to-image size (4K) is not offered once the draft has a reference: the model's default.
        fields.update(size_preset=caps.size.default, width="", height="")
    draft.model = model
    draft.prompt = comment.text
    draft.fields = fields
    draft.from_comment = comment
    draft.save()
    ref = draft.ordered_references()[0]
    # As the editor keeps boxes: typed text, checked again when generating.
    ref.boxes = [[str(v) for v in box] for box in comment.boxes]
    ref.save(update_fields=["boxes"])
    return draft


def comment_link_job(*, draft: Draft, job: Job) -> None:
    """Remember that `job` was generated from a draft started from a comment (the editor calls this
    right after job_create). Only within the comment's team: a draft outlives team switches."""
    comment = draft.from_comment
    if comment is not None and comment.image.job.team_id == job.team_id:
        comment.edit_jobs.add(job)
