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


def ring_lane(api_key_id: str, model: str) -> bool:
    """Ring the next queued job of a submission lane (one API key and model) once the lane is
    free again, rather than leaving it to wait out its fallback time (studio.pipeline.submit)."""
    job_id = claim_lane_next(api_key_id, model)
    if job_id is not None:
        ring("studio.pipeline.tasks.submit_job", job_id)
    return job_id is not None


def claim_lane_next(api_key_id: str, model: str) -> int | None:
    """Claim the lane's next queued job for the caller to send (None if there is none).

    Jobs backing off after an error keep their time; only jobs that are merely waiting their turn
    are taken early. The claim pushes the job's time on, as a ring does, so no one else takes it.
    """
    now = timezone.now()
    waiting = Job.objects.filter(api_key_id=api_key_id, model=model, status=S.QUEUED).filter(
        Q(error_code="") | Q(next_attempt_at__lte=now)
    )
    row = waiting.order_by("next_attempt_at", "pk").values_list("id", "next_attempt_at").first()
    if row is None:
        return None
    job_id, when = row
    if Job.objects.filter(pk=job_id, status=S.QUEUED, next_attempt_at=when).update(next_attempt_at=now + RING_GAP):
        return job_id
    return None


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
