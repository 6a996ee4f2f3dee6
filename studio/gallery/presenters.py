"""What the image page shows, computed from an image (no request, no side effects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _, gettext_lazy, ngettext, pgettext_lazy

from studio.accounting import prices
from studio.accounts import teams
from studio.accounts.models import Membership
from studio.gallery import comment_presenters, queries, review
from studio.gallery.models import REVIEW_NOTE_MAX_CHARS, Board, ReviewState, Star
from studio.pipeline.models import Job, JobReference, OutputImage
from studio.wan.capabilities import BY_NAME, PARAMETERS, format_ratio, parse_size

# What the buttons say for each state a reviewer can set.
REVIEW_ACTIONS = (
    (ReviewState.APPROVED, gettext_lazy("Approve")),
    (ReviewState.CHANGES_REQUESTED, gettext_lazy("Request changes")),
    (ReviewState.REJECTED, gettext_lazy("Reject")),
    (ReviewState.UNREVIEWED, gettext_lazy("Mark unreviewed")),
)
# The review queue's buttons and their keyboard shortcuts ("n" / → moves on without a review).
QUEUE_ACTIONS = (
    (ReviewState.APPROVED, gettext_lazy("Approve"), "a"),
    (ReviewState.CHANGES_REQUESTED, gettext_lazy("Request changes"), "c"),
    (ReviewState.REJECTED, gettext_lazy("Reject"), "r"),
)
# The request parameters in the order the references list them; color_palette has swatches.
PARAMETER_ORDER = tuple(p.name for p in PARAMETERS if p.name != "color_palette")


@dataclass(frozen=True)
class BoxShape:
    number: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ReferenceView:
    ref: JobReference
    number: int
    boxes: list[BoxShape]
    # A mask was sent with this reference (wanx2.1 mask editing: white is edited).
    has_mask: bool = False


@dataclass(frozen=True)
class Swatch:
    hex: str
    ratio: str  # "25.00%", exactly as sent
    hundredths: int
    offset: int  # where it starts on the palette bar, in hundredths of a percent


@dataclass(frozen=True)
class Timing:
    label: str
    at: datetime | None
    seconds_since_previous: float | None


def references(job: Job) -> list[ReferenceView]:
    views = []
    for number, ref in enumerate(job.references.order_by("position"), start=1):
        shapes = [
            BoxShape(number=i, x=x1, y=y1, width=x2 - x1, height=y2 - y1)
            for i, (x1, y1, x2, y2) in enumerate(ref.boxes, start=1)
        ]
        views.append(ReferenceView(ref=ref, number=number, boxes=shapes, has_mask=bool(ref.mask)))
    return views


def swatches(job: Job) -> list[Swatch]:
    out: list[Swatch] = []
    offset = 0
    for colour in job.parameters.get("color_palette", []):
        hundredths = int(colour["hundredths"])
        out.append(Swatch(hex=colour["hex"], ratio=format_ratio(hundredths), hundredths=hundredths, offset=offset))
        offset += hundredths
    return out


@dataclass(frozen=True)
class ParameterRow:
    name: str  # the API's name, for people who compare with the reference
    label: str  # what the editor calls it
    text: str  # the value as people read it


def parameter_text(name: str, value: object) -> str:
    """A recorded value as a person reads it: "On"/"Off", not Python's True/False; "—" for
    nothing; a size as "1024×1024" (presets such as "1K" stay as they are)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("On") if value else _("Off")
    if name == "bbox_list" and isinstance(value, list):
        return _boxes_text(value)
    if isinstance(value, str) and (size := parse_size(value)) is not None:
        return f"{size[0]}×{size[1]}"
    if isinstance(value, (list, tuple)):
        return ", ".join(parameter_text(name, item) for item in value)
    return str(value)


def _boxes_text(per_image: list) -> str:
    # bbox_list holds one list of boxes per reference, in prompt order (reference: 002, bbox_list).
    parts = []
    for number, boxes in enumerate(per_image, start=1):
        count = len(boxes) if isinstance(boxes, list) else 0
        if count:
            text = ngettext("image %(number)s: %(count)s box", "image %(number)s: %(count)s boxes", count)
            parts.append(text % {"number": number, "count": count})
        else:
            parts.append(_("image %(number)s: none") % {"number": number})
    return "; ".join(parts) or "—"


def parameters(job: Job) -> list[ParameterRow]:
    p = job.parameters
    names = [name for name in PARAMETER_ORDER if name in p]
    # Anything a job recorded that the table no longer names, after them.
    names += [name for name in sorted(p) if name not in PARAMETER_ORDER and name != "color_palette"]
    return [
        ParameterRow(name=name, label=_(BY_NAME[name].label) if name in BY_NAME else name, text=parameter_text(name, p[name]))
        for name in names
    ]


def transcript(job: Job) -> list[dict[str, object]]:
    """The answer in order when it held more than images: interleaved text (wan2.6-image) or
    failed images; images resolved to their stored rows. Empty for an answer of images only."""
    parts = job.output_parts or []
    if all("image" in part for part in parts):
        return []
    stored = {o.index: o for o in job.outputs.all()}
    out: list[dict[str, object]] = []
    for part in parts:
        if "image" in part:
            if (image := stored.get(part["image"])) is not None:
                out.append({"image": image})
        else:
            out.append(part)
    return out


def actual_prompt(job: Job, index: int) -> str | None:
    """The prompt as the provider rewrote it for one image (wan2.5 `actual_prompt`)."""
    for part in job.output_parts or []:
        if part.get("image") == index and part.get("actual_prompt"):
            return str(part["actual_prompt"])
    return None


def cost(job: Job) -> prices.Cost:
    # Billing counts the images the provider generated, at the price in force when the job was made.
    return prices.cost_of(model=job.model, region=job.region, images=job.usage_image_count, at=job.created_at)


def timings(job: Job) -> list[Timing]:
    steps = [
        (pgettext_lazy("job step", "Queued"), job.created_at),
        (pgettext_lazy("job step", "Submitted"), job.submitted_at),
        (pgettext_lazy("job step", "Running"), job.running_at),
        (pgettext_lazy("job step", "Done"), job.finished_at),
    ]
    out: list[Timing] = []
    previous: datetime | None = None
    for label, at in steps:
        since = (at - previous).total_seconds() if at and previous else None
        out.append(Timing(label=label, at=at, seconds_since_previous=since))
        previous = at or previous
    return out


def total_seconds(job: Job) -> float | None:
    return (job.finished_at - job.created_at).total_seconds() if job.finished_at else None


def position_in_job(image: OutputImage) -> tuple[int, int]:
    """(position, count) among the job's images, in index order: "Frame 2 of 3"."""
    indexes = list(image.job.outputs.order_by("index").values_list("index", flat=True))
    return indexes.index(image.index) + 1, len(indexes)


def review_context(image: OutputImage, membership: Membership | None) -> dict[str, object]:
    state = review.state_of(image)
    return {
        "image": image,
        "state": state,
        "state_label": ReviewState(state).label,
        "actions": [(value, verb) for value, verb in REVIEW_ACTIONS if value != state],
        "history": list(review.history(image)),
        "can_review": teams.can_review(membership),
        "note_max": REVIEW_NOTE_MAX_CHARS,
    }


def star_context(image: OutputImage, user) -> dict[str, object]:
    return {"image": image, "starred": Star.objects.filter(image=image, user=user).exists()}


def boards_context(image: OutputImage) -> dict[str, object]:
    boards = list(Board.objects.filter(team_id=image.job.team_id))
    on = set(image.board_items.values_list("board_id", flat=True))
    return {
        "image": image,
        "boards_on": [b for b in boards if b.pk in on],
        "boards_other": [b for b in boards if b.pk not in on],
    }


def image_context(image: OutputImage, user, membership: Membership | None) -> dict[str, object]:
    job = image.job
    position, count = position_in_job(image)
    newer, older = queries.gallery_neighbours(image)
    return {
        **review_context(image, membership),
        **comment_presenters.comments_context(image, user, membership),
        **star_context(image, user),
        **boards_context(image),
        "job": job,
        "position": position,
        "count": count,
        # ← and → walk the whole gallery in its own order, across jobs.
        "gallery_previous": newer,
        "gallery_next": older,
        "references": references(job),
        "swatches": swatches(job),
        "parameters": parameters(job),
        "cost": cost(job),
        "transcript": transcript(job),
        "actual_prompt": actual_prompt(job, image.index),
        "timings": timings(job),
        "total_seconds": total_seconds(job),
        "usage_items": sorted(job.usage.items()),
        "usage_size": parameter_text("size", job.usage_size),
    }
