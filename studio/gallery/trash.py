"""The trash: deleting hides a job from the gallery; only a team admin restores or purges it.

Stored originals are never removed automatically: nothing here runs on a schedule, and the only
code that deletes an image's file is `job_purge`, which a team admin must ask for by name.

Purging removes the job's images and references (rows and stored files) and the job row itself,
unless another record must outlive it: the billing ledger's charge keeps its job (the ledger is
append-only), so such a job stays as a row without images, out of the gallery and the trash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, QuerySet, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts import teams
from studio.accounts.models import Membership
from studio.pipeline.models import Job, OutputImage

# What the purge form's confirmation field must hold.
PURGE_CONFIRMATION = "purge"


class TrashRefused(Exception):
    """The person's role does not allow this (a 403: they are in the team, so they may know it exists)."""


class PurgeUnconfirmed(ValueError):
    pass


def can_trash(job: Job, user, membership: Membership | None) -> bool:
    """The job's author or a team admin may move it to the trash."""
    return membership is not None and (job.owner_id == user.pk or teams.can_administer(membership))


def trashed_jobs(team) -> QuerySet[Job]:
    """The team's trash, last deleted first. A purged job kept for the ledger has no images left: not listed."""
    return (
        Job.objects.filter(team=team, deleted_at__isnull=False)
        .filter(Exists(OutputImage.objects.filter(job=OuterRef("pk"))))
        .select_related("owner", "deleted_by")
        .prefetch_related("outputs")
        .order_by("-deleted_at", "-pk")
    )


def job_trash(*, job: Job, by, membership: Membership | None) -> bool:
    """Move the job to the trash; False if it was there already. Its files stay where they are."""
    if not can_trash(job, by, membership):
        raise TrashRefused(_("Only the person who made this job or a team admin can delete it."))
    moved = Job.objects.filter(pk=job.pk, deleted_at__isnull=True).update(deleted_at=timezone.now(), deleted_by=by)
    job.refresh_from_db(fields=["deleted_at", "deleted_by"])
    return moved == 1


def job_restore(*, job: Job, membership: Membership | None) -> bool:
    """Put a trashed job back in the gallery, as it was (reviews, comments, stars and boards kept)."""
    _require_admin(membership, _("Only a team admin can restore jobs in the trash."))
    restored = Job.objects.filter(pk=job.pk, deleted_at__isnull=False).update(deleted_at=None, deleted_by=None)
    job.refresh_from_db(fields=["deleted_at", "deleted_by"])
    return restored == 1


@dataclass(frozen=True)
class Purged:
    job_id: int
    images: int
    files_removed: int
    job_row_kept: bool  # the billing ledger holds it


def job_purge(*, job: Job, membership: Membership | None, confirm: str) -> Purged:
    """Delete a trashed job's images and references for good: rows first, then their stored files."""
    _require_admin(membership, _("Only a team admin can purge jobs in the trash."))
    job_id = job.pk
    if confirm.strip().lower() != PURGE_CONFIRMATION:
        text = _("Confirm: type “%(word)s” to delete job %(job)s and its files for good.")
        raise PurgeUnconfirmed(text % {"word": PURGE_CONFIRMATION, "job": job.pk})
    with transaction.atomic():
        # Locks the row (on databases that can) and re-checks it is still in the trash:
        # Job.DoesNotExist if it was restored or purged meanwhile.
        job = Job.objects.select_for_update().get(pk=job.pk, deleted_at__isnull=False)
        outputs = list(job.outputs.all())
        references = list(job.references.all())
        files = [f for o in outputs for f in (o.file, o.thumbnail) if f] + [r.file for r in references if r.file]
        doomed = [(f.storage, f.name) for f in files]
        # Reviews, comments, stars and board places go with their images (CASCADE).
        OutputImage.objects.filter(job=job).delete()
        job.references.all().delete()
        kept = False
        try:
            with transaction.atomic():
                job.delete()
        except (ProtectedError, RestrictedError):
            kept = True
    # Files go only once the rows are gone: a failure above leaves everything in place.
    for storage, name in doomed:
        storage.delete(name)
    return Purged(job_id=job_id, images=len(outputs), files_removed=len(doomed), job_row_kept=kept)


def _require_admin(membership: Membership | None, refusal: str) -> None:
    if not teams.can_administer(membership):
        raise TrashRefused(refusal)


# How long the person who deleted a job may take it back without an admin (the toast's Undo).
UNDO_WINDOW = timedelta(minutes=10)


def job_undo_trash(*, job: Job, by, membership: Membership | None) -> bool:
    """Undo a delete: the person who deleted the job, shortly after, or a team admin at any time."""
    recent = job.deleted_at is not None and timezone.now() - job.deleted_at <= UNDO_WINDOW
    if not (teams.can_administer(membership) or (membership is not None and job.deleted_by_id == by.pk and recent)):
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        text = _("Only the person who deleted this job (within %(minutes)s minutes) or a team admin can bring it back.")
        raise TrashRefused(text % {"minutes": minutes})
    restored = Job.objects.filter(pk=job.pk, deleted_at__isnull=False).update(deleted_at=None, deleted_by=None)
    job.refresh_from_db(fields=["deleted_at", "deleted_by"])
    return restored == 1
