"""The recovery sweep: resume every job stuck in a non-terminal state past its lease.

Idempotent; runs every minute from a django-q2 schedule (catch_up off) and is safe to run on
several machines at once: rows are claimed with conditional updates (and skip_locked where the
database has it).

A job stuck in `submitting` is the delicate case: its worker died between marking it and
storing the task id, so the POST may or may not have reached the provider. So is a job in
`unknown_outcome`, whose POST was sent but whose answer never came. Both are reconciled against
the provider's task list: exactly one unclaimed task of that model created in the job's window
is adopted; none at all (and the window closed) means the POST never created a task, so sending
again is safe; anything else stays `unknown_outcome` and is looked at again later, until the
provider's 24-hour task list no longer covers it and a person decides.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from studio.pipeline import dispatch, provider, transitions
from studio.pipeline.models import Job, JobStatus
from studio.wan import errors
from studio.wan.capabilities import MODELS, RESULT_TTL_SECONDS
from studio.wan.client import WanClient

log = logging.getLogger(__name__)
S = JobStatus


def sweep(*, client: WanClient | None = None) -> dict[str, int]:
    # Reconcile first, so a job found never sent is rung in this same sweep.
    reconciled = reconcile_stuck_submissions(client=client)
    rung = dispatch.ring_due()
    return {"rung": rung, **reconciled}


RECHECK_UNKNOWN = timedelta(minutes=10)


def _stuck_submissions() -> list[Job]:
    now = timezone.now()
    stuck = Q(status=S.SUBMITTING, lease_until__lt=now)
    unanswered = Q(
        status=S.UNKNOWN_OUTCOME,
        submitting_at__gt=now - timedelta(seconds=RESULT_TTL_SECONDS),
    ) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    qs = Job.objects.filter(stuck | unanswered, task_id__isnull=True).order_by("submitting_at")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            return list(qs.select_for_update(skip_locked=True)[:50])
    return list(qs[:50])


def reconcile_stuck_submissions(*, client: WanClient | None = None) -> dict[str, int]:
    counts = {"adopted": 0, "resent": 0, "unknown": 0}
    stuck = _stuck_submissions()
    if not stuck:
        return counts
    owns = client is None
    client = client or provider.make_client()
    try:
        for job in stuck:
            counts[reconcile(job, client)] += 1
    finally:
        if owns:
            client.close()
    return counts


def reconcile(job: Job, client: WanClient) -> str:
    """Decide what a submission interrupted mid-flight became. Returns adopted/resent/unknown."""
    caps = MODELS.get(job.model)
    if caps is not None and caps.sync_only:
        # A synchronous call creates no task to find in the list: its images may have been
        # made (and billed) with the answer lost. Never sent again without a person.
        _leave_unknown(
            job,
            f"{job.model} answers synchronously, so an interrupted call leaves nothing to look up. "
            "It was not sent again (to avoid paying twice); a person can retry or give it up.",
        )
        return "unknown"
    start = job.submitting_at - timedelta(seconds=5)
    end = job.submitting_at + timedelta(seconds=settings.WAN_LEASE_SECONDS)
    try:
        listed = client.list_tasks(start=start, end=end, model=job.model)
    except errors.WanError as exc:
        log.warning("job %s: provider task list unavailable (%s)", job.pk, type(exc).__name__)
        _leave_unknown(
            job,
            "The worker stopped while sending this job and the provider's task list could not be "
            "read, so it was not sent again (to avoid paying twice).",
        )
        return "unknown"
    claimed = set(Job.objects.filter(task_id__in=[t.task_id for t in listed]).values_list("task_id", flat=True))
    candidates = [t for t in listed if t.task_id not in claimed]
    rivals = Job.objects.filter(
        model=job.model,
        api_key_id=job.api_key_id,
        status__in=[S.SUBMITTING, S.UNKNOWN_OUTCOME],
        task_id__isnull=True,
        submitting_at__range=(start, end),
    ).count()
    if len(candidates) == 1 and rivals == 1:
        task = candidates[0]
        if transitions.move(
            job.pk,
            job.status,
            S.SUBMITTED,
            task_id=task.task_id,
            provider_status=task.task_status,
            next_attempt_at=timezone.now(),
            finished_at=None,
            error_code="",
            error_message="",
        ):
            log.info("job %s: adopted provider task %s after an interrupted submit", job.pk, task.task_id)
        return "adopted"
    if not candidates and timezone.now() > end:
        if transitions.move(
            job.pk,
            job.status,
            S.QUEUED,
            next_attempt_at=timezone.now(),
            finished_at=None,
            error_code="",
            error_message="The previous attempt never reached the provider; sending again.",
        ):
            log.info("job %s: interrupted submit never reached the provider; queued again", job.pk)
        return "resent"
    _leave_unknown(
        job,
        f"The request may have reached the provider: {len(candidates)} of its tasks could be this "
        "job's, so it was not sent again (to avoid paying twice). It is checked again every "
        f"{RECHECK_UNKNOWN.seconds // 60} minutes; a person can retry or give it up.",
    )
    return "unknown"


def _leave_unknown(job: Job, message: str) -> None:
    fields = {
        "error_code": "OutcomeUnknown",
        "error_message": message,
        "next_attempt_at": timezone.now() + RECHECK_UNKNOWN,
    }
    if job.status == S.SUBMITTING:
        transitions.move(job.pk, S.SUBMITTING, S.UNKNOWN_OUTCOME, **fields)
    else:
        transitions.update_if(job.pk, S.UNKNOWN_OUTCOME, **fields)
