"""The bench's world: its own files, the emulator over HTTP, a web process, real clusters.

Everything lives in a temporary directory (SQLite files, media, logs) that is removed at the end
(BENCH_KEEP=1 keeps it). The database is migrated once; each scenario runs on a fresh copy.
BENCH_BACKEND=postgres runs the same scenarios on PostgreSQL + Redis (tests/servers.py starts
both): each scenario's database is then a copy of the migrated one made by CREATE DATABASE ...
TEMPLATE, and the Redis queue is emptied between scenarios. Clusters are tests/cluster.py's: `manage.py qcluster` in its own process
group, SIGKILLed when a scenario ends, after the peak memory of every process in the group is read.
This module imports nothing from Django at the top: `Rig.open()` sets the environment first.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from studio.wan_emulator.server import EmulatorConfig, EmulatorServer

ROOT = Path(__file__).resolve().parent.parent.parent
POLL_SECONDS = 0.2
# How often /healthz is asked while a scenario runs (its probe is one task query).
HEALTHZ_SECONDS = 0.5
BACKENDS = ("sqlite", "postgres")


class BenchError(Exception):
    pass


@dataclass
class Health:
    """Health GETs against the web process while a scenario runs: the login page (a full
    render) and /healthz, whose provider probe is a task query of the account."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    healthz_ms: list[float] = field(default_factory=list)
    # /healthz answers by the provider check's status: "ok" (probed), "skipped" (the account's
    # queries of that second were in use), "error"; "unhealthy" when the whole answer was not 200.
    healthz: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        if not self.latencies_ms and not self.failures:
            return "not checked"
        worst = max(self.latencies_ms, default=0.0)
        ok = len(self.latencies_ms)
        text = f"{ok}/{ok + self.failures} OK, slowest {worst:.0f} ms"
        if self.healthz_ms or self.healthz:
            answers = ", ".join(f"{status} {n}" for status, n in sorted(self.healthz.items()))
            text += f"; /healthz provider check: {answers}, slowest {max(self.healthz_ms, default=0.0):.0f} ms"
        return text


class RunningCluster:
    """A cluster plus the highest VmHWM seen for each process of its group."""

    def __init__(self, cluster: Any, started_at: Any) -> None:
        self.cluster = cluster
        self.started_at = started_at
        self.peaks_kib: dict[int, int] = {}

    def sample(self) -> None:
        # Workers are recycled (django-q2's `recycle`), so peaks are sampled during the run too,
        # not only once before the kill.
        for pid, kib in group_peaks(self.cluster.proc.pid).items():
            self.peaks_kib[pid] = max(kib, self.peaks_kib.get(pid, 0))

    @property
    def peak_rss_mib(self) -> float:
        return max(self.peaks_kib.values(), default=0) / 1024

    @property
    def processes(self) -> int:
        return len(self.peaks_kib)


def group_peaks(pgid: int) -> dict[int, int]:
    """VmHWM (KiB) of every live process in a process group, read from /proc."""
    peaks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            # Fields after the command name: state, ppid, pgrp, ...
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in Path(entry.path, "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[int(entry.name)] = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # The process ended while being read.
    return peaks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rig:
    def __init__(self, tmp: Path, emulator: EmulatorServer, keep: bool, backend: str = "sqlite") -> None:
        self.tmp = tmp
        self.backend = backend
        # The PostgreSQL and Redis servers of the postgres backend, stopped by close().
        self.servers = ExitStack()
        self.postgres: Any = None
        self.emulator = emulator
        self.keep = keep
        self.web: subprocess.Popen[bytes] | None = None
        self.web_log: BinaryIO | None = None
        self.web_url = ""
        self.health = Health()
        self.clusters: list[RunningCluster] = []
        self.template = tmp / "migrated.sqlite3"
        self.scenarios = 0
        self.http = httpx.Client(timeout=10)
        # The bench process's own client, for task-list reads (read_task_list), and their outcomes.
        self.studio_client: Any = None
        self.list_reads: dict[str, int] = {}

    # --- the world ---------------------------------------------------------------------------

    @classmethod
    def open(cls, *, keep: bool, backend: str = "sqlite") -> Rig:
        if backend not in BACKENDS:
            raise BenchError(f"BENCH_BACKEND must be one of {', '.join(BACKENDS)}; got {backend!r}")
        tmp = Path(tempfile.mkdtemp(prefix="wan-bench-"))
        emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.0, running_seconds=0.0)).start()
        rig = cls(tmp, emulator, keep, backend)
        try:
            if backend == "postgres":
                rig._start_servers()
            rig._configure_django()
            rig._start_web()
        except BaseException:
            rig.close()
            raise
        return rig

    def _configure_django(self) -> None:
        # The bench's own settings: nothing from the caller's DASHSCOPE_/WAN_/Q_ variables, so
        # the knobs the clusters get are the studio's defaults plus what a scenario says.
        for name in [n for n in os.environ if n.startswith(("DASHSCOPE_", "WAN_", "Q_"))]:
            del os.environ[name]
        os.environ.update(
            DJANGO_SETTINGS_MODULE="studio.settings",
            STUDIO_DATA_DIR=str(self.tmp),
            DATABASE_URL=f"sqlite:///{self.template}",
            MEDIA_ROOT=str(self.tmp / "media"),
            SECRET_KEY=secrets.token_urlsafe(50),
            # As in production: DEBUG off (no query log kept in memory by every process).
            DEBUG="0",
            # Plain HTTP on loopback: no TLS to redirect to.
            SECURE_SSL_REDIRECT="0",
            ALLOWED_HOSTS="127.0.0.1",
            LOG_LEVEL="WARNING",
            DASHSCOPE_BASE_URL=self.emulator.url,
            WAN_EMULATOR_HOST="127.0.0.1",
        )
        if self.postgres is not None:
            os.environ["DATABASE_URL"] = self.postgres.url
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        # As in production (DEBUG off): pages name static files through collectstatic's manifest.
        call_command("collectstatic", verbosity=0, interactive=False)
        from django.db import connection

        # Closed, so SQLite folds its write-ahead log into the file each scenario copies (and
        # PostgreSQL can copy the database: a template must have no connections).
        connection.close()
        if self.postgres is not None:
            self._copy_template("bench_web")

    def _start_servers(self) -> None:
        from tests.servers import ServerMissing, postgres_server, redis_server

        try:
            self.postgres = self.servers.enter_context(postgres_server(database="bench_template"))
            redis = self.servers.enter_context(redis_server())
        except ServerMissing as exc:
            raise BenchError(str(exc)) from None
        os.environ["REDIS_URL"] = redis.url
        self.redis_url = redis.url

    def _copy_template(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.postgres.port, user=self.postgres.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.postgres.database}"')

    def database_env(self) -> dict[str, str]:
        """DATABASE_URL for processes the bench starts: the current scenario's database."""
        from django.db import connection

        if self.postgres is None:
            return {}  # tests/cluster.py passes the SQLite file on
        name = connection.settings_dict["NAME"]
        return {"DATABASE_URL": f"postgres://{self.postgres.user}@127.0.0.1:{self.postgres.port}/{name}"}

    def _start_web(self, database: dict[str, str] | None = None) -> None:
        from studio.wan_emulator.config import DEFAULT_API_KEY
        from tests.cluster import cluster_env

        port = _free_port()
        self.web_url = f"http://127.0.0.1:{port}"
        self.web_log = (self.tmp / "web.log").open("ab")
        # Configured as with a real key (the emulator's), so /healthz probes the provider with a
        # task query, as in production: it shares the clusters' key, account and database.
        env = cluster_env(self.emulator.url, DASHSCOPE_API_KEY=DEFAULT_API_KEY, **(database or self._web_database()))
        self.web = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=self.web_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while not self.check_health(record=False):
            if self.web.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the web process did not answer:\n" + self.log_tail("web.log"))
            time.sleep(POLL_SECONDS)

    def _web_database(self) -> dict[str, str]:
        if self.postgres is None:
            return {}
        return {"DATABASE_URL": f"postgres://{self.postgres.user}@127.0.0.1:{self.postgres.port}/bench_web"}

    def _stop_web(self) -> None:
        if self.web is not None and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGKILL)
            self.web.wait(timeout=10)
        if self.web_log is not None:
            self.web_log.close()
            self.web_log = None

    def check_healthz(self) -> None:
        started = time.perf_counter()
        try:
            response = self.http.get(self.web_url + "/healthz")
            status = response.json()["provider"]["status"] if response.status_code == 200 else "unhealthy"
        except (httpx.HTTPError, ValueError, KeyError):
            status = "unhealthy"
        self.health.healthz_ms.append((time.perf_counter() - started) * 1000)
        self.health.healthz[status] = self.health.healthz.get(status, 0) + 1

    def read_task_list(self) -> None:
        """Read the task list around the last few seconds, as the recovery sweep does for an
        interrupted submit (studio.pipeline.attention.submission_window), through the studio's
        client: each page takes a slot of the account's budget."""
        from django.utils import timezone

        from studio.pipeline import provider
        from studio.wan.errors import WanError

        if self.studio_client is None:
            self.studio_client = provider.make_client(max_retries=0, query_wait=1.0)
        now = timezone.now()
        try:
            self.studio_client.list_tasks(start=now - timedelta(seconds=10), end=now + timedelta(seconds=5))
            self.list_reads["read"] = self.list_reads.get("read", 0) + 1
        except WanError as exc:
            outcome = "refused by the studio" if query_budget_refused(exc) else type(exc).__name__
            self.list_reads[outcome] = self.list_reads.get(outcome, 0) + 1

    def check_health(self, *, record: bool = True) -> bool:
        # Every page is behind login; the login page is the cheapest full render.
        started = time.perf_counter()
        try:
            ok = self.http.get(self.web_url + "/accounts/login/").status_code == 200
        except httpx.HTTPError:
            ok = False
        if record:
            if ok:
                self.health.latencies_ms.append((time.perf_counter() - started) * 1000)
            else:
                self.health.failures += 1
        return ok

    def close(self) -> None:
        for running in self.clusters:
            running.cluster.stop()
        self._stop_web()
        if self.studio_client is not None:
            self.studio_client.close()
        self.http.close()
        self.emulator.shutdown()
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()  # PostgreSQL stops faster with no client left
        self.servers.close()
        if self.keep:
            print(f"bench files kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.tmp / name
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # --- scenarios ---------------------------------------------------------------------------

    def reset(self, **emulator_config: object) -> None:
        """A clean slate: a fresh copy of the migrated database (no jobs, queue messages, poller
        lease, task-query budget or ledger), a fresh emulator, no health figures yet, and the web
        process restarted on the new database (the account's budget lives there)."""
        from django.db import connection

        self._stop_web()
        connection.close()
        self.scenarios += 1
        if self.postgres is not None:
            self._copy_template(f"scenario_{self.scenarios}")
            connection.settings_dict["NAME"] = f"scenario_{self.scenarios}"
            import redis

            # Doorbells left over from the last scenario would ring for jobs that don't exist here.
            redis.from_url(self.redis_url).flushdb()
        else:
            database = self.tmp / f"scenario-{self.scenarios}.sqlite3"
            shutil.copyfile(self.template, database)
            # tests/cluster.py hands this name to the clusters it starts.
            connection.settings_dict["NAME"] = str(database)
        self.emulator.reset()
        self.emulator.update_config(emulator_config)
        self.health = Health()
        self.list_reads: dict[str, int] = {}
        self._start_web(self.database_env())

    def studio_defaults(self) -> dict[str, str]:
        """The pipeline knobs as the studio ships them (tests/cluster.py shortens them for tests)."""
        from django.conf import settings

        return {
            "WAN_TIMEOUT_SECONDS": str(settings.WAN_TIMEOUT_SECONDS),
            "WAN_LEASE_SECONDS": str(settings.WAN_LEASE_SECONDS),
            "WAN_FOLLOW_RUN_SECONDS": str(settings.WAN_FOLLOW_RUN_SECONDS),
            "Q_TIMEOUT": str(settings.Q_CLUSTER["timeout"]),
            "Q_RETRY": str(settings.Q_CLUSTER["retry"]),
        }

    def start_cluster(self, *, workers: int, **env: str) -> RunningCluster:
        from django.utils import timezone

        from tests.cluster import Cluster, cluster_env

        overrides = {**self.studio_defaults(), "Q_WORKERS": str(workers), **self.database_env(), **env}
        log = self.tmp / f"cluster-{len(self.clusters)}.log"
        running = RunningCluster(Cluster(cluster_env(self.emulator.url, **overrides), log), timezone.now())
        self.clusters.append(running)
        return running

    def stop_cluster(self, running: RunningCluster) -> None:
        running.sample()
        running.cluster.stop()

    def wait_ready(self, running: RunningCluster, *, timeout: float = 60.0) -> None:
        """Until a worker has run the sweep each worker queues when it starts."""
        from django_q.models import Task

        from studio.pipeline.dispatch import Doorbell, task_path

        sweep = task_path(Doorbell.SWEEP)
        self._wait(running, lambda: Task.objects.filter(func=sweep).exists(), timeout, "the cluster to start")

    def wait_all_finished(self, running: RunningCluster, expected: int, *, timeout: float, stall: float) -> str:
        """Wait until `expected` jobs are finished. Returns "" then, or why it stopped waiting: no job
        finished for `stall` seconds, or `timeout` passed (a stalled pipeline is reported, not waited out)."""
        from django.db.models import Count

        from studio.pipeline.models import TERMINAL_STATUSES, Job

        started = last_change = time.monotonic()
        last_done = -1
        outcome = ""

        def finished() -> bool:
            nonlocal last_done, last_change, outcome
            counts = dict(Job.objects.order_by().values_list("status").annotate(Count("id")))
            self.last_counts = counts
            done = sum(n for status, n in counts.items() if status in TERMINAL_STATUSES)
            now = time.monotonic()
            if done != last_done:
                last_done, last_change = done, now
            elif now - last_change > stall:
                outcome = f"stalled: no job finished for {stall:.0f} s (jobs by status: {counts})"
            if now - started > timeout:
                outcome = f"timed out after {timeout:.0f} s (jobs by status: {counts})"
            return done >= expected or bool(outcome)

        self._wait(running, finished, timeout + 60, "the jobs to finish")
        return outcome

    def _wait(self, running: RunningCluster, condition: Any, timeout: float, what: str) -> None:
        self.last_counts: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        last_sample = last_health = last_healthz = 0.0
        while not condition():
            now = time.monotonic()
            if now - last_sample >= 1.0:
                running.sample()
                last_sample = now
            # Other task calls beside the poller's, all in the account's one budget: /healthz
            # probes from the web process, and task-list reads as the sweep makes them.
            if now - last_healthz >= HEALTHZ_SECONDS:
                self.check_healthz()
                last_healthz = now
            if now - last_health >= 2.0:
                self.check_health()
                self.read_task_list()
                last_health = now
            if running.cluster.proc.poll() is not None:
                raise BenchError(f"the cluster exited while waiting for {what}:\n" + _tail(running.cluster.output()))
            if now > deadline:
                raise BenchError(
                    f"timed out after {timeout:.0f} s waiting for {what} (jobs by status: {self.last_counts})\n"
                    + _tail(running.cluster.output())
                )
            time.sleep(POLL_SECONDS)

    def provider_end(self, task_id: str) -> datetime:
        """When the emulator ends (or ended) a task, for jobs whose end the poller never saw."""
        return datetime.fromtimestamp(self.emulator.state.tasks[task_id].ended_at, tz=UTC)

    def emulator_stats(self) -> dict[str, Any]:
        return dict(self.http.get(self.emulator.root_url + "/emulator/stats").json())


def query_budget_refused(error: Exception) -> bool:
    from studio.pipeline.query_budget import refused_here

    return refused_here(error)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])
