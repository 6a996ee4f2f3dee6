"""A bounded load test: many users browsing the gallery and submitting jobs, against real processes.

The web is gunicorn on loopback (as in production: DEBUG off, whitenoise, the CSP and every
middleware), the queue a real django-q2 cluster, the provider the emulator over HTTP. Each user
is a thread with its own httpx client and session: it logs in through the login form, then, until
the time is up, opens the gallery (and every other step the review queue) and every SUBMIT_EVERY-th step saves a draft
and presses Generate as the editor's htmx requests do. Reported: p50/p95 latency per kind of
request, the error rate, jobs created and stored, and the peak RSS (VmHWM) of the web and worker
processes.

Before the load, one user uploads 9 references of 1 MB and then 9 of 20 MB in one request each:
the web processes' peak memory must not grow with the file size (uploads stream to disk).

Run: `BENCH_SCENARIOS=load python -m tests.bench`. Parameters (environment):
  BENCH_LOAD_USERS=50  BENCH_LOAD_SECONDS=60  BENCH_LOAD_SUBMIT_EVERY=5
  BENCH_LOAD_WEB_WORKERS=4 (gunicorn processes, 4 threads each)  BENCH_LOAD_Q_WORKERS=2
  BENCH_LOAD_GALLERY_IMAGES=2000
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.bench.rig import ROOT, BenchError, Rig, _free_port, group_peaks
from tests.bench.scenarios import percentile

MB = 1024 * 1024
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "bench-load-password-1"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


@dataclass
class Tally:
    """Latencies (ms) and errors per kind of request, shared by the user threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, started: float, ok: bool, detail: str = "") -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[kind].append(elapsed)
            if not ok:
                self.errors[kind] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{kind}: {detail}")


class Web:
    """gunicorn in its own process group, so every worker's memory can be read."""

    def __init__(self, rig: Rig, workers: int) -> None:
        from tests.cluster import cluster_env

        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = (rig.tmp / "gunicorn.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "studio.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--threads", "4", "--timeout", "120"],
            cwd=ROOT,
            # Plain HTTP on loopback: cookies marked Secure would never come back.
            env=cluster_env(rig.emulator.url, SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", **rig.database_env()),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.peaks_kib: dict[int, int] = {}
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/accounts/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("gunicorn did not answer:\n" + rig.log_tail("gunicorn.log"))
            time.sleep(0.2)

    def sample(self) -> None:
        for pid, kib in group_peaks(self.proc.pid).items():
            self.peaks_kib[pid] = max(kib, self.peaks_kib.get(pid, 0))

    def peak_mib(self) -> float:
        self.sample()
        return max(self.peaks_kib.values(), default=0) / 1024

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


def log_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/accounts/login/")
    token = CSRF.search(page.text).group(1)
    answer = client.post("/accounts/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    if answer.status_code != 302:
        raise BenchError(f"logging in {username} answered {answer.status_code}")
    return client


def csrf_of(client: httpx.Client) -> str:
    return client.cookies.get("csrftoken") or CSRF.search(client.get("/create/").text).group(1)


def user_loop(base: str, username: str, until: float, submit_every: int, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        client = log_in(base, username)
    except Exception as exc:  # noqa: BLE001 - a failed login is a counted error, not a crash
        tally.record("login", started, False, repr(exc))
        return
    tally.record("login", started, True)
    token = csrf_of(client)
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    step = 0
    try:
        while time.monotonic() < until:
            step += 1
            requests: list[tuple[str, str, str, dict]] = [("GET", "gallery", "/gallery/", {})]
            if step % 2 == 0:
                requests.append(("GET", "review queue", "/gallery/review/", {}))
            if step % submit_every == 0:
                draft = {"prompt": f"A lighthouse, {username} step {step}", "model": "wan2.7-image", "size_preset": "1K", "n": "1"}
                requests += [("POST", "save draft", "/create/save", draft), ("POST", "generate", "/create/generate", draft)]
            for method, kind, path, extra in requests:
                started = time.perf_counter()
                try:
                    if method == "GET":
                        answer = client.get(path, headers=extra)
                    else:
                        answer = client.post(path, data=extra, headers=htmx)
                    ok = answer.status_code == 200
                    tally.record(kind, started, ok, f"HTTP {answer.status_code}")
                except httpx.HTTPError as exc:
                    tally.record(kind, started, False, type(exc).__name__)
    finally:
        client.close()


def upload_memory(web: Web, username: str, tmp: Path) -> list[tuple[int, float, int]]:
    """(file size MB, web peak RSS MiB after a 9-file upload of that size, HTTP status)."""
    from django.conf import settings

    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    results = []
    client = log_in(web.url, username)
    token = csrf_of(client)
    for size_mb in (1, settings.UPLOAD_FILE_MAX_BYTES // MB):
        path = tmp / f"upload-{size_mb}mb.bin"
        with path.open("wb") as out:
            out.write(os.urandom(size_mb * MB))
        handles = [path.open("rb") for _ in range(count)]
        try:
            files = [("references", (f"big-{i}.png", handle, "image/png")) for i, handle in enumerate(handles)]
            answer = client.post("/create/references", files=files, headers={"HX-Request": "true", "X-CSRFToken": token})
        finally:
            for handle in handles:
                handle.close()
            path.unlink()
        results.append((size_mb, web.peak_mib(), answer.status_code))
    client.close()
    return results


def scenario(rig: Rig) -> list[str]:
    from django.contrib.auth import get_user_model

    from studio.accounts.models import Membership, Role
    from studio.pipeline.models import TERMINAL_STATUSES, Job, JobStatus
    from tests.bench import gallery

    users = _env_int("BENCH_LOAD_USERS", 50)
    seconds = _env_int("BENCH_LOAD_SECONDS", 60)
    submit_every = _env_int("BENCH_LOAD_SUBMIT_EVERY", 5)
    web_workers = _env_int("BENCH_LOAD_WEB_WORKERS", 4)
    q_workers = _env_int("BENCH_LOAD_Q_WORKERS", 2)
    images = _env_int("BENCH_LOAD_GALLERY_IMAGES", 2000)
    failures: list[str] = []

    print(f"[load] {users} users for {seconds} s against gunicorn ({web_workers} workers × 4 threads, DEBUG off) "
          f"and a django-q2 cluster (Q_WORKERS={q_workers}); the gallery holds {images} images; every "
          f"{submit_every}th step a user saves a draft and presses Generate (wan2.7-image, 1K, n=1).")
    rig.reset()
    team, _ = gallery.seed(images)
    names = [f"load-{i}" for i in range(users)]
    model = get_user_model()
    for name in names:
        user = model.objects.create_user(name, password=PASSWORD)
        Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    from django.db import connection

    connection.close()  # the SQLite writes are visible to the other processes
    web = Web(rig, web_workers)
    running = rig.start_cluster(workers=q_workers, WAN_SUBMITS_PER_SECOND="1000", WAN_MAX_CONCURRENT_TASKS="100000")
    try:
        rig.wait_ready(running)
        uploads = upload_memory(web, names[0], rig.tmp)
        for size_mb, peak, status in uploads:
            print(f"    9 uploads of {size_mb} MB in one request: HTTP {status}, web peak RSS so far {peak:.1f} MiB")
        growth = uploads[-1][1] - uploads[0][1]
        print(f"    peak growth from 9 × 1 MB to 9 × {uploads[-1][0]} MB: {growth:.1f} MiB "
              f"(the bodies differ by {9 * (uploads[-1][0] - 1)} MB)")
        if growth > 9 * (uploads[-1][0] - 1) / 2:
            failures.append(f"load: web memory grew {growth:.1f} MiB with upload size")

        until = time.monotonic() + seconds
        tally = Tally()
        threads = [threading.Thread(target=user_loop, args=(web.url, n, until, submit_every, tally), daemon=True) for n in names]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            web.sample()
            running.sample()
            time.sleep(1.0)
        load_jobs = Job.objects.filter(owner__username__in=names)
        rig.wait_all_finished(running, Job.objects.count(), timeout=120, stall=60)
        web_peak = web.peak_mib()
        running.sample()
        jobs = load_jobs.count()
        stored = load_jobs.filter(status=JobStatus.SUCCEEDED).count()
        unfinished = load_jobs.exclude(status__in=TERMINAL_STATUSES).count()
    finally:
        rig.stop_cluster(running)
        web.stop()

    total = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.errors.values())
    print(f"    {total} requests, {errors} errors ({100 * errors / max(total, 1):.2f} %); "
          f"{jobs} jobs created, {stored} stored, {unfinished} unfinished after the wait")
    for kind, values in sorted(tally.latencies.items()):
        print(f"    {kind:<15} n={len(values):<6} p50 {percentile(values, 50):7.0f} ms   "
              f"p95 {percentile(values, 95):7.0f} ms   errors {tally.errors.get(kind, 0)}")
    for sample in tally.samples:
        print(f"      e.g. {sample}")
    print(f"    peak RSS: web {web_peak:.1f} MiB (any gunicorn process), workers {running.peak_rss_mib:.1f} MiB "
          f"(any process of the cluster's {running.processes})")
    print()
    if errors:
        failures.append(f"load: {errors} of {total} requests failed")
    if unfinished:
        failures.append(f"load: {unfinished} jobs unfinished")
    return failures
