"""Ringing doorbells: queue messages that tell a worker a job needs attention.

Messages carry only a job id. They may be lost (a crash before enqueue, or Redis' at-most-once
delivery) or delivered twice; neither matters, because each task re-reads the job row and its
moves are conditional. `ring_due` rings again for every job whose time has come.

The services ring a `Doorbell`; which function answers it is said once, where that function is
defined (studio.pipeline.tasks, `@answers(...)`), so the services need not import the queue's
entry points that call them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task
from django_q.utils import get_func_repr

from studio.pipeline.models import Job, JobStatus

S = JobStatus
# After ringing, a job is not rung again for this long unless its task reschedules it.
RING_GAP = timedelta(seconds=30)

F = TypeVar("F", bound=Callable[..., object])


class Doorbell(StrEnum):
    """What a queue message asks a worker to do; the value is the message's group."""

    SUBMIT = "submit_job"
    DOWNLOAD = "download_job"
    FOLLOW = "follow"
    SWEEP = "sweep"


_answered_by: dict[Doorbell, Callable[..., object]] = {}


def answers(doorbell: Doorbell) -> Callable[[F], F]:
    """Make the decorated queue task the one that runs when `doorbell` rings."""

    def register(func: F) -> F:
        _answered_by[doorbell] = func
        return func

    return register


def task_path(doorbell: Doorbell) -> str:
    # Messages and schedules carry the function's dotted path (as before): a message queued by an
    # older release still finds its function, and no code object is pickled onto the broker.
    # Registered when studio.pipeline.tasks is imported (PipelineConfig.ready).
    return get_func_repr(_answered_by[doorbell])


def enqueue(doorbell: Doorbell, *args: object) -> None:
    """Queue the doorbell's task now."""
    async_task(task_path(doorbell), *args, group=doorbell.value)


def ring(doorbell: Doorbell, job_id: int) -> None:
    """Queue the doorbell's task for `job_id` once the current transaction (if any) has committed."""
    transaction.on_commit(lambda: enqueue(doorbell, job_id))


def ring_lane(api_key_id: str, model: str) -> bool:
    """Ring the next queued job of a submission lane (one API key and model) once the lane is
    free again, rather than leaving it to wait out its fallback time (studio.pipeline.submit)."""
    job_id = claim_lane_next(api_key_id, model)
    if job_id is not None:
        ring(Doorbell.SUBMIT, job_id)
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
    for status, doorbell in ((S.QUEUED, Doorbell.SUBMIT), (S.DOWNLOADING, Doorbell.DOWNLOAD)):
        due = Job.objects.filter(lease_free, status=status, next_attempt_at__lte=now).values_list(
            "id", "next_attempt_at"
        )[:limit]
        for job_id, when in due:
            # Claim the ring with a conditional update, so two dispatchers ring once.
            if Job.objects.filter(pk=job_id, status=status, next_attempt_at=when).update(
                next_attempt_at=now + RING_GAP
            ):
                ring(doorbell, job_id)
                rung += 1
    return rung
