"""Sending a queued job to the provider: once, throttled, and never blindly twice.

The job is marked `submitting` (its own commit) before the POST and its task_id is stored in
the commit right after it. A job that has a task_id is never submitted again; a POST whose
answer never came is not repeated but marked `unknown_outcome` for reconciliation.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from studio.pipeline import dispatch, provider, transitions
from studio.pipeline.jobs import body_for_job
from studio.pipeline.models import Job, JobStatus, ProviderAccount
from studio.wan import errors
from studio.wan.capabilities import MODELS
from studio.wan.client import WanClient
from studio.wan.polling import poll_interval
from studio.wan.responses import GenerationResult

log = logging.getLogger(__name__)
S = JobStatus


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


def backoff(attempt: int, *, base: float = 2.0, cap: float = 120.0) -> timedelta:
    """Exponential backoff with full jitter."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1))) + 0.5)


def account_for(api_key_id: str) -> ProviderAccount:
    account, _ = ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    return account


def job_submit(*, job_id: int, client: WanClient | None = None) -> str:
    """Try to send one queued job. Returns what happened, for logs and tests."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != S.QUEUED:
        return "not-queued"
    body = body_for_job(job)
    admitted = _admit(job)
    if admitted != "admitted":
        return admitted
    owns_client = client is None
    client = client or provider.make_client()
    try:
        return _send(job, body, client)
    finally:
        if owns_client:
            client.close()


def _admit(job: Job) -> str:
    """Take the job into `submitting` if the key's limits allow; otherwise defer it."""
    now = timezone.now()
    limits = limits_for(job.model)
    account_for(job.api_key_id)
    with transaction.atomic():
        # Locking the key's row serialises admission: two workers racing for the last slot
        # cannot both pass the count below.
        account = ProviderAccount.objects.select_for_update().get(api_key_id=job.api_key_id)
        if account.paused_until and account.paused_until > now:
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=account.paused_until)
            return "paused"
        same = Job.objects.filter(api_key_id=job.api_key_id, model=job.model)
        in_flight = same.filter(status__in=[S.SUBMITTING, S.SUBMITTED, S.RUNNING]).count()
        window = timedelta(seconds=max(1.0, 1.0 / limits.submits_per_second))
        recent = same.filter(submitting_at__gt=now - window).count()
        allowed_recent = max(1, int(limits.submits_per_second * window.total_seconds()))
        if in_flight >= limits.concurrent or recent >= allowed_recent:
            wait = timedelta(seconds=random.uniform(0.5, 1.5) * window.total_seconds())
            transitions.update_if(job.pk, S.QUEUED, next_attempt_at=now + wait)
            return "throttled"
        moved = transitions.move(
            job.pk,
            S.QUEUED,
            S.SUBMITTING,
            lease_until=now + timedelta(seconds=settings.WAN_LEASE_SECONDS),
            submit_attempts=F("submit_attempts") + 1,
        )
    return "admitted" if moved else "taken"


def _send(job: Job, body: dict, client: WanClient) -> str:
    now = timezone.now()
    caps = MODELS.get(job.model)
    sync = caps is not None and caps.sync_only
    try:
        # Sync-only models (z-image-turbo, qwen-image-edit) answer with the images at once.
        answer = client.generate(body) if sync else client.submit(body)
    except (errors.SubmissionOutcomeUnknown, errors.MalformedResponse) as exc:
        # Sent, but no answer we can read: a task may exist. Never sent again blindly.
        transitions.move(
            job.pk,
            S.SUBMITTING,
            S.UNKNOWN_OUTCOME,
            error_code="OutcomeUnknown",
            # The recovery sweep reconciles it with the provider's task list from now on.
            next_attempt_at=timezone.now(),
            error_message=(
                "The request was sent but no readable answer came back, so the provider may have "
                "created a task. It was not sent again, to avoid paying twice. " + exc.message
            ),
        )
        return "unknown-outcome"
    except (errors.APIConnectionError, errors.RateLimitError) as exc:
        # Never reached the provider, or refused without creating a task: safe to send later.
        delay = backoff(job.submit_attempts + 1)
        if isinstance(exc, errors.RateLimitError) and exc.retry_after:
            delay = max(delay, timedelta(seconds=exc.retry_after))
        _requeue(job, delay, exc)
        return "retry"
    except (errors.AuthenticationError, errors.AccountError) as exc:
        _pause_account(job.api_key_id, exc)
        _requeue(job, timedelta(seconds=settings.WAN_PAUSE_SECONDS), exc)
        return "paused"
    except errors.ServerError as exc:
        job.refresh_from_db(fields=["submit_attempts"])
        if job.submit_attempts < settings.WAN_SUBMIT_MAX_ATTEMPTS:
            _requeue(job, backoff(job.submit_attempts + 1), exc)
            return "retry"
        _fail(job, exc)
        return "failed"
    except errors.APIStatusError as exc:
        _fail(job, exc)
        return "failed"
    if isinstance(answer, GenerationResult):
        return _generated(job, answer)
    task = answer
    moved = transitions.move_from_any(
        job.pk,
        (S.SUBMITTING, S.UNKNOWN_OUTCOME),
        S.SUBMITTED,
        task_id=task.task_id,
        request_id=task.request_id or "",
        provider_status=task.task_status,
        error_code="",
        error_message="",
        next_attempt_at=now + timedelta(seconds=poll_interval(0)),
    )
    if not moved:
        log.error("job %s: task %s created but the job had moved on; recorded for reconciliation", job.pk, task.task_id)
        Job.objects.filter(pk=job.pk, task_id__isnull=True).update(task_id=task.task_id)
    return "submitted"


def _generated(job: Job, result: GenerationResult) -> str:
    """A synchronous answer: record it as a finished task would be and ring the download."""
    from studio.pipeline.follow import output_fields

    now = timezone.now()
    moved = transitions.move(
        job.pk,
        S.SUBMITTING,
        S.DOWNLOADING,
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
        dispatch.ring("studio.pipeline.tasks.download_job", job.pk)
    return "generated"


def _requeue(job: Job, delay: timedelta, exc: errors.WanError) -> None:
    transitions.move(
        job.pk,
        S.SUBMITTING,
        S.QUEUED,
        next_attempt_at=timezone.now() + delay,
        error_code=getattr(exc, "code", None) or type(exc).__name__,
        error_message=f"Waiting to retry: {exc.message}",
    )


def _fail(job: Job, exc: errors.WanError) -> None:
    transitions.move(
        job.pk,
        S.SUBMITTING,
        S.FAILED,
        error_code=getattr(exc, "code", None) or type(exc).__name__,
        error_message=exc.message,
    )


def _pause_account(api_key_id: str, exc: errors.WanError) -> None:
    ProviderAccount.objects.filter(api_key_id=api_key_id).update(
        paused_until=timezone.now() + timedelta(seconds=settings.WAN_PAUSE_SECONDS),
        pause_code=getattr(exc, "code", None) or type(exc).__name__,
        pause_message=exc.message,
    )
    log.warning("submissions paused for key %s: %s", api_key_id, getattr(exc, "code", ""))
