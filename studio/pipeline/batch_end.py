"""A batch ends with its last job: decided inside that job's final move (studio.pipeline.job_ended).

The batch's row is locked first, so of two of its jobs ending at once in two transactions the
second waits for the first to commit and then sees both ended (PostgreSQL reads each statement
afresh; SQLite lets one writer at a time anyway). The conditional update lets exactly one call
finish it, and since it commits with the job's move, a crash can neither lose the end of a batch
nor announce one that was rolled back.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from studio.pipeline.budgets import ENDED_STATUSES
from studio.pipeline.models import Batch, Job, JobStatus


def batch_job_ended(job_id: int) -> bool:
    """Finish the job's batch if that was its last open job; whether this call finished it."""
    batch_id = Job.objects.filter(pk=job_id).values_list("batch_id", flat=True).first()
    if batch_id is None:
        return False
    with transaction.atomic():
        list(Batch.objects.select_for_update().filter(pk=batch_id, finished_at__isnull=True).values_list("pk"))
        if Job.objects.filter(batch_id=batch_id).exclude(status__in=ENDED_STATUSES).exists():
            return False
        return Batch.objects.filter(pk=batch_id, finished_at__isnull=True).update(finished_at=timezone.now()) == 1


def batch_event_data(batch_id: int) -> dict:
    """What the batch.finished event says: its jobs by end, and the images stored."""
    batch = Batch.objects.get(pk=batch_id)
    counts = batch.jobs.aggregate(
        jobs=Count("pk"),
        succeeded=Count("pk", filter=Q(status=JobStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status__in=(JobStatus.FAILED, JobStatus.EXPIRED))),
        canceled=Count("pk", filter=Q(status=JobStatus.CANCELED)),
        images=Sum("images_stored"),
    )
    return {
        "id": batch.pk,
        "name": batch.name,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        **{name: value or 0 for name, value in counts.items()},
        "url": f"/api/v1/batches/{batch.pk}",
    }
