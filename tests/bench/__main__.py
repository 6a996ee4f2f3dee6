"""Run the pipeline benchmark and print its figures: `python -m tests.bench` (or `make bench`).

Real processes throughout: django-q2 clusters (`manage.py qcluster`), the DashScope emulator
over HTTP, and a web process (`manage.py runserver --noreload`) answering health GETs meanwhile:
the login page, and /healthz every 0.5 s, whose provider probe is a task query. The bench process
also reads the task list every 2 s as the recovery sweep does. All of these and the poller's
queries are calls of one account, which the studio keeps within WAN_TASK_QUERIES_PER_SECOND in
any second (studio.pipeline.query_budget); the emulator counts them per account.

Parameters (environment):
  BENCH_JOBS=60              jobs per throughput run (1 worker, then 2)
  BENCH_INFLIGHT=1000        jobs in flight at once for the follow scenario (1 worker)
  BENCH_INFLIGHT_SMALL=20    the small in-flight run, for the delay figure
  BENCH_SPREAD=60            a third in-flight run: BENCH_INFLIGHT tasks whose ends are spread evenly
                             over this many seconds, as a steady stream of work has them
  BENCH_LATENCY=30           seconds each in-flight task spends at the provider
  BENCH_STALL                stop waiting when no job has finished for this long (default: one
                             poller run, WAN_FOLLOW_RUN_SECONDS, plus 25 s; in flight, plus the latency)
  BENCH_TIMEOUT              cap on each in-flight run (default: the latency, plus the time to query
                             every task twice at the query limit, plus 60 s)
  BENCH_SDK_JOBS=100         jobs for each run of the SDK baseline (10 threads, then 100)
  BENCH_SCENARIOS=throughput,inflight,sdk,gallery   which scenarios to run (sdk: the official SDK's
                             submit-then-wait in thread pools, tests/bench/sdk_baseline.py; gallery:
                             tests/bench/gallery.py; load, never by default: tests/bench/load.py)
  BENCH_KEEP=1               keep the temporary directory (database, media, logs)
  BENCH_BACKEND=sqlite       sqlite (the embedded default: SQLite and django-q2's ORM broker) or
                             postgres (PostgreSQL + Redis, started by tests/servers.py, as several
                             machines would run it; `make test` installs both)
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass

from tests.bench.rig import BenchError, Rig


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, got {raw!r}")
    return value


@dataclass(frozen=True)
class Params:
    jobs: int
    many: int
    few: int
    sdk_jobs: int
    spread: int
    latency: float
    stall: int | None
    timeout: int | None


def _s(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds:.1f} s"


def main() -> int:
    params = Params(
        jobs=_env_int("BENCH_JOBS", 60) or 60,
        many=_env_int("BENCH_INFLIGHT", 1000) or 1000,
        few=_env_int("BENCH_INFLIGHT_SMALL", 20) or 20,
        spread=_env_int("BENCH_SPREAD", 60) or 60,
        sdk_jobs=_env_int("BENCH_SDK_JOBS", 100) or 100,
        latency=float(_env_int("BENCH_LATENCY", 30) or 30),
        stall=_env_int("BENCH_STALL", None),
        timeout=_env_int("BENCH_TIMEOUT", None),
    )
    chosen = {s.strip() for s in os.environ.get("BENCH_SCENARIOS", "throughput,inflight,sdk,gallery").split(",")}
    keep = os.environ.get("BENCH_KEEP", "") not in ("", "0")
    began = time.monotonic()
    backend = os.environ.get("BENCH_BACKEND", "sqlite").strip() or "sqlite"
    try:
        rig = Rig.open(keep=keep, backend=backend)
    except BenchError as exc:
        raise SystemExit(str(exc)) from None
    try:
        return _run(rig, params, chosen=chosen, began=began)
    finally:
        rig.close()


def _run(rig: Rig, params: Params, *, chosen: set[str], began: float) -> int:
    # Imported once Rig.open() has configured Django.
    from django.conf import settings

    from tests.bench import scenarios as sc

    jobs, many, few, latency = params.jobs, params.many, params.few, params.latency
    # A poller holds its worker for a whole run, so progress may pause that long.
    stall = float(params.stall or settings.WAN_FOLLOW_RUN_SECONDS + 25)
    limit = sc.query_limit()
    defaults = rig.studio_defaults()
    print("Wan Studio pipeline bench — real qcluster processes, the DashScope emulator over HTTP,")
    print("a runserver web process for health GETs (/accounts/login/ every 2 s, /healthz every 0.5 s, whose")
    print("provider probe is a task query), and a task-list read every 2 s as the recovery sweep makes it.")
    print("Jobs are created with the job_create service the editor's Generate calls (the load scenario")
    print("drives the web UI).")
    engines = ("PostgreSQL, django-q2's Redis broker" if rig.backend == "postgres"
               else "SQLite, django-q2's ORM broker")
    print(f"Backend: {engines} (BENCH_BACKEND={rig.backend}).")
    print(f"Model {sc.MODEL}, size {sc.SIZE}, n=1. Studio defaults kept: "
          + ", ".join(f"{k}={v}" for k, v in defaults.items())
          + f", WAN_TASK_QUERIES_PER_SECOND={limit:g}.")
    print(f"Machine: {os.cpu_count()} CPUs; the emulator (and its PNG rendering) runs in the bench process.")
    print()
    failures: list[str] = []
    runs: list[sc.Throughput] = []
    follows: list[sc.InFlight] = []

    if "throughput" in chosen:
        print(f"[1] Throughput at zero provider latency: {jobs} jobs created at once, timed until all are stored.")
        print("    The studio's submit throttles are raised so they don't bind: "
              + ", ".join(f"{k}={v}" for k, v in sc.UNTHROTTLED.items()) + ".")
        for workers in (1, 2):
            try:
                t = sc.throughput(rig, workers=workers, jobs=jobs, timeout=60 + jobs * 3, stall=stall)
            except BenchError as exc:
                failures.append(f"throughput, {workers} worker(s): {exc}")
                print(f"    Q_WORKERS={workers}: FAILED — {exc}")
                continue
            runs.append(t)
            print(f"    Q_WORKERS={workers}: {t.succeeded}/{t.jobs} succeeded in {_s(t.seconds)} = "
                  f"{t.per_minute:.1f} jobs/min (per-job created→stored p50 {_s(t.latency_p50)}, "
                  f"p95 {_s(t.latency_p95)}; web health {t.health})")
            print(f"      task calls: {t.calls.summary}")
            if t.stopped:
                print(f"      STOPPED EARLY, {t.stopped}")
        # What a submission lane (one answer awaited per key and model) costs where it matters:
        # under the studio's default limits, the provider's documented 2 submissions per second.
        try:
            t = sc.throughput(rig, workers=2, jobs=jobs, timeout=60 + jobs * 3, stall=stall, throttles={})
        except BenchError as exc:
            failures.append(f"throughput at the default limits: {exc}")
            print(f"    Q_WORKERS=2 at the default limits: FAILED — {exc}")
        else:
            runs.append(t)
            print(f"    Q_WORKERS=2, the studio's default submit limits: {t.succeeded}/{t.jobs} succeeded in "
                  f"{_s(t.seconds)} = {t.per_minute:.1f} jobs/min (per-job created→stored p50 {_s(t.latency_p50)}, "
                  f"p95 {_s(t.latency_p95)})")
            print(f"      task calls: {t.calls.summary}")
        print()

    if "inflight" in chosen:
        print(f"[2] Jobs in flight with {latency:g} s provider latency, Q_WORKERS=1. The provider tasks are created")
        print("    directly at the emulator and the jobs inserted already SUBMITTED with their task ids,")
        print("    so all are in flight before the worker starts (the poller then does all the work).")
        print(f"    Last, {many} in flight whose ends are spread over {params.spread:g} s ({many / params.spread:.1f} a second,")
        print(f"    within the {limit:g} fetches a second a burst of ends has to queue for).")
        for count, spread in ((few, 0.0), (many, 0.0), (many, float(params.spread))):
            # Enough to see every task end at the query limit, then some time to store them.
            timeout = params.timeout or latency + spread + 2 * count / limit + 60
            try:
                f = sc.in_flight(rig, count=count, latency=latency, workers=1, timeout=timeout, stall=stall, spread=spread)
            except BenchError as exc:
                failures.append(f"{count} in flight (spread {spread:g} s): {exc}")
                print(f"    {count} in flight (spread {spread:g} s): FAILED — {exc}")
                continue
            follows.append(f)
            followed = "all followed to completion" if f.seen == f.count else "NOT all followed to completion"
            print(f"    {f.label}: the poller saw {f.seen}/{f.count} tasks end ({followed}), the last "
                  f"{_s(f.all_seen_seconds)} after the first submit; {f.succeeded}/{f.count} stored"
                  + (f" when the bench stopped at {_s(f.all_stored_seconds)}" if f.stopped
                     else f", the last {_s(f.all_stored_seconds)} after the first submit")
                  + f" (seeding {f.count} tasks took {_s(f.seed_seconds)})")
            if f.stopped:
                print(f"      STOPPED EARLY, {f.stopped}")
            print(f"      task calls: {f.calls.queries} single-task queries + {f.calls.lists} list pages, of which the "
                  f"cluster's ≈ {f.follower_calls} (the rest: {f.neighbour_calls} /healthz probes and bench list reads) "
                  f"= {f.calls_per_job:.2f} per stored job; all the account's calls averaged {f.average_rate:.1f}/s "
                  f"until the last was stored (limit {limit:g}/s); fetches by id per job: median {f.polls_p50:g}")
            bound = "≥ " if f.seen < f.count else ""
            print(f"      provider end_time → seen by the poller: median {bound}{_s(f.detect_p50)}, "
                  f"p95 {bound}{_s(f.detect_p95)}")
            print(f"      floor: each ended task needs its own fetch (the list has no result URLs), so the last "
                  f"of {f.count} cannot be stored before latency + {f.count}/{limit:g} s = {_s(f.floor_seconds(limit))} "
                  f"after the first submit")
            print(f"      web health during the run: {f.health}")
            print(f"      task calls: {f.calls.summary}")
        print()
        print("[3] Provider end_time → all images stored (Job.provider_end_time → Job.finished_at, SUCCEEDED jobs):")
        for f in follows:
            bound = "≥ " if f.censored else ""
            note = " (lower bounds: jobs not yet stored count with their delay so far)" if f.censored else ""
            print(f"    {f.label}: median {bound}{_s(f.delay_p50)}, p95 {bound}{_s(f.delay_p95)}{note}")
        print()

    all_runs: list[sc.Throughput | sc.InFlight] = [*runs, *follows]
    peak_qps = max((r.calls.max_per_second for r in all_runs), default=0)
    refused = sum(r.calls.refused for r in all_runs)
    peak_rss = max((r.peak_rss_mib for r in all_runs), default=0.0)
    print(f"[4] Most task calls of the account in any 1 s window, all together (the poller's queries, /healthz "
          f"probes, task-list pages; emulator stats): {peak_qps} (the account's limit {limit:g}/s; "
          f"{refused} answered 429 in all runs)")
    if peak_qps > limit or refused:
        failures.append(f"the account's task calls went over its limit: {peak_qps} in 1 s, {refused} answered 429")
    print(f"[5] Peak RSS (VmHWM) of any process in a cluster's process group (qcluster, sentinel, pusher, "
          f"monitor, workers; sampled every second and before the kill): {peak_rss:.1f} MiB")
    print()
    sdks = _sdk(rig, params, follows, failures) if "sdk" in chosen else []
    if "gallery" in chosen:
        from tests.bench import gallery

        failures += gallery.scenario()
    if "load" in chosen:
        # Only when asked for (BENCH_SCENARIOS=load): many users on gunicorn, tests/bench/load.py.
        from tests.bench import load

        failures += load.scenario(rig)
    _summary(runs, follows, limit, sdks)
    print(f"\nBench took {time.monotonic() - began:.0f} s.")
    for failure in failures:
        print(f"\nFAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _sdk(rig: Rig, params: Params, follows: list, failures: list[str]) -> list:
    """The baseline a user would write instead: the official SDK in thread pools (sdk_baseline.py)."""
    from tests.bench import scenarios as sc
    from tests.bench.sdk_baseline import run_sdk_baseline

    jobs, latency = params.sdk_jobs, params.latency
    print(f"[6] The baseline a user would write instead: the official dashscope SDK, {jobs} jobs ({sc.MODEL}, "
          f"{sc.SIZE}, n=1, {latency:g} s")
    print("    provider latency) through ImageGeneration.async_call + wait — what the SDK's submit-then-wait call()")
    print("    does, querying at 1, 1, 2, 2, 2, 4, 4, 4, 5, 5... s — in a ThreadPoolExecutor, then the first image")
    print("    downloaded with httpx. The SDK's wait gives up at a 429 (it retries only 503/504). No studio process")
    print("    takes part; the task calls are the SDK's alone.")
    results = []
    for threads in (10, 100):
        try:
            b = run_sdk_baseline(rig, count=jobs, latency=latency, threads=threads)
        except Exception as exc:  # noqa: BLE001 - reported like the other scenarios' failures
            failures.append(f"SDK baseline, {threads} threads: {exc!r}")
            print(f"    {threads} threads: FAILED — {exc!r}")
            continue
        results.append(b)
        print("    " + b.summary().replace("\n", "\n    "))
        for f in follows:
            studio, ours = f.delay_p50, b.end_to_downloaded_p50
            if f.latency != latency or math.isnan(studio) or not studio or math.isnan(ours):
                continue
            bound = "≥ " if f.censored else ""
            print(f"      end→downloaded median {_s(ours)} = {ours / studio:.1f}× the studio's end→stored median with "
                  f"{f.label} ({bound}{_s(f.delay_p50)})")
    if results and not follows:
        print("    (the inflight scenario did not run here: no studio figure to compare with)")
    print()
    return results


def _summary(runs: list, follows: list, limit: float, sdks: list = ()) -> None:
    rows: list[tuple[str, str]] = []
    for t in runs:
        limits = "" if t.unthrottled else ", default limits"
        rows.append((f"jobs/min, 0 s latency, {t.workers} worker(s), {t.jobs} jobs{limits}", f"{t.per_minute:.1f}"))
    for f in follows:
        label = f"{f.label}, {f.latency:g} s latency, 1 worker"
        bound = "≥ " if f.censored else ""
        rows.append((f"{label}: tasks seen ended / jobs stored", f"{f.seen}/{f.count} / {f.succeeded}/{f.count}"))
        rows.append((f"{label}: all stored after the first submit (floor)",
                     f"{bound}{_s(f.all_stored_seconds)} ({_s(f.floor_seconds(limit))})"))
        rows.append((f"{label}: task calls per stored job / account average",
                     f"{f.calls_per_job:.2f} / {f.average_rate:.1f}/s"))
        seen_bound = "≥ " if f.seen < f.count else ""
        rows.append((f"{label}: end→seen p50 / p95", f"{seen_bound}{_s(f.detect_p50)} / {seen_bound}{_s(f.detect_p95)}"))
        rows.append((f"{label}: end→stored p50 / p95", f"{bound}{_s(f.delay_p50)} / {bound}{_s(f.delay_p95)}"))
    for r in [*runs, *follows]:
        name = f"{r.workers} worker(s), {r.jobs} jobs" if hasattr(r, "jobs") else r.label
        rows.append((f"max task calls in 1 s, whole account ({name})",
                     f"{r.calls.max_per_second} (limit {limit:g}, {r.calls.refused} × 429)"))
        rows.append((f"peak RSS in cluster ({name}, {r.processes} processes)", f"{r.peak_rss_mib:.1f} MiB"))
    for b in sdks:
        label = f"SDK baseline, {b.threads} threads, {b.jobs} jobs, {b.latency:g} s latency"
        rows.append((f"{label}: succeeded / never downloaded", f"{b.succeeded}/{b.jobs} / {b.lost}"))
        rows.append((f"{label}: end→downloaded p50 / p95",
                     f"{_s(b.end_to_downloaded_p50)} / {_s(b.end_to_downloaded_p95)}"))
        rows.append((f"{label}: task calls max in 1 s / average",
                     f"{b.calls_max_per_second} / {b.calls_per_second_avg:.1f}/s ({b.refused_429} × 429)"))
        rows.append((f"{label}: bench process threads / RSS", f"{b.peak_threads} / {b.peak_rss_mib:.1f} MiB"))
    width = max((len(k) for k, _ in rows), default=10)
    print("Summary")
    print(f"{'figure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 20}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    sys.exit(main())
