"""The two scenarios: throughput at zero provider latency, and following many jobs in flight.

Jobs are made by the service the editor's Generate calls (`job_create`, via
tests/pipeline_helpers.py), so the figures are the pipeline's, not a browser's. For the in-flight scenario the provider tasks are
created directly and the jobs inserted already SUBMITTED with their task ids, so every job is in
flight at once before the worker starts; that is what a burst of real submits leaves behind.
"""

from __future__ import annotations

import math
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.pipeline import provider
from studio.pipeline.models import Job, JobStatus
from studio.pipeline.tasks import ensure_follower
from studio.wan.request import GenerationRequest, build_body
from tests.bench.rig import Rig
from tests.pipeline_helpers import make_job

S = JobStatus
MODEL = "wan2.7-image"
SIZE = "1K"
# Raised so the studio's own submit throttles never bind: this measures the pipeline's speed.
UNTHROTTLED = {"WAN_SUBMITS_PER_SECOND": "1000", "WAN_MAX_CONCURRENT_TASKS": "100000"}


@dataclass(frozen=True)
class TaskCalls:
    """Every call of the account to the task endpoints in a run: the poller's queries, /healthz
    probes, task-list reads (the bench's, and the clusters' sweeps when they list), as the
    emulator received them, and the slots the studio's budget let through."""

    # Most task calls of the account (single-task queries and list pages together) in any 1 s
    # window, as the emulator measured them (sent, whether answered or refused).
    max_per_second: int
    queries: int
    lists: int
    # Answered 429 Throttling.RateQuota (the bench sets no submission rate at the emulator, so
    # these can only be task calls over the account's limit: the studio must never cause one).
    refused: int
    # Slots the studio's budget (studio.pipeline.query_budget) let through.
    slots: int
    # The bench's own task-list reads: "read", or why not ("refused by the studio").
    list_reads: str

    @property
    def summary(self) -> str:
        return (f"max {self.max_per_second} task calls of the account in any 1 s window; "
                f"{self.queries} task queries + {self.lists} list pages received, {self.refused} answered 429; "
                f"{self.slots} slots let through by the studio's budget; bench list reads: {self.list_reads}")


def task_calls(rig: Rig) -> TaskCalls:
    from studio.pipeline.models import TaskQueryWindow

    stats = rig.emulator_stats()
    reads = ", ".join(f"{k} {v}" for k, v in sorted(rig.list_reads.items())) or "none"
    return TaskCalls(
        max_per_second=max(stats["max_task_queries_per_second_by_account"].values(), default=0),
        queries=int(stats.get("task_queries", 0)),
        lists=int(stats.get("task_list_queries", 0)),
        refused=int(stats.get("errors_by_code", {}).get("Throttling.RateQuota", 0)),
        slots=sum(TaskQueryWindow.objects.values_list("taken", flat=True)),
        list_reads=reads,
    )


@dataclass
class Throughput:
    workers: int
    jobs: int
    # Whether the studio's submit limits were raised out of the way (the default) or kept.
    unthrottled: bool
    succeeded: int
    seconds: float
    latency_p50: float
    latency_p95: float
    calls: TaskCalls
    peak_rss_mib: float
    processes: int
    health: str
    # Empty when every job finished; otherwise why the bench stopped waiting.
    stopped: str = ""

    @property
    def per_minute(self) -> float:
        return self.succeeded / self.seconds * 60 if self.seconds else 0.0


@dataclass
class InFlight:
    count: int
    workers: int
    latency: float
    seen: int
    succeeded: int
    seed_seconds: float
    all_seen_seconds: float
    all_stored_seconds: float
    queries: int
    follow_seconds: float
    interval_p50: float
    interval_max: float
    polls_p50: float
    detect_p50: float
    detect_p95: float
    delay_p50: float
    delay_p95: float
    # True when some jobs were not stored when the bench stopped: the percentiles are lower bounds.
    censored: bool
    calls: TaskCalls
    peak_rss_mib: float
    processes: int
    health: str
    # The tasks' ends were spread evenly over this many seconds (0: they end together).
    spread: float = 0.0
    # Task calls of others on the account meanwhile: /healthz probes sent, the bench's list reads.
    neighbour_calls: int = 0
    stopped: str = ""

    @property
    def query_rate(self) -> float:
        return self.queries / self.follow_seconds if self.follow_seconds else 0.0

    @property
    def follower_calls(self) -> int:
        """The cluster's task calls (queries and list pages), the neighbours' taken away."""
        return max(0, self.calls.queries + self.calls.lists - self.neighbour_calls)

    @property
    def calls_per_job(self) -> float:
        return self.follower_calls / self.succeeded if self.succeeded else math.nan

    @property
    def average_rate(self) -> float:
        """All the account's task calls over the run, per second."""
        return (self.calls.queries + self.calls.lists) / self.all_stored_seconds if self.all_stored_seconds else 0.0

    def floor_seconds(self, limit: float) -> float:
        """No follower can store the last job sooner after the first submit: each ended task needs
        its own fetch (the list carries no result URLs), at most `limit` a second."""
        return self.latency + max(self.spread, self.count / limit)

    @property
    def label(self) -> str:
        spread = f", ends spread over {self.spread:g} s" if self.spread else ""
        return f"{self.count} in flight{spread}"


def owner():
    user, _ = get_user_model().objects.get_or_create(username="bench")
    return user


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def throughput(
    rig: Rig, *, workers: int, jobs: int, timeout: float, stall: float, throttles: dict[str, str] | None = None
) -> Throughput:
    """`jobs` jobs created at once, provider answering instantly; time until all are stored.
    `throttles` are the studio's submit limits (default: raised so they don't bind; {} keeps the
    studio's defaults, the provider's documented limits)."""
    rig.reset(pending_seconds=0.0, running_seconds=0.0)
    user = owner()
    running = rig.start_cluster(workers=workers, **(UNTHROTTLED if throttles is None else throttles))
    try:
        rig.wait_ready(running)
        started = timezone.now()
        for i in range(jobs):
            make_job(user, f"Bench throughput, {workers} worker(s), job {i + 1}", model=MODEL, size=SIZE)
        stopped = rig.wait_all_finished(running, jobs, timeout=timeout, stall=stall)
        ended = timezone.now()
    finally:
        rig.stop_cluster(running)
    rows = list(Job.objects.filter(status=S.SUCCEEDED).values_list("created_at", "finished_at"))
    # Complete: until the last job was stored. Stopped early: until the bench gave up.
    last = ended if stopped else max((f for _, f in rows), default=ended)
    latencies = [(f - c).total_seconds() for c, f in rows]
    return Throughput(
        workers=workers,
        jobs=jobs,
        unthrottled=throttles is None,
        succeeded=len(rows),
        seconds=(last - started).total_seconds(),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        calls=task_calls(rig),
        peak_rss_mib=running.peak_rss_mib,
        processes=running.processes,
        health=rig.health.summary,
        stopped=stopped,
    )


def seed_submitted(count: int, label: str) -> tuple[datetime, float]:
    """Create `count` provider tasks and insert their jobs as SUBMITTED, as _send leaves them."""
    user = owner()
    client = provider.make_client()
    started = timezone.now()

    def submit(i: int) -> Job:
        prompt = f"Bench in flight, {label}, job {i + 1}"
        task = client.submit(build_body(GenerationRequest(model=MODEL, prompt=prompt, size=SIZE, n=1)))
        at = timezone.now()
        return Job(
            owner=user,
            model=MODEL,
            prompt=prompt,
            parameters={"size": SIZE, "n": 1, "enable_sequential": False},
            region=provider.region(),
            api_key_id=provider.api_key_id(),
            status=S.SUBMITTED,
            task_id=task.task_id,
            request_id=task.request_id or "",
            provider_status=task.task_status,
            submit_attempts=1,
            submitting_at=at,
            submitted_at=at,
            status_changed_at=at,
            next_attempt_at=at,
        )

    with client, ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(submit, range(count)))
    Job.objects.bulk_create(jobs, batch_size=500)
    return started, (timezone.now() - started).total_seconds()


def in_flight(
    rig: Rig, *, count: int, latency: float, workers: int, timeout: float, stall: float, spread: float = 0.0
) -> InFlight:
    """`count` jobs in flight at once, each taking `latency` s at the provider (plus up to `spread`
    s more, evenly, so that they end over `spread` seconds rather than together); follow them all."""
    rig.reset(pending_seconds=0.0, running_seconds=latency)
    started, seed_seconds = seed_submitted(count, f"{count} at once")
    if spread:
        tasks = rig.emulator.state.tasks
        for i, task_id in enumerate(Job.objects.order_by("submitted_at", "pk").values_list("task_id", flat=True)):
            tasks[task_id].running_seconds += spread * i / count
    # What the first successful submit does: ask for a poller.
    ensure_follower()
    running = rig.start_cluster(workers=workers)
    try:
        # Nothing can finish before the provider does.
        stopped = rig.wait_all_finished(running, count, timeout=timeout, stall=stall + latency)
        ended = timezone.now()
    finally:
        rig.stop_cluster(running)
    rows = list(
        Job.objects.values_list(
            "task_id", "submitted_at", "downloading_at", "finished_at", "provider_end_time", "poll_count", "status"
        )
    )
    # Seen ended by the poller (it moved the job to downloading); stored: all images saved.
    seen = [r for r in rows if r[2] and r[4]]
    stored = [r for r in seen if r[6] == S.SUCCEEDED]
    # Average time between two queries of one job while it was in flight.
    intervals = [(d - sub).total_seconds() / max(1, polls) for _, sub, d, _, _, polls, _ in seen]
    # A job not seen (or not stored) when the bench stopped counts with its wait so far, measured
    # from the end the provider recorded for its task: the percentiles are then lower bounds.
    detect, delay = [], []
    for task_id, _, seen_at, finished, end, _, status in rows:
        end = end or rig.provider_end(task_id)
        detect.append(((seen_at or ended) - end).total_seconds())
        delay.append(((finished if status == S.SUCCEEDED else ended) - end).total_seconds())
    last_seen = max((r[2] for r in seen), default=ended)
    last_stored = ended if stopped else max((r[3] for r in stored), default=ended)
    stats = rig.emulator_stats()
    return InFlight(
        count=count,
        workers=workers,
        latency=latency,
        seen=len(seen),
        succeeded=len(stored),
        seed_seconds=seed_seconds,
        all_seen_seconds=(last_seen - started).total_seconds(),
        all_stored_seconds=(last_stored - started).total_seconds(),
        queries=int(stats["task_queries"]),
        follow_seconds=(last_seen - running.started_at).total_seconds(),
        interval_p50=percentile(intervals, 50),
        interval_max=max(intervals, default=math.nan),
        polls_p50=statistics.median([r[5] for r in seen]) if seen else math.nan,
        detect_p50=percentile(detect, 50),
        detect_p95=percentile(detect, 95),
        delay_p50=percentile(delay, 50),
        delay_p95=percentile(delay, 95),
        censored=len(stored) < count,
        calls=task_calls(rig),
        peak_rss_mib=running.peak_rss_mib,
        processes=running.processes,
        health=rig.health.summary,
        neighbour_calls=rig.health.healthz.get("ok", 0) + rig.list_reads.get("read", 0),
        spread=spread,
        stopped=stopped,
    )


def query_limit() -> float:
    return float(settings.WAN_TASK_QUERIES_PER_SECOND)
