"""The recovery sweep: resume every job stuck in a non-terminal state past its lease.

Idempotent and single-flight (a lease row): it runs every minute from a django-q2 schedule and at
every worker start, on any number of machines, and only one runs at a time. Even so, every move
it makes names the attempt it examined (studio.pipeline.transitions), so a sweep acting on an old
reading can never undo what a worker did since.

An interrupted submission is the delicate case: its worker died (or its answer was lost) between
sending the POST and storing the task id, so the provider may or may not have made a task. The
submit path keeps at most one unacknowledged submission in the air per API key and model (its
"lane", studio.pipeline.submit), and a lane stays closed until its submission is resolved. So the
provider's task list settles it without a person: among that model's tasks created since the
submission began, one that no job follows is this job's and is adopted; none at all once the
answer could no longer come means the POST made no task, and sending again is safe. More than
one can only happen when something else uses the key: a person chooses (studio.pipeline.attention).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone

from studio.pipeline import attention, dispatch, provider, transitions
from studio.pipeline.models import Job, JobStatus, Lease
from studio.wan import errors
from studio.wan.capabilities import MODELS, RESULT_TTL_SECONDS
from studio.wan.client import WanClient
from studio.webhooks import delivery as webhook_delivery

log = logging.getLogger(__name__)
S = JobStatus

SWEEP_LEASE = "recovery-sweep"
SWEEP_LEASE_SECONDS = 120
# How long a task list that cannot be read holds a submission's lane before a person is asked.
LIST_PATIENCE = timedelta(minutes=15)


def sweep(*, client: WanClient | None = None) -> dict[str, int]:
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _take_sweep_lease(holder):
        return {"skipped": 1}
    try:
        # Reconcile first, so a job found never sent is rung in this same sweep.
        reconciled = reconcile_stuck_submissions(client=client)
        rung = dispatch.ring_due()
        # Webhook deliveries whose time has come, or whose message or worker was lost.
        webhooks = webhook_delivery.ring_due()
    finally:
        Lease.objects.filter(name=SWEEP_LEASE, holder=holder).update(holder="", until=None)
    return {"rung": rung, "webhooks": webhooks, **reconciled}


def _take_sweep_lease(holder: str) -> bool:
    now = timezone.now()
    Lease.objects.get_or_create(name=SWEEP_LEASE)
    free = Q(until__isnull=True) | Q(until__lt=now)
    until = now + timedelta(seconds=SWEEP_LEASE_SECONDS)
    return Lease.objects.filter(free, name=SWEEP_LEASE).update(holder=holder, until=until) == 1


def _stuck_submissions() -> list[Job]:
    now = timezone.now()
    stuck = Q(status=S.SUBMITTING, lease_until__lt=now)
    # Parked only because the task list could not be read: looked at again on its own.
    recheck = Q(
        status=S.UNKNOWN_OUTCOME,
        attention__reason=attention.LIST_UNAVAILABLE,
        submitting_at__gt=now - timedelta(seconds=RESULT_TTL_SECONDS),
        next_attempt_at__lte=now,
    )
    return list(Job.objects.filter(stuck | recheck, task_id__isnull=True).order_by("submitting_at")[:50])


class Reconciled(StrEnum):
    """What an interrupted submission became."""

    ADOPTED = "adopted"
    RESENT = "resent"
    WAITING = "waiting"
    ATTENTION = "attention"


def reconcile_stuck_submissions(*, client: WanClient | None = None) -> dict[str, int]:
    counts = {outcome.value: 0 for outcome in Reconciled}
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


def reconcile_lane(api_key_id: str, model: str, *, client: WanClient) -> Reconciled | None:
    """Settle the interrupted submission holding a lane (key and model), if there is one."""
    holder = Job.objects.filter(
        api_key_id=api_key_id, model=model, status=S.SUBMITTING, lease_until__lt=timezone.now(), task_id__isnull=True
    ).first()
    return reconcile(holder, client) if holder is not None else None


def reconcile(job: Job, client: WanClient) -> Reconciled:
    """Decide what an interrupted submission became: adopted, resent, waiting or attention."""
    attempt = job.attempt
    caps = MODELS.get(job.model)
    if caps is not None and caps.sync_only:
        attention.park(job, attempt=attempt, reason=attention.SYNC_LOST)
        return Reconciled.ATTENTION
    now = timezone.now()
    start, end, closes = attention.submission_window(job, now)
    try:
        candidates = attention.unclaimed_tasks(job, client.list_tasks(start=start, end=end, model=job.model))
    except errors.WanError as exc:
        log.warning("job %s: provider task list unavailable (%s)", job.pk, type(exc).__name__)
        return _list_unavailable(job, attempt, now)
    if len(candidates) == 1:
        return Reconciled.ADOPTED if attention.adopt(job, attempt=attempt, task=candidates[0]) else Reconciled.WAITING
    if not candidates:
        if now <= closes:
            # The answer could still be on its way (or the task not yet listed): look again then.
            transitions.update_if(job.pk, job.status, attempt=attempt, lease_until=closes, next_attempt_at=closes)
            return Reconciled.WAITING
        if transitions.move(
            job.pk,
            job.status,
            S.QUEUED,
            attempt=attempt,
            next_attempt_at=now,
            finished_at=None,
            attention={},
            error_code="",
            error_message="The previous attempt never reached the provider; sending again.",
        ):
            log.info("job %s: interrupted submit never reached the provider; queued again", job.pk)
            attention.record(job, "resent", "The provider's task list shows no task from the interrupted submit.")
        return Reconciled.RESENT
    attention.park(job, attempt=attempt, reason=attention.AMBIGUOUS, candidates=candidates, window=(start, end))
    return Reconciled.ATTENTION


def _list_unavailable(job: Job, attempt: int, now: datetime) -> Reconciled:
    began = job.submitting_at or job.created_at
    if job.status == S.SUBMITTING and now - began < LIST_PATIENCE:
        # Keep the lane closed and ask again at the next sweep: nothing is sent blindly.
        transitions.update_if(job.pk, S.SUBMITTING, attempt=attempt, lease_until=now)
        return Reconciled.WAITING
    if job.status == S.SUBMITTING:
        attention.park(job, attempt=attempt, reason=attention.LIST_UNAVAILABLE)
    else:
        transitions.update_if(job.pk, S.UNKNOWN_OUTCOME, attempt=attempt, next_attempt_at=now + attention.RECHECK_UNKNOWN)
    return Reconciled.ATTENTION
