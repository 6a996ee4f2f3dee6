"""The emulator as a program of its own: `python -m studio.wan_emulator --port 8001`.

`manage.py wan emulator` takes its options from `add_arguments` here, so the two spellings
cannot drift apart. Latency and faults come from WAN_EMULATOR_* variables (config.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DEFAULT_PORT = 8001


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--api-key", action="append", default=[], dest="api_keys", metavar="KEY", help="a key it accepts (repeatable)"
    )
    parser.add_argument(
        "--state-file", default=None, metavar="PATH", help="keep tasks and result links across restarts"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m studio.wan_emulator", description="Run the DashScope emulator in the foreground."
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    # Imported here so that `manage.py wan validate` (which reads add_arguments) loads no server.
    from studio.wan_emulator.server import run_from_command_line

    return run_from_command_line(options, stdout=sys.stdout)
