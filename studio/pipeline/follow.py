"""Following provider tasks: one loop polls every job in flight, within the query rate limit.

No worker sleeps through a provider task. One queue task runs this loop for a bounded time,
holding the key's follower lease (studio.pipeline.follower) so that only one loop follows the
key's jobs; each pass takes as many slots of the account's task-query budget as are free (shared with
every other task call, studio.pipeline.query_budget), polls that many due tasks at once over a
pooled client, most-likely-done first, and writes each answer on its job
(studio.pipeline.task_results). When it stops, the next run takes over.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone
from django_q.brokers import get_broker

from studio.pipeline import dispatch, provider, query_budget
from studio.pipeline.follower import acquire_lease, holder_name, release_lease
from studio.pipeline.models import IN_FLIGHT_STATUSES, Job, JobStatus
from studio.pipeline.task_results import apply_task_result, query_failed
from studio.wan import errors
from studio.wan.capabilities import MODELS
from studio.wan.client import WanClient
from studio.wan.responses import TaskResult

log = logging.getLogger(__name__)
S = JobStatus

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
    report = FollowReport(holder=holder_name())
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
            query_failed(job_id, status, outcome, api_key_id)
    return len(batch)


def _query(client: WanClient, task_id: str, grant: query_budget.Grant) -> TaskResult | errors.WanError:
    try:
        with query_budget.paid(grant):
            return client.get_task(task_id)
    except errors.WanError as exc:
        return exc
    finally:
        close_old_connections()


