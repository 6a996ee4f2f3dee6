"""The baseline a user would write instead of the studio: Alibaba's own SDK in a thread pool.

Each job is one wan2.7-image task (the in-flight scenario's MODEL, SIZE, n=1) made the way the
SDK's `call()` makes an asynchronous task: submit, then the SDK's own `wait`, which queries the task
on its own schedule (1, 1, 2, 2, 2, 4, 4, 4, 5, 5, ... s) until it ends; then the first result
image is downloaded with httpx. `count` such jobs run in a ThreadPoolExecutor of `threads`
threads, against the rig's emulator over HTTP.

Why async_call + wait and not `ImageGeneration.call`: for ImageGeneration (wan2.7) the SDK's
`call()` is BaseApi.call (ImageGeneration's first base), which posts to the *synchronous*
multimodal-generation endpoint and polls nothing; BaseAsyncApi.call, the submit-then-wait `call()`
(ImageSynthesis.call is that one), is literally `async_call(...)` followed by `wait(...)`, which is
what each job here does — ImageGeneration's documented "Asynchronous call" sample.

What the SDK does with a 429 while waiting: `wait` retries only 503 and 504
(dashscope.common.constants.REPEATABLE_STATUS); any other status — the account's task-query
limit's 429 Throttling.RateQuota included — is returned at once as the call's answer. A job whose
wait was refused therefore fails although its task goes on and succeeds at the provider (and is
billed): `lost` counts those tasks.

Figures: end→downloaded is measured from the end time the emulator recorded for each task to the
moment its first image's bytes were read; task calls come from the emulator's own counters
(/emulator/stats: most queries of the account in any 1 s window, sent whether answered or refused;
queries answered; queries refused with 429). Threads and RSS are the bench process's: it also runs
the emulator (a thread per open connection) and its PNG rendering, so they are upper bounds of what
the SDK's pool alone costs. The peak RSS (VmHWM) is reset before the run (/proc/self/clear_refs)
where the kernel allows it, and sampled (VmRSS) meanwhile otherwise.

The SDK sends every request through one shared requests.Session whose connection pool keeps 10
connections (dashscope/api_entities/http_request.py); with more threads urllib3 logs "Connection
pool is full, discarding connection" for each connection it cannot keep. Those warnings are
counted (`discarded_connections`) instead of printed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, Protocol

import dashscope
import httpx
from dashscope.aigc.image_generation import ImageGeneration
from dashscope.api_entities.dashscope_response import Message

from studio.wan_emulator.config import DEFAULT_API_KEY
from tests.bench.scenarios import MODEL, SIZE, percentile

SAMPLE_SECONDS = 0.1


class EmulatorRig(Protocol):
    """What the baseline needs of the rig (tests/bench/rig.py's Rig has all of it)."""

    emulator: Any

    def reset(self, **emulator_config: object) -> None: ...

    def emulator_stats(self) -> dict[str, Any]: ...

    def provider_end(self, task_id: str) -> Any: ...


@dataclass
class SdkBaseline:
    threads: int
    jobs: int
    latency: float
    succeeded: int
    # Seconds from each task's end at the provider to its first image downloaded (succeeded jobs).
    end_to_downloaded_p50: float
    end_to_downloaded_p95: float
    # Task calls of the account, from the emulator's counters: most in any 1 s window (sent,
    # answered or refused), and the average over the run (sent / wall seconds).
    calls_max_per_second: int
    calls_per_second_avg: float
    task_queries: int
    # Task queries answered 429 Throttling.RateQuota (the emulator's count), and the 429s the SDK
    # handed back as a call's answer (client side; `wait` gives up at the first one).
    refused_429: int
    sdk_answers_429: int
    # Jobs that did not end with an image downloaded, by what the SDK or the download answered.
    failed_by: dict[str, int] = field(default_factory=dict)
    # Tasks made at the provider (they go on, succeed and are billed) whose images were never downloaded.
    lost: int = 0
    # Connections urllib3 discarded because the SDK's shared pool (10) was full.
    discarded_connections: int = 0
    peak_threads: int = 0
    peak_rss_mib: float = 0.0
    seconds: float = 0.0

    def summary(self) -> str:
        failed = ", ".join(f"{k} {v}" for k, v in sorted(self.failed_by.items())) or "none"
        return (
            f"{self.threads} threads: {self.succeeded}/{self.jobs} succeeded in {_s(self.seconds)} "
            f"(failed: {failed}; {self.lost} tasks made at the provider but never downloaded)\n"
            f"  end→downloaded p50 {_s(self.end_to_downloaded_p50)}, p95 {_s(self.end_to_downloaded_p95)}\n"
            f"  task calls: max {self.calls_max_per_second} in any 1 s window, {self.calls_per_second_avg:.1f}/s "
            f"on average, {self.task_queries} answered, {self.refused_429} answered 429 "
            f"({self.sdk_answers_429} came back from the SDK as the call's answer); "
            f"{self.discarded_connections} connections discarded by the SDK's full pool\n"
            f"  bench process: peak {self.peak_threads} threads, peak RSS {self.peak_rss_mib:.1f} MiB"
        )


def _s(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:.1f} s"


@dataclass
class _Outcome:
    task_id: str = ""
    downloaded_at: float | None = None
    failure: str = ""
    status_code: int = 0


class _PoolFullCounter(logging.Filter):
    """Counts (and silences) urllib3's "Connection pool is full" warnings."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Connection pool is full"):
            with self._lock:
                self.count += 1
            return False
        return True


class _ProcessSampler:
    """Samples this process's thread count and RSS from /proc/self/status until stopped."""

    def __init__(self) -> None:
        self.peak_threads = 0
        self.peak_rss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdk-baseline-sampler", daemon=True)
        # The kernel's peak (VmHWM) covers the process's whole life: reset it to the current RSS.
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False

    def __enter__(self) -> _ProcessSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        fields = _status()
        self.peak_threads = max(self.peak_threads, fields.get("Threads", 0))
        rss = fields.get("VmRSS", 0)
        if self.hwm_reset:
            rss = max(rss, fields.get("VmHWM", 0))
        self.peak_rss_kib = max(self.peak_rss_kib, rss)


def _status() -> dict[str, int]:
    fields: dict[str, int] = {}
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("Threads", "VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def run_sdk_baseline(rig: EmulatorRig, *, count: int, latency: float, threads: int) -> SdkBaseline:
    """`count` jobs through the SDK's submit-then-wait in a pool of `threads` threads."""
    rig.reset(pending_seconds=0.0, running_seconds=latency)
    # As the SDK's samples point it at a region; the SDK reads this module attribute on every call.
    previous_url = dashscope.base_http_api_url
    dashscope.base_http_api_url = rig.emulator.url
    downloads = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=threads))

    def job(i: int) -> _Outcome:
        outcome = _Outcome()
        message = Message(role="user", content=[{"text": f"SDK baseline, {threads} threads, job {i + 1}"}])
        try:
            task = ImageGeneration.async_call(model=MODEL, api_key=DEFAULT_API_KEY, messages=[message], size=SIZE, n=1)
            if task.status_code != HTTPStatus.OK:
                outcome.status_code = task.status_code
                outcome.failure = f"submit {task.status_code} {task.code}"
                return outcome
            outcome.task_id = task.output.task_id
            # BaseAsyncApi.call's second half: the SDK's own polling until the task ends.
            done = ImageGeneration.wait(task=task, api_key=DEFAULT_API_KEY)
            if done.status_code != HTTPStatus.OK:
                outcome.status_code = done.status_code
                outcome.failure = f"wait {done.status_code} {done.code}"
                return outcome
            if done.output.task_status != "SUCCEEDED":
                outcome.failure = f"task {done.output.task_status}"
                return outcome
            url = done.output.choices[0].message.content[0]["image"]
            response = downloads.get(url)
            if response.status_code != 200 or not response.content:
                outcome.failure = f"download {response.status_code}"
                return outcome
            outcome.downloaded_at = time.time()
        except Exception as exc:  # noqa: BLE001 - a baseline's failure is a figure, not a crash
            outcome.failure = type(exc).__name__
        return outcome

    pool_full = _PoolFullCounter()
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    urllib3_log.addFilter(pool_full)
    try:
        with _ProcessSampler() as sampler:
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sdk-baseline") as pool:
                outcomes = list(pool.map(job, range(count)))
            seconds = time.monotonic() - started
    finally:
        downloads.close()
        dashscope.base_http_api_url = previous_url
        urllib3_log.removeFilter(pool_full)

    delays = [
        o.downloaded_at - rig.provider_end(o.task_id).timestamp() for o in outcomes if o.downloaded_at is not None
    ]
    failures = Counter(o.failure for o in outcomes if o.downloaded_at is None)
    # Made at the provider, so generated and billed, but never downloaded (no fault is set: every
    # task goes on to succeed, whatever its caller's wait was answered).
    lost = sum(1 for o in outcomes if o.downloaded_at is None and o.task_id)
    stats = rig.emulator_stats()
    queries = int(stats.get("task_queries", 0))
    refused = int(stats.get("task_queries_refused", stats.get("errors_by_code", {}).get("Throttling.RateQuota", 0)))
    return SdkBaseline(
        threads=threads,
        jobs=count,
        latency=latency,
        succeeded=len(delays),
        end_to_downloaded_p50=percentile(delays, 50),
        end_to_downloaded_p95=percentile(delays, 95),
        calls_max_per_second=max(stats.get("max_task_queries_per_second_by_account", {}).values(), default=0),
        calls_per_second_avg=(queries + refused + int(stats.get("task_list_queries", 0))) / seconds if seconds else 0.0,
        task_queries=queries,
        refused_429=refused,
        sdk_answers_429=sum(1 for o in outcomes if o.status_code == HTTPStatus.TOO_MANY_REQUESTS),
        failed_by=dict(failures),
        lost=lost,
        discarded_connections=pool_full.count,
        peak_threads=sampler.peak_threads,
        peak_rss_mib=sampler.peak_rss_kib / 1024,
        seconds=seconds,
    )
