"""Run everything the studio needs in the foreground; Ctrl-C stops all of it.

Children: the web server, a django-q2 cluster, and, when no DASHSCOPE_API_KEY is set, the
DashScope emulator. If any child exits, the others are stopped too, so a half-running studio
never goes unnoticed.

Stopping takes at most STOP_GRACE seconds. Each child runs in its own process group, so a
terminal's Ctrl-C reaches this command alone; it passes SIGTERM on to every group, waits that
long, then SIGKILLs what is left. The queue cluster's own graceful stop waits for its pusher,
workers and monitor in 0.1 s steps and took about 12 s; nothing needs it: the job rows are the
truth and the recovery sweep resumes whatever a killed worker left half done (studio.pipeline.recovery).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

# Seconds the children get to exit after SIGTERM before they are killed: Ctrl-C must end the
# studio within 2 s (issue 19). The web server and the emulator exit in under 0.4 s even on a busy
# machine; the queue cluster's graceful stop needs about 1.6 s when idle and minutes when a worker
# is busy, so it is usually killed.
STOP_GRACE = 0.8
# How often the foreground loop looks at the stop flag and the children.
TICK = 0.1


class Command(BaseCommand):
    help = "Start the web server, the queue cluster and (without an API key) the emulator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        # (name, argv, working directory); None keeps ours, so relative settings mean the same.
        children: list[tuple[str, list[str], str | None]] = []
        if settings.WAN_EMULATOR:
            # The emulator is a program of its own, without Django; run from the checkout so
            # `-m studio.wan_emulator` finds the package even when it is not installed.
            emulator = [sys.executable, "-m", "studio.wan_emulator"]
            emulator += ["--host", settings.WAN_EMULATOR_HOST, "--port", str(settings.WAN_EMULATOR_PORT)]
            children.append(("emulator", emulator, str(settings.BASE_DIR)))
        children.append(("queue", manage + ["qcluster"], None))
        children.append(("web", manage + ["runserver", "--noreload", f"{host}:{port}"], None))

        procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, argv, cwd in children:
            self.stdout.write(f"starting {name}: {' '.join(argv[1:])}")
            # process_group=0: a group of its own, so the queue cluster's workers go with their sentinel.
            procs.append((name, subprocess.Popen(argv, env=os.environ.copy(), cwd=cwd, process_group=0)))
        mode = "offline emulator" if settings.WAN_EMULATOR else settings.DASHSCOPE_BASE_URL
        self.stdout.write(self.style.SUCCESS(f"Wan Studio on http://{host}:{port}/ (provider: {mode})"))

        exit_code = 0
        while not stopping:
            for name, proc in procs:
                if proc.poll() is not None:
                    self.stderr.write(f"{name} exited with status {proc.returncode}; stopping the studio")
                    exit_code = proc.returncode or 1
                    stopping = True
                    break
            else:
                time.sleep(TICK)

        self.stdout.write("stopping the studio")
        stop_children([proc for _, proc in procs], grace=STOP_GRACE)
        sys.stdout.flush()
        sys.stderr.flush()
        # Every child is reaped and nothing else is held. A normal exit would now tear down the
        # interpreter (garbage-collecting some 800 modules), measured at 0.7-1.6 s on a loaded
        # machine: more than half the 2 s budget, for nothing.
        os._exit(exit_code)


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass  # the group is already gone


def stop_children(procs: list[subprocess.Popen[bytes]], *, grace: float) -> None:
    """SIGTERM each child's process group, give them `grace` seconds in all, then SIGKILL the rest."""
    for proc in procs:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
    for proc in procs:
        # After SIGKILL the wait is short; it reaps the child so no zombie outlives the command.
        proc.wait()
