"""Run everything the studio needs in the foreground; Ctrl-C stops all of it.

Children: the web server, a django-q2 cluster, and, when no DASHSCOPE_API_KEY is set, the
DashScope emulator. If any child exits, the others are stopped too, so a half-running studio
never goes unnoticed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


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
            procs.append((name, subprocess.Popen(argv, env=os.environ.copy(), cwd=cwd)))
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
                time.sleep(0.5)

        for _, proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for _, proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(exit_code)
