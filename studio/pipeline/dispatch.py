"""Ringing doorbells: queue messages that tell a worker a job needs attention.

Messages carry only a job id. They may be lost (a crash before enqueue, or Redis' at-most-once
delivery) or delivered twice; neither matters, because each task re-reads the job row and its
moves are conditional. `ring_due` rings again for every job whose time has come.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studio.pipeline.models import Job, JobStatus

S = JobStatus
# After ringing, a job is not rung again for this long unless its task reschedules it.
RING_GAP = timedelta(seconds=30)


def ring(func: str, job_id: int) -> None:
    """Enqueue `func(job_id)` once the current transaction (if any) has committed."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(func, job_id, group=func.rsplit(".", 1)[-1]))


def ring_due(limit: int = 200) -> int:
    """Ring for queued and downloading jobs whose next attempt is due. Returns how many."""
    now = timezone.now()
    rung = 0
    lease_free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    for status, func in (
        (S.QUEUED, "studio.pipeline.tasks.submit_job"),
        (S.DOWNLOADING, "studio.pipeline.tasks.download_job"),
    ):
        due = Job.objects.filter(lease_free, status=status, next_attempt_at__lte=now).values_list(
            "id", "next_attempt_at"
        )[:limit]
        for job_id, when in due:
            # Claim the ring with a conditional update, so two dispatchers ring once.
            if Job.objects.filter(pk=job_id, status=status, next_attempt_at=when).update(
                next_attempt_at=now + RING_GAP
            ):
                ring(func, job_id)
                rung += 1
    return rung
