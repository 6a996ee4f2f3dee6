"""Real django-q2 clusters in real processes, for end-to-end pipeline tests.

A cluster is `python manage.py qcluster` in its own process group, sharing the test database
file and media directory with the test process and talking to an emulator over HTTP. Tests
SIGKILL it to prove the pipeline resumes what a dead worker left half done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def cluster_env(emulator_url: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_", "Q_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=f"sqlite:///{connection.settings_dict['NAME']}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        # Queue messages are signed with the secret key: the cluster must share the test's.
        SECRET_KEY=settings.SECRET_KEY,
        DASHSCOPE_BASE_URL=emulator_url,
        WAN_EMULATOR_HOST="127.0.0.1",
        WAN_TIMEOUT_SECONDS="5",
        WAN_LEASE_SECONDS="6",
        WAN_FOLLOW_RUN_SECONDS="20",
        Q_WORKERS="2",
        Q_TIMEOUT="60",
        Q_RETRY="90",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


class Cluster:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole cluster (sentinel, workers, pusher, monitor), as a crash would."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        # Tests need no graceful stop (it would wait for a running poller to finish its turn).
        self.kill()
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(condition: Callable[[], object], *, timeout: float = 60.0, what: str = "condition") -> object:
    """Poll a condition until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)
