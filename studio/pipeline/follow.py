"""Following provider tasks: one loop learns which tasks in flight ended, within the query rate limit.

No worker sleeps through a provider task. One queue task runs this loop for a bounded time,
holding the key's follower lease (studio.pipeline.follower) so that only one loop follows the
key's jobs. About once a second the loop looks at every task in flight: through the task list when
its pages cost fewer calls than one query per task, one query each otherwise (studio.pipeline.watch).
Tasks the list no longer names are fetched by id, as many at once as the account's task-query budget
has free slots (shared with every other task call, studio.pipeline.query_budget), and each answer is
written on its job (studio.pipeline.task_results). A succeeded job's images are downloaded by the
loop's own download threads at once, rather than after a queue message waits for a worker; the
job row is the doorbell's backup (dispatch.ring_due rings any download a crash left behind).
When the run ends, the next one takes over.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone
from django_q.brokers import get_broker

from studio.pipeline import dispatch, provider, query_budget, store, transitions, watch
from studio.pipeline.follower import acquire_lease, holder_name, release_lease
from studio.pipeline.models import IN_FLIGHT_STATUSES, Job, JobStatus
from studio.pipeline.task_results import apply_task_result, query_failed
from studio.wan import errors
from studio.wan.capabilities import MODELS
from studio.wan.client import WanClient
from studio.wan.responses import TaskResult

log = logging.getLogger(__name__)
S = JobStatus

# How many in-flight jobs one look considers; the rest wait for the next look.
SCAN_LIMIT = 5000
# How often every task in flight is looked at (the list's pages, or one query each).
LOOK_EVERY_SECONDS = 1.0
# A task submitted this close to a look's start may not be listed yet: it waits for the next look.
LIST_LAG_SECONDS = 1.0
# After a list call fails, tasks are queried one by one for this long before the list is tried again.
LIST_REST_SECONDS = 60.0
# A run polls at least this long before giving its worker to other queued tasks.
MIN_SLICE_SECONDS = 3.0
# How long a query retried after a transient error may wait for a slot (its first try was paid
# for with the pass's batch).
RETRY_QUERY_WAIT_SECONDS = 1.1
# Downloads running at once in the loop's process.
DOWNLOAD_THREADS = 4


@dataclass
class FollowReport:
    holder: str
    ran: bool = False
    # Single-task queries, and list pages read.
    queries: int = 0
    list_calls: int = 0
    looks: int = 0
    finished: int = 0
    passes: int = 0
    downloads: int = 0
    # Ended early to let queued tasks (submits) have the worker.
    yielded: bool = False
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class _Suspect:
    job_id: int
    task_id: str
    status: str


@dataclass
class _Watch:
    """What the loop remembers between passes; the job rows keep the truth."""

    page_size: int = watch.DOCUMENTED_PAGE_SIZE
    list_rests_until: float = 0.0
    last_look: float = float("-inf")
    # Jobs to query by id, in order: ended by the list's account, or all of them (single mode).
    suspects: list[_Suspect] = field(default_factory=list)
    # Jobs whose images this run's download threads are storing.
    downloading: set[int] = field(default_factory=set)


def priority(job_model: str, submitted_at: datetime | None, now: datetime) -> float:
    """Elapsed time against the model's typical duration: the likelier to be done, the higher."""
    caps = MODELS.get(job_model)
    typical = caps.typical_seconds if caps else 20.0
    elapsed = (now - submitted_at).total_seconds() if submitted_at else 0.0
    return elapsed / typical


def in_flight(api_key_id: str, now: datetime) -> list[tuple[int, str, str, str, datetime | None]]:
    """(id, task_id, status, provider_status, submitted_at) of the key's jobs in flight and not
    backing off after a failed query, most likely done first."""
    rows = list(
        Job.objects.filter(
            api_key_id=api_key_id, status__in=IN_FLIGHT_STATUSES, next_attempt_at__lte=now, task_id__isnull=False
        )
        .order_by("next_attempt_at")
        .values_list("id", "task_id", "status", "provider_status", "submitted_at", "model", "next_attempt_at")[:SCAN_LIMIT]
    )
    # Past its typical duration a task is as likely done as any other past it: among those, the
    # longest overdue goes first, so no task is starved by older ones when the limit binds.
    rows.sort(key=lambda r: (-min(1.0, priority(r[5], r[4], now)), r[6]))
    return [r[:5] for r in rows]


def due_jobs(api_key_id: str, limit: int, now: datetime) -> list[tuple[int, str, str]]:
    """(id, task_id, status) of the first `limit` jobs in flight, most likely done first."""
    return [(r[0], r[1], r[2]) for r in in_flight(api_key_id, now)[:limit]]


def follow_jobs(
    *,
    run_seconds: float | None = None,
    client: WanClient | None = None,
    idle_exit_seconds: float = 5.0,
) -> FollowReport:
    """Follow every in-flight job until run_seconds pass (or nothing is left to follow)."""
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
    state = _Watch()
    # A thread per slot, so a pass's queries all leave together, right after their slots were
    # taken (a paid call leaving later takes a slot of its own: query_budget.PAID_FRESH_SECONDS).
    threads = min(64, query_budget.capacity_and_window()[0])
    try:
        with (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="follow") as pool,
            ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS, thread_name_prefix="store") as downloads,
        ):
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
                    if now_m - started >= MIN_SLICE_SECONDS and others_waiting(besides=state.downloading):
                        # Give the worker back: submits queued behind this run would otherwise
                        # wait for it to end (with one worker, for the whole run).
                        report.yielded = True
                        break
                did = _one_pass(pool, downloads, client, api_key_id, state, report)
                if did:
                    idle_since = time.monotonic()
                elif not has_work(api_key_id) and time.monotonic() - idle_since > idle_exit_seconds:
                    break
                else:
                    time.sleep(_pause(state))
    finally:
        release_lease(api_key_id, report.holder)
        if owns_client:
            client.close()
    return report


def _pause(state: _Watch) -> float:
    """How long the loop rests when a pass did nothing: until the next look, in short steps."""
    until_look = state.last_look + LOOK_EVERY_SECONDS - time.monotonic()
    return min(0.2, max(0.02, until_look))


def others_waiting(besides: set[int] | frozenset[int] = frozenset()) -> bool:
    """Whether other work waits for this run's worker (`besides`: jobs this run downloads itself)."""
    if settings.Q_CLUSTER.get("workers", 1) <= 1 and _jobs_waiting(besides):
        # With a single worker the cluster may already have fetched the waiting task from the
        # broker, where the queue size no longer shows it: ask the database instead.
        return True
    try:
        return get_broker().queue_size() > 0
    except Exception:  # a broker hiccup must not stop the poller
        log.warning("could not read the queue size", exc_info=True)
        return False


def _jobs_waiting(besides: set[int] | frozenset[int]) -> bool:
    now = timezone.now()
    lease_free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    waiting = Job.objects.filter(lease_free, Q(status=S.DOWNLOADING) | Q(status=S.QUEUED, next_attempt_at__lte=now))
    return waiting.exclude(pk__in=list(besides)).exists()


def has_work(api_key_id: str) -> bool:
    return Job.objects.filter(
        api_key_id=api_key_id,
        status__in=[S.QUEUED, S.SUBMITTING, S.SUBMITTED, S.RUNNING, S.DOWNLOADING],
    ).exists()


def _one_pass(pool, downloads, client: WanClient, api_key_id: str, state: _Watch, report: FollowReport) -> int:
    """Query the next suspects the free slots allow; look again once none is left. Returns the
    number of calls made."""
    calls = 0
    if not state.suspects and time.monotonic() - state.last_look >= LOOK_EVERY_SECONDS:
        calls += _look(pool, client, api_key_id, state, report)
    if not state.suspects:
        return calls
    slots = query_budget.available()
    if slots <= 0:
        return calls
    # Others may have taken some of the free slots since: the batch is what this pass got.
    grant = query_budget.take(n=min(slots, len(state.suspects)))
    batch, state.suspects = state.suspects[: grant.count], state.suspects[grant.count :]
    if not batch:
        return calls
    report.passes += 1
    futures = {pool.submit(_query, client, s.task_id, grant): s for s in batch}
    answers = [(futures[future], future.result()) for future in as_completed(futures)]
    query_budget.release(grant)
    for suspect, outcome in answers:
        report.queries += 1
        if isinstance(outcome, TaskResult):
            report.statuses[outcome.task_status] = report.statuses.get(outcome.task_status, 0) + 1
            if apply_task_result(suspect.job_id, suspect.status, outcome, ring_download=False):
                report.finished += 1
                if outcome.task_status == "SUCCEEDED":
                    _start_download(downloads, suspect.job_id, state, report)
        else:
            query_failed(suspect.job_id, suspect.status, outcome, api_key_id)
    return calls + len(batch)


def _look(pool, client: WanClient, api_key_id: str, state: _Watch, report: FollowReport) -> int:
    """Decide which jobs in flight to query by id: those the task list no longer names, or every
    one when that is cheaper (or the list cannot be read). Returns the list calls made."""
    started, now = time.monotonic(), timezone.now()
    state.last_look = started
    rows = in_flight(api_key_id, now)
    if not rows:
        return 0
    report.looks += 1
    pending = sum(1 for r in rows if r[3] in ("", watch.PENDING))
    usable = started >= state.list_rests_until
    if watch.choose(len(rows), pending, state.page_size, list_usable=usable) == "single":
        state.suspects = [_Suspect(r[0], r[1], r[2]) for r in rows]
        return 0
    statuses = [watch.RUNNING] + ([watch.PENDING] if pending else [])
    try:
        sight = watch.look(client, statuses=statuses, page_size=watch.ASK_PAGE_SIZE, pages_at_once=_pages_at_once(pool))
    except errors.WanError as exc:
        if isinstance(exc, errors.RateLimitError):
            # Out of slots (ours or the provider's): look again next time, nothing concluded.
            return 1
        log.warning("the task list could not be read (%s); querying tasks one by one for %.0f s", type(exc).__name__, LIST_REST_SECONDS)
        state.list_rests_until = started + LIST_REST_SECONDS
        state.suspects = [_Suspect(r[0], r[1], r[2]) for r in rows]
        return 1
    report.list_calls += sight.calls
    state.page_size = sight.page_size or state.page_size
    # Only tasks the provider had before the first page was asked can be missing from it.
    listed_from = now - timedelta(seconds=LIST_LAG_SECONDS)
    state.suspects = []
    for job_id, task_id, status, provider_status, submitted_at in rows:
        seen = sight.alive.get(task_id)
        if seen is None:
            if submitted_at is None or submitted_at <= listed_from:
                state.suspects.append(_Suspect(job_id, task_id, status))
        elif seen != provider_status:
            _seen_alive(job_id, status, seen)
    return sight.calls


def _seen_alive(job_id: int, status: str, seen: str) -> None:
    if seen == watch.RUNNING and status == S.SUBMITTED:
        transitions.move(job_id, S.SUBMITTED, S.RUNNING, provider_status=seen)
    else:
        transitions.update_if(job_id, status, provider_status=seen)


def _pages_at_once(pool):
    def pages(calls):
        return [future.result() for future in [_run(pool, call) for call in calls]]

    return pages


def _run(pool, call) -> Future:
    """Run `call` on `pool`, or right here while this connection holds a transaction open (a
    management command or a test wrapping the loop): other connections could not see its rows."""
    if not connection.in_atomic_block:
        return pool.submit(_closing(call))
    future: Future = Future()
    future.set_result(call())
    return future


def _closing(call):
    def run():
        try:
            return call()
        finally:
            close_old_connections()

    return run


def _query(client: WanClient, task_id: str, grant: query_budget.Grant) -> TaskResult | errors.WanError:
    try:
        with query_budget.paid(grant):
            return client.get_task(task_id)
    except errors.WanError as exc:
        return exc
    finally:
        close_old_connections()


def _start_download(downloads, job_id: int, state: _Watch, report: FollowReport) -> None:
    state.downloading.add(job_id)
    _run(downloads, lambda: store.job_download(job_id=job_id).value).add_done_callback(_counted(report, state, job_id))


def _counted(report: FollowReport, state: _Watch, job_id: int):
    def count(future: Future) -> None:
        state.downloading.discard(job_id)
        if future.exception() is not None:
            log.error("download in the follower failed", exc_info=future.exception())
        else:
            report.downloads += 1

    return count
