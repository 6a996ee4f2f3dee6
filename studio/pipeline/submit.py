"""Sending a queued job to the provider: once, throttled, and never blindly twice.

The job is marked `submitting` (its own commit) before the POST and its task_id is stored in
the commit right after it. A job that has a task_id is never submitted again; a POST whose
answer never came is not repeated but reconciled with the provider's task list.

Lanes: at most one unacknowledged submission is in the air per API key and model. A job is
admitted only when no other job of its lane is `submitting`, and a submission that crashes or
loses its answer keeps the lane until the recovery sweep has settled it. So every task of that
model the provider made after the submission began is either followed by a job or is this job's,
and an interrupted submit can always be matched to its task, or proven to have none, without a
person — as long as nothing else uses the key (studio.pipeline.recovery). The provider's own
limit of 2 submissions per second (reference: 002, rate limits) is what a lane mostly waits for
anyway; `make bench` measures what it costs.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from studio.pipeline import attention, dispatch, provider, recovery, transitions
from studio.pipeline.backoff import backoff
from studio.pipeline.jobs import body_for_job
from studio.pipeline.models import Job, JobStatus, ProviderAccount
from studio.pipeline.recovery import Reconciled
from studio.pipeline.task_results import output_fields
from studio.wan import errors
from studio.wan.capabilities import MODELS
from studio.wan.client import WanClient
from studio.wan.responses import GenerationResult

log = logging.getLogger(__name__)
S = JobStatus


class SubmitOutcome(StrEnum):
    """What one try to send a job did (for the queue's result, logs and tests)."""

    SUBMITTED = "submitted"  # the provider made a task, which the job now follows
    GENERATED = "generated"  # a synchronous answer came with the images
    RETRY = "retry"  # not sent, or refused without a task: queued again after a backoff
    FAILED = "failed"
    PAUSED = "paused"  # the key may not submit now (bad key, arrears, quota)
    THROTTLED = "throttled"  # the key's rate or concurrency limit: queued for when it frees
    LANE_BUSY = "lane-busy"  # another job of the lane waits for its answer
    LANE_STUCK = "lane-stuck"  # ... and its worker died: the lane must be settled first
    ADMITTED = "admitted"  # taken into `submitting`, about to be sent
    TAKEN = "taken"  # another worker took the job first
    NOT_QUEUED = "not-queued"
    UNKNOWN_OUTCOME = "unknown-outcome"  # sent, no answer: a person or the sweep decides
    LATE_ANSWER = "late-answer"  # the answer came after the job had moved on


@dataclass(frozen=True)
class Limits:
    submits_per_second: float
    concurrent: int


def limits_for(model: str) -> Limits:
    """The key's limits for a model: an operator's per-model override, else the global settings
    held under the provider's documented limit for the model (the capability table)."""
    override = settings.WAN_MODEL_LIMITS.get(model, {})
    caps = MODELS.get(model)
    rate = float(settings.WAN_SUBMITS_PER_SECOND)
    concurrent = int(settings.WAN_MAX_CONCURRENT_TASKS)
    if caps is not None and caps.submits_per_second is not None:
        rate = min(rate, caps.submits_per_second)
    if caps is not None and caps.concurrent_tasks is not None:
        concurrent = min(concurrent, caps.concurrent_tasks)
    return Limits(
        submits_per_second=float(override.get("submits_per_second", rate)),
        concurrent=int(override.get("concurrent", concurrent)),
    )


# A job waiting for its lane is rung when the lane frees; these bound the fallback wait.
LANE_RECHECK = timedelta(seconds=1)
LANE_FALLBACK = timedelta(seconds=60)
# How long a worker that freed a lane goes on sending that lane's waiting jobs itself.
LANE_DRAIN_SECONDS = 3.0
RATE_SLACK = timedelta(milliseconds=20)


def account_for(api_key_id: str) -> ProviderAccount:
    account, _ = ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    return account


def job_submit(*, job_id: int, client: WanClient | None = None) -> SubmitOutcome:
    """Try to send one queued job. Returns what happened, for logs and tests."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != S.QUEUED:
        return SubmitOutcome.NOT_QUEUED
    body = body_for_job(job)
    admitted = _admit(job)
    if admitted not in (SubmitOutcome.ADMITTED, SubmitOutcome.LANE_STUCK):
        return admitted
    owns_client = client is None
    client = client or provider.make_client()
    try:
        if admitted == SubmitOutcome.LANE_STUCK:
            # The lane's holder was interrupted (its worker died): settle it now, as the sweep
            # would, rather than leave the lane closed until the next sweep.
            recovery.reconcile_lane(job.api_key_id, job.model, client=client)
            admitted = _admit(job)
            if admitted != SubmitOutcome.ADMITTED:
                return SubmitOutcome.LANE_BUSY if admitted == SubmitOutcome.LANE_STUCK else admitted
        # The admitting move bumped the attempt once: this worker's writes name the attempt it made.
        return _send(job, body, client, job.attempt + 1)
    finally:
        if owns_client:
            client.close()


def job_submit_lane(*, job_id: int, budget_seconds: float = LANE_DRAIN_SECONDS) -> SubmitOutcome:
    """Send a job, then keep sending its lane's waiting jobs for up to `budget_seconds`.

    A lane sends one job at a time; handing each next job to the queue would add the broker's
    latency to every submission, so the worker that freed the lane goes on with it, then rings
    the next one and gives its worker back (downloads wait for it too).
    """
    job = Job.objects.filter(pk=job_id).only("api_key_id", "model").first()
    if job is None:
        return SubmitOutcome.NOT_QUEUED
    outcome = job_submit(job_id=job_id)
    if outcome != SubmitOutcome.SUBMITTED:
        return outcome
    deadline = time.monotonic() + budget_seconds
    with provider.make_client() as client:
        while time.monotonic() < deadline:
            following = dispatch.claim_lane_next(job.api_key_id, job.model)
            if following is None:
                return outcome
            result = job_submit(job_id=following, client=client)
            if result == SubmitOutcome.THROTTLED:
                # Wait out the limit if it frees within the budget (the documented 2 per second
                # usually does), rather than hand the job to the queue's slower round trip.
                due = Job.objects.filter(pk=following).values_list("next_attempt_at", flat=True).first()
                pause = (due - timezone.now()).total_seconds() if due else budget_seconds
                if pause > deadline - time.monotonic():
                    break
                time.sleep(max(0.0, pause))
            elif result != SubmitOutcome.SUBMITTED:
                break
    dispatch.ring_lane(job.api_key_id, job.model)
    return outcome


def _admit(job: Job) -> SubmitOutcome:
    """Take the job into `submitting` if the key's limits and the lane allow; otherwise defer it."""
    now = timezone.now()
    limits = limits_for(job.model)
    account_for(job.api_key_id)
    sync = MODELS[job.model].sync_only if job.model in MODELS else False
    with transaction.atomic():
        # Locking the key's row serialises admission: two workers racing for the last slot
        # (or the lane) cannot both pass the counts below.
        account = ProviderAccount.objects.select_for_update().get(api_key_id=job.api_key_id)
        if account.paused_until and account.paused_until > now:
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=account.paused_until)
            return SubmitOutcome.PAUSED
        same = Job.objects.filter(api_key_id=job.api_key_id, model=job.model)
        # A synchronous call leaves no task to match, so it needs no lane.
        holder = None if sync else same.filter(status=S.SUBMITTING).order_by("lease_until").last()
        if holder is not None:
            if holder.lease_until is None or holder.lease_until < now:
                return SubmitOutcome.LANE_STUCK
            # The holder's end rings this lane (dispatch.ring_lane); its lease is the fallback.
            wait = max(holder.lease_until, now + LANE_RECHECK)
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=min(wait, now + LANE_FALLBACK))
            return SubmitOutcome.LANE_BUSY
        in_flight = same.filter(status__in=[S.SUBMITTING, S.SUBMITTED, S.RUNNING]).count()
        window = timedelta(seconds=max(1.0, 1.0 / limits.submits_per_second))
        recent = list(same.filter(submitting_at__gt=now - window).values_list("submitting_at", flat=True))
        allowed_recent = max(1, int(limits.submits_per_second * window.total_seconds()))
        if in_flight >= limits.concurrent:
            wait = timedelta(seconds=random.uniform(0.5, 1.5) * window.total_seconds())
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=now + wait)
            return SubmitOutcome.THROTTLED
        if len(recent) >= allowed_recent:
            # The rate window frees when its oldest submission leaves it.
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=min(recent) + window + RATE_SLACK)
            return SubmitOutcome.THROTTLED
        moved = transitions.move(
            job.pk,
            S.QUEUED,
            S.SUBMITTING,
            attempt=job.attempt,
            lease_until=now + timedelta(seconds=settings.WAN_LEASE_SECONDS),
            submit_attempts=F("submit_attempts") + 1,
        )
    return SubmitOutcome.ADMITTED if moved else SubmitOutcome.TAKEN


def _send(job: Job, body: dict, client: WanClient, attempt: int) -> SubmitOutcome:
    now = timezone.now()
    caps = MODELS.get(job.model)
    sync = caps is not None and caps.sync_only
    try:
        # Sync-only models (z-image-turbo, qwen-image-edit) answer with the images at once.
        answer = client.generate(body) if sync else client.submit(body)
    except (errors.SubmissionOutcomeUnknown, errors.MalformedResponse) as exc:
        return _answer_lost(job, attempt, exc, client)
    except (errors.APIConnectionError, errors.RateLimitError) as exc:
        # Never reached the provider, or refused without creating a task: safe to send later.
        delay = backoff(job.submit_attempts + 1)
        if isinstance(exc, errors.RateLimitError) and exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        _requeue(job, attempt, delay, exc)
        return SubmitOutcome.RETRY
    except (errors.AuthenticationError, errors.AccountError) as exc:
        _pause_account(job.api_key_id, exc)
        _requeue(job, attempt, timedelta(seconds=settings.WAN_PAUSE_SECONDS), exc)
        return SubmitOutcome.PAUSED
    except errors.ServerError as exc:
        job.refresh_from_db(fields=["submit_attempts"])
        if job.submit_attempts < settings.WAN_SUBMIT_MAX_ATTEMPTS:
            _requeue(job, attempt, backoff(job.submit_attempts + 1), exc)
            return SubmitOutcome.RETRY
        _fail(job, attempt, exc)
        return SubmitOutcome.FAILED
    except errors.APIStatusError as exc:
        _fail(job, attempt, exc)
        return SubmitOutcome.FAILED
    if isinstance(answer, GenerationResult):
        return _generated(job, attempt, answer)
    task = answer
    with transaction.atomic():
        attention.remember_task(task.task_id, job=job, model=job.model, api_key_id=job.api_key_id, status=task.task_status)
        moved = transitions.move(
            job.pk,
            S.SUBMITTING,
            S.SUBMITTED,
            attempt=attempt,
            task_id=task.task_id,
            request_id=task.request_id or "",
            provider_status=task.task_status,
            error_code="",
            error_message="",
            # Followed from now on: when it is asked about is the poller's plan (studio.pipeline.follow).
            next_attempt_at=now,
        )
    if moved:
        # The lane is free: the caller sends its next job itself or rings it (job_submit_lane).
        return SubmitOutcome.SUBMITTED
    # The job moved on while this answer was on its way (a person decided, or the sweep judged
    # the attempt lost). If it still follows no task, this is its task; otherwise the task stays
    # recorded as this job's second one, and the reconciliation lists it.
    job.refresh_from_db()
    if job.status == S.UNKNOWN_OUTCOME and job.task_id is None and attention.adopt(job, attempt=job.attempt, task=task):
        return SubmitOutcome.SUBMITTED
    log.error(
        "job %s: provider task %s arrived after the job had moved on (%s); kept as a provider task "
        "of the job, listed by the reconciliation",
        job.pk,
        task.task_id,
        job.status,
    )
    return SubmitOutcome.LATE_ANSWER


def _answer_lost(job: Job, attempt: int, exc: errors.WanError, client: WanClient) -> SubmitOutcome:
    """Sent, but no answer we can read: the provider may have made a task. Never sent blindly
    again: an asynchronous submit keeps its lane and is matched with the task list at once (or by
    the sweep, if the task is not listed yet); a synchronous call has nothing to match."""
    message = (
        "The request was sent but no readable answer came back, so the provider may have created a "
        "task. It was not sent again, to avoid paying twice. " + exc.message
    )
    if MODELS[job.model].sync_only if job.model in MODELS else False:
        attention.park(job, attempt=attempt, reason=attention.SYNC_LOST)
        return SubmitOutcome.UNKNOWN_OUTCOME
    if not transitions.update_if(
        job.pk, S.SUBMITTING, attempt=attempt, lease_until=timezone.now(), error_code="OutcomeUnknown", error_message=message
    ):
        return SubmitOutcome.UNKNOWN_OUTCOME
    job.refresh_from_db()
    settled = recovery.reconcile(job, client)
    if settled == Reconciled.ADOPTED:
        return SubmitOutcome.SUBMITTED
    return SubmitOutcome.RETRY if settled == Reconciled.RESENT else SubmitOutcome.UNKNOWN_OUTCOME


def _generated(job: Job, attempt: int, result: GenerationResult) -> SubmitOutcome:
    """A synchronous answer: record it as a finished task would be and ring the download."""
    now = timezone.now()
    moved = transitions.move(
        job.pk,
        S.SUBMITTING,
        S.DOWNLOADING,
        attempt=attempt,
        request_id=result.request_id or "",
        provider_status="SUCCEEDED",
        # The submit's lease ends here, so the downloader can take the job.
        lease_until=None,
        submitted_at=now,
        provider_end_time=now,
        error_code="",
        error_message="",
        next_attempt_at=now + dispatch.RING_GAP,
        **output_fields(result.items, result.usage, result.request_id, ended=now),
    )
    if moved:
        dispatch.ring(dispatch.Doorbell.DOWNLOAD, job.pk)
    return SubmitOutcome.GENERATED


def _requeue(job: Job, attempt: int, delay: timedelta, exc: errors.WanError) -> None:
    with transaction.atomic():
        if transitions.move(
            job.pk,
            S.SUBMITTING,
            S.QUEUED,
            attempt=attempt,
            next_attempt_at=timezone.now() + delay,
            error_code=getattr(exc, "code", None) or type(exc).__name__,
            error_message=f"Waiting to retry: {exc.message}",
        ):
            dispatch.ring_lane(job.api_key_id, job.model)


def _fail(job: Job, attempt: int, exc: errors.WanError) -> None:
    with transaction.atomic():
        if transitions.move(
            job.pk,
            S.SUBMITTING,
            S.FAILED,
            attempt=attempt,
            error_code=getattr(exc, "code", None) or type(exc).__name__,
            error_message=exc.message,
        ):
            dispatch.ring_lane(job.api_key_id, job.model)


def _pause_account(api_key_id: str, exc: errors.WanError) -> None:
    ProviderAccount.objects.filter(api_key_id=api_key_id).update(
        paused_until=timezone.now() + timedelta(seconds=settings.WAN_PAUSE_SECONDS),
        pause_code=getattr(exc, "code", None) or type(exc).__name__,
        pause_message=exc.message,
    )
    log.warning("submissions paused for key %s: %s", api_key_id, getattr(exc, "code", ""))
