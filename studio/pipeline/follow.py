"""Following provider tasks: one loop polls every job in flight, within the query rate limit.

No worker sleeps through a provider task. One queue task runs this loop for a bounded time,
holding a per-key lease so that only one loop (across all worker machines) follows the key's
jobs; each pass takes as many slots of the account's task-query budget as are free (shared with
every other task call, studio.pipeline.query_budget), polls that many due tasks at once over a
pooled client, most-likely-done first, and hands successes to download tasks. When it stops, the
next run takes over.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import close_old_connections
from django.db.models import F, Q
from django.utils import timezone

from studio.pipeline import dispatch, provider, query_budget, transitions
from studio.pipeline.models import IN_FLIGHT_STATUSES, Job, JobStatus, ProviderAccount
from studio.wan import errors
from studio.wan.capabilities import MODELS, RESULT_TTL_SECONDS
from studio.wan.client import WanClient
from studio.wan.polling import poll_interval
from studio.wan.responses import OutputItem, TaskResult, Usage

log = logging.getLogger(__name__)
S = JobStatus

LEASE_SECONDS = 10.0
# How many due jobs are considered per pass; the rest wait for the next pass.
SCAN_LIMIT = 2000
# A run polls at least this long before giving its worker to other queued tasks.
MIN_SLICE_SECONDS = 3.0
# How long a query retried after a transient error may wait for a slot (its first try was paid
# for with the pass's batch).
RETRY_QUERY_WAIT_SECONDS = 1.1


@dataclass
class FollowReport:
    holder: str
    ran: bool = False
    queries: int = 0
    finished: int = 0
    passes: int = 0
    # Ended early to let queued tasks (downloads, submits) have the worker.
    yielded: bool = False
    statuses: dict[str, int] = field(default_factory=dict)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Holder name of a poller that has been queued but has not started yet (see claim_start).
PENDING = "pending"
# How long a queued poller may wait for a worker before another one may be queued (a spare
# exits at once, so erring short only costs a message; erring long delays recovery when the
# queued one is lost, as a Redis broker may lose it with a dying worker).
PENDING_SECONDS = 30.0


def claim_start(api_key_id: str) -> bool:
    """Reserve the lease for a poller about to be queued; False if one runs or is queued.

    Without this every submit would queue its own poller while the first still waits for a
    worker, and the spares would crowd downloads out of the queue.
    """
    now = timezone.now()
    ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    free = Q(follower_until__isnull=True) | Q(follower_until__lt=now)
    return (
        ProviderAccount.objects.filter(free, api_key_id=api_key_id).update(
            follower=PENDING, follower_until=now + timedelta(seconds=PENDING_SECONDS)
        )
        == 1
    )


def acquire_lease(api_key_id: str, holder: str) -> bool:
    now = timezone.now()
    ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    free = Q(follower_until__isnull=True) | Q(follower_until__lt=now) | Q(follower__in=[holder, PENDING])
    return (
        ProviderAccount.objects.filter(free, api_key_id=api_key_id).update(
            follower=holder, follower_until=now + timedelta(seconds=LEASE_SECONDS)
        )
        == 1
    )


def release_lease(api_key_id: str, holder: str) -> None:
    now = timezone.now()
    ProviderAccount.objects.filter(api_key_id=api_key_id, follower=holder).update(follower="", follower_until=now)


def priority(job_model: str, submitted_at: datetime | None, now: datetime) -> float:
    """Elapsed time against the model's typical duration: the likelier to be done, the higher."""
    caps = MODELS.get(job_model)
    typical = caps.typical_seconds if caps else 20.0
    elapsed = (now - submitted_at).total_seconds() if submitted_at else 0.0
    return elapsed / typical


def due_jobs(api_key_id: str, limit: int, now: datetime) -> list[tuple[int, str, str]]:
    """(id, task_id, status) of jobs due for a query, most likely done first."""
    rows = list(
        Job.objects.filter(
            api_key_id=api_key_id, status__in=IN_FLIGHT_STATUSES, next_attempt_at__lte=now, task_id__isnull=False
        )
        .order_by("next_attempt_at")
        .values_list("id", "task_id", "status", "model", "submitted_at", "next_attempt_at")[:SCAN_LIMIT]
    )
    # Past its typical duration a task is as likely done as any other past it: among those, the
    # longest overdue goes first, so no task is starved by older ones when the limit binds.
    rows.sort(key=lambda r: (-min(1.0, priority(r[3], r[4], now)), r[5]))
    return [(r[0], r[1], r[2]) for r in rows[:limit]]


def follow_jobs(
    *,
    run_seconds: float | None = None,
    client: WanClient | None = None,
    idle_exit_seconds: float = 5.0,
) -> FollowReport:
    """Poll every due in-flight job until run_seconds pass (or nothing is left to follow)."""
    api_key_id = provider.api_key_id()
    report = FollowReport(holder=_holder())
    if not acquire_lease(api_key_id, report.holder):
        return report
    report.ran = True
    run_seconds = run_seconds if run_seconds is not None else settings.WAN_FOLLOW_RUN_SECONDS
    owns_client = client is None
    client = client or provider.make_client(query_wait=RETRY_QUERY_WAIT_SECONDS)
    started = time.monotonic()
    last_renew = last_dispatch = idle_since = started
    # A thread per slot, so a pass's queries all leave together, right after their slots were
    # taken: the budget stamped them then (query_budget.PAID_FRESH_SECONDS).
    threads = min(64, query_budget.capacity_and_window()[0])
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="follow") as pool:
            while time.monotonic() - started < run_seconds:
                now_m = time.monotonic()
                if now_m - last_renew >= 2.0:
                    if not acquire_lease(api_key_id, report.holder):
                        log.warning("follow lease lost; another poller took over")
                        break
                    last_renew = now_m
                if now_m - last_dispatch >= 1.0:
                    dispatch.ring_due()
                    last_dispatch = now_m
                    if now_m - started >= MIN_SLICE_SECONDS and others_waiting():
                        # Give the worker back: downloads and submits queued behind this run would
                        # otherwise wait for it to end (with one worker, for the whole run).
                        report.yielded = True
                        break
                did = _one_pass(pool, client, api_key_id, report)
                if did:
                    idle_since = time.monotonic()
                elif not has_work(api_key_id) and time.monotonic() - idle_since > idle_exit_seconds:
                    break
                else:
                    time.sleep(0.05 if did else 0.2)
    finally:
        release_lease(api_key_id, report.holder)
        if owns_client:
            client.close()
    return report


def others_waiting() -> bool:
    """Whether other work waits for this run's worker."""
    from django_q.brokers import get_broker

    if settings.Q_CLUSTER.get("workers", 1) <= 1 and _jobs_waiting():
        # With a single worker the cluster may already have fetched the waiting task from the
        # broker, where the queue size no longer shows it: ask the database instead.
        return True
    try:
        return get_broker().queue_size() > 0
    except Exception:  # a broker hiccup must not stop the poller
        log.warning("could not read the queue size", exc_info=True)
        return False


def _jobs_waiting() -> bool:
    now = timezone.now()
    lease_free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return Job.objects.filter(
        lease_free, Q(status=S.DOWNLOADING) | Q(status=S.QUEUED, next_attempt_at__lte=now)
    ).exists()


def has_work(api_key_id: str) -> bool:
    return Job.objects.filter(
        api_key_id=api_key_id,
        status__in=[S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.DOWNLOADING],
    ).exists()


def _one_pass(pool, client: WanClient, api_key_id: str, report: FollowReport) -> int:
    slots = query_budget.available()
    if slots <= 0:
        return 0
    due = due_jobs(api_key_id, slots, timezone.now())
    if not due:
        return 0
    # Others may have taken some of the free slots since: the batch is what this pass got.
    grant = query_budget.take(n=len(due))
    batch = due[: grant.count]
    if not batch:
        return 0
    report.passes += 1
    futures = {pool.submit(_query, client, task_id, grant): (job_id, status) for job_id, task_id, status in batch}
    for future in as_completed(futures):
        job_id, status = futures[future]
        report.queries += 1
        outcome = future.result()
        if isinstance(outcome, TaskResult):
            report.statuses[outcome.task_status] = report.statuses.get(outcome.task_status, 0) + 1
            if apply_task_result(job_id, status, outcome):
                report.finished += 1
        else:
            _query_failed(job_id, status, outcome, api_key_id)
    return len(batch)


def _query(client: WanClient, task_id: str, grant: query_budget.Grant) -> TaskResult | errors.WanError:
    try:
        with query_budget.paid(grant):
            return client.get_task(task_id)
    except errors.WanError as exc:
        return exc
    finally:
        close_old_connections()


def _next_poll(job_id: int) -> datetime:
    submitted_at = Job.objects.filter(pk=job_id).values_list("submitted_at", flat=True).first()
    now = timezone.now()
    elapsed = (now - submitted_at).total_seconds() if submitted_at else 0.0
    return now + timedelta(seconds=poll_interval(elapsed))


def apply_task_result(job_id: int, status: str, task: TaskResult) -> bool:
    """Record what the provider said about a task. Returns True when the task has ended."""
    now = timezone.now()
    state = task.task_status
    if not task.is_terminal:
        # PENDING, RUNNING, and SUSPENDED (the SDK's status set): still alive, polled again.
        fields = {"provider_status": state, "next_attempt_at": _next_poll(job_id), "poll_count": F("poll_count") + 1}
        if state == "RUNNING" and status == S.SUBMITTED:
            transitions.move(job_id, S.SUBMITTED, S.RUNNING, **fields)
        else:
            transitions.update_if(job_id, status, **fields)
        return False
    common = {
        "provider_status": state,
        "poll_count": F("poll_count") + 1,
        "provider_submit_time": task.submit_time,
        "provider_end_time": task.end_time,
    }
    if state == "SUCCEEDED":
        moved = transitions.move_from_any(
            job_id,
            (S.SUBMITTED, S.RUNNING),
            S.DOWNLOADING,
            **output_fields(task.items, task.usage, task.request_id, ended=task.end_time or now),
            # The download is rung just below; ring_due only rings again if that message is lost.
            next_attempt_at=now + dispatch.RING_GAP,
            **common,
        )
        if moved:
            dispatch.ring("studio.pipeline.tasks.download_job", job_id)
        return True
    if state == "FAILED":
        transitions.move_from_any(
            job_id,
            (S.SUBMITTED, S.RUNNING),
            S.FAILED,
            error_code=task.code or "TaskFailed",
            error_message=task.message or "The provider reported that the task failed.",
            **common,
        )
        return True
    if state == "CANCELED":
        transitions.move_from_any(job_id, (S.SUBMITTED, S.RUNNING), S.CANCELED, **common)
        return True
    # UNKNOWN: the provider no longer knows the task (older than 24 hours, or never existed).
    job = Job.objects.filter(pk=job_id).only("submitted_at").first()
    old = job and job.submitted_at and (now - job.submitted_at).total_seconds() >= RESULT_TTL_SECONDS
    transitions.move_from_any(
        job_id,
        (S.SUBMITTED, S.RUNNING),
        S.EXPIRED if old else S.FAILED,
        error_code="TaskUnknown",
        error_message="The provider no longer knows this task (task ids are kept for 24 hours).",
        **common,
    )
    return True


def output_fields(items: tuple[OutputItem, ...], usage: Usage | None, request_id: str | None, *, ended: datetime) -> dict:
    """What a finished task (or a synchronous answer) leaves on the job row: the result URLs to
    download, when they expire, the usage that is billed, and the text parts (interleaved text
    of wan2.6-image, the rewritten prompt of wan2.5, failed images of a partial success)."""
    urls = [item.image for item in items if item.type == "image" and item.image]
    return {
        "result_urls": urls,
        "result_expires_at": _expiry(urls, ended),
        "usage_image_count": usage.image_count if usage else None,
        "usage_size": (usage.size or "") if usage else "",
        "usage": _usage_dict(usage, request_id),
        "output_parts": _parts(items),
    }


def _parts(items: tuple[OutputItem, ...]) -> list[dict]:
    """The answer in order, images by their index: [{"text": ...}, {"image": 0, "actual_prompt": ...}]."""
    parts: list[dict] = []
    index = 0
    for item in items:
        if item.type == "image" and item.image:
            part: dict = {"image": index}
            if item.actual_prompt:
                part["actual_prompt"] = item.actual_prompt
            parts.append(part)
            index += 1
        elif item.type == "text" and item.text:
            parts.append({"text": item.text})
        elif item.code or item.message:
            parts.append({"failed": item.code or "", "message": item.message or ""})
    return parts


def _expiry(urls: list[str], ended: datetime) -> datetime:
    from studio.pipeline.downloads import url_expiry

    known = [s for s in (url_expiry(url) for url in urls) if s is not None]
    if known:
        return datetime.fromtimestamp(min(known), tz=UTC)
    return ended + timedelta(seconds=RESULT_TTL_SECONDS)


def _usage_dict(u: Usage | None, request_id: str | None) -> dict:
    if u is None:
        return {}
    return {
        "image_count": u.image_count,
        "size": u.size,
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "request_id": request_id,
    }


def _query_failed(job_id: int, status: str, exc: errors.WanError, api_key_id: str) -> None:
    delay = 5.0 if isinstance(exc, errors.RateLimitError) else poll_interval(30)
    if isinstance(exc, errors.AuthenticationError):
        delay = float(settings.WAN_PAUSE_SECONDS)
    log.warning("task query for job %s failed: %s", job_id, type(exc).__name__)
    transitions.update_if(job_id, status, next_attempt_at=timezone.now() + timedelta(seconds=delay))
