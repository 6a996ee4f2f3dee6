"""`wan validate [PATH|-]`: check one request body from a file or stdin.

Exit codes are a contract with outside checks: 0 valid, 1 invalid, 2 not JSON (or unreadable).
Output: one `<json path>: <message>` line per problem, then the `note: ...` lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Protocol

from studio.wan.validator import validate_body

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_NOT_JSON = 2


class _Writer(Protocol):
    def write(self, text: str) -> Any: ...


class NotJSON(Exception):
    """The input could not be read as one JSON document; the message says why."""


def validate_main(path: str, *, stdout: _Writer, stdin: IO[Any]) -> int:
    try:
        body = _load(path, stdin)
    except NotJSON as exc:
        stdout.write(f"{exc}\n")
        return EXIT_NOT_JSON
    report = validate_body(body)
    for problem in report.problems:
        stdout.write(f"{problem}\n")
    for note in report.notes:
        stdout.write(f"{note}\n")
    return EXIT_VALID if report.ok else EXIT_INVALID


def _load(path: str, stdin: IO[Any]) -> object:
    name = "stdin" if path == "-" else path
    try:
        # Bytes where possible: json detects UTF-8/16/32 and a byte-order mark itself.
        raw = getattr(stdin, "buffer", stdin).read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise NotJSON(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError as exc:  # undecodable text on a text-mode stdin
        raise NotJSON(f"{name} is not JSON: {exc}") from None
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise NotJSON(f"{name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # bad encoding, NaN, huge integers, deep nesting
        raise NotJSON(f"{name} is not JSON: {exc or type(exc).__name__}") from None


def _refuse_constant(name: str) -> object:
    # Python's json accepts NaN and Infinity; JSON (and the API) does not.
    raise ValueError(f"{name} is not a JSON value")
