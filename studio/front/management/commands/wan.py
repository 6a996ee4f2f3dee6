"""`python manage.py wan validate|generate|emulator` — the studio's protocol command line.

Outside checks call these exact forms, so their arguments and exit codes are a contract:
  wan validate [PATH|-]      exit 0 valid, 1 invalid, 2 not JSON
  wan generate --prompt ...  one generation through the configured provider, PNGs saved
  wan emulator --port PORT   the DashScope emulator in the foreground

It lives in `front`, beside `serve`, because it wires together three rooms that must not reach
into one another: the protocol's validator, the pipeline's generation and the emulator program.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandParser

from studio.wan_emulator import cli as emulator_options


class Command(BaseCommand):
    help = "Validate request bodies, generate images, or run the DashScope emulator."

    # Validation and the emulator need no database; `generate` checks what it needs itself.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))

        validate = sub.add_parser("validate", help="check one request body against its model's rules")
        validate.add_argument("path", nargs="?", default="-", help="a JSON file, or - for stdin")

        generate = sub.add_parser("generate", help="run one generation and save the PNGs")
        generate.add_argument("--prompt", required=True)
        generate.add_argument("--image", action="append", default=[], metavar="PATH")
        generate.add_argument("--bbox", action="append", default=[], metavar="I:x1,y1,x2,y2")
        generate.add_argument("--palette", action="append", default=[], metavar="#hex:ratio")
        generate.add_argument("--size")
        generate.add_argument("--n", type=int)
        generate.add_argument("--sequential", action="store_true")
        generate.add_argument("--thinking-mode", choices=["on", "off"])
        generate.add_argument("--watermark", action="store_true")
        generate.add_argument("--seed", type=int)
        generate.add_argument("--model")
        generate.add_argument("--out", default=".")
        generate.add_argument("--sync", action="store_true", help="use the synchronous endpoint")
        generate.add_argument("--team", help="queue a job of this team (name or id) instead: its budget, ledger and gallery")
        generate.add_argument("--user", help="with --team: the member who makes the job")
        generate.add_argument("--wait", action="store_true", help="with --team: wait for the job and save its images to --out")

        emulator = sub.add_parser("emulator", help="run the DashScope emulator in the foreground")
        emulator_options.add_arguments(emulator)

    def handle(self, *args, action: str, **options) -> None:
        if action == "validate":
            from studio.wan.cli import validate_main

            sys.exit(validate_main(options["path"], stdout=self.stdout, stdin=sys.stdin))
        if action == "generate":
            from studio.pipeline.generate_cli import generate_main

            sys.exit(generate_main(options, stdout=self.stdout, stderr=self.stderr))
        if action == "emulator":
            from studio.wan_emulator.server import run_from_command_line

            sys.exit(run_from_command_line(options, stdout=self.stdout))
