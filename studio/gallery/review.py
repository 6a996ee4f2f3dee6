"""Review states: set by reviewers and admins, each change kept in an append-only history."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts import teams
from studio.accounts.models import Membership
from studio.gallery.models import REVIEW_NOTE_MAX_CHARS, ImageReview, ReviewEvent, ReviewState
from studio.pipeline.models import OutputImage


class ReviewRefused(PermissionError):
    """The person's role does not let them set review states."""


class ReviewInvalid(ValueError):
    """A state or note that cannot be stored; the message names the field."""


def state_of(image: OutputImage) -> str:
    try:
        return image.review.state
    except ImageReview.DoesNotExist:
        return ReviewState.UNREVIEWED


def image_review_set(
    *, image: OutputImage, by, membership: Membership | None, state: str, note: str = ""
) -> ImageReview:
    """Move the image to `state` and append the change to its history (nothing if unchanged)."""
    if not teams.can_review(membership) or membership.team_id != image.job.team_id:
        raise ReviewRefused(_("Only the team's reviewers and admins can set review states."))
    if state not in ReviewState.values:
        raise ReviewInvalid(
            _("state: “%(state)s” is not a review state (%(states)s).") % {"state": state, "states": ", ".join(ReviewState.values)}
        )
    note = note.strip()
    if len(note) > REVIEW_NOTE_MAX_CHARS:
        raise ReviewInvalid(
            _("note: at most %(most)s characters (this one has %(n)s).") % {"most": REVIEW_NOTE_MAX_CHARS, "n": len(note)}
        )
    with transaction.atomic():
        # The row is locked (a write transaction on SQLite) so two reviewers' events chain in order.
        review, _created = ImageReview.objects.select_for_update().get_or_create(image=image)
        if review.state == state:
            return review
        ReviewEvent.objects.create(image=image, from_state=review.state, to_state=state, by=by, note=note)
        review.state = state
        review.set_by = by
        review.set_at = timezone.now()
        review.save(update_fields=["state", "set_by", "set_at"])
    image.review = review
    return review


def history(image: OutputImage):
    return image.review_events.select_related("by").order_by("at", "pk")


def image_review_undo(*, image: OutputImage, by, membership: Membership | None) -> ReviewEvent:
    """Take back `by`'s latest change of the image's state, as a new event (the history is append-only).

    Only while that change is still the latest: once someone else has reviewed the image since,
    undoing would overwrite their decision, so it is refused.
    """
    if not teams.can_review(membership) or membership.team_id != image.job.team_id:
        raise ReviewRefused(_("Only the team's reviewers and admins can set review states."))
    last = image.review_events.order_by("-at", "-pk").first()
    if last is None or last.by_id != by.pk:
        raise ReviewInvalid(_("undo: nothing of yours to undo on this image; someone may have reviewed it since."))
    image_review_set(image=image, by=by, membership=membership, state=last.from_state, note="Undone")
    return last
