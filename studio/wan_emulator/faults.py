"""Misbehaviour on purpose: the failures a real provider shows, made repeatable.

A fault is switched on for every request by `EmulatorConfig.faults`, or for one request by a
marker in its prompt text, e.g. "a red fox [fault:moderation]". Unknown marker names are
ignored (a prompt may legitimately contain brackets); unknown names in the config are refused.

| fault                | effect                                                              |
| -------------------- | ------------------------------------------------------------------- |
| `moderation`         | submit / sync call answers 400 DataInspectionFailed                 |
| `task_failed`        | the task ends FAILED with InternalError.Algo (sync: HTTP 500)       |
| `http500`            | submit / sync call answers 500 InternalError, nothing is created    |
| `drop`               | the request is read, the task IS created, the connection is closed  |
|                      | without an answer (the caller cannot know whether it went through)  |
| `slow_download`      | the result download trickles in chunks with pauses between them     |
| `truncated_download` | the result download promises more bytes than it sends, then closes  |
| `expired_url`        | result URLs are already expired when the task succeeds              |
| `partial`            | SUCCEEDED with fewer images than asked (n // 2, at least 1)         |
| `list_down`          | the task list (GET /tasks) answers 500 InternalError (config only)  |
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO


class Fault(StrEnum):
    MODERATION = "moderation"
    TASK_FAILED = "task_failed"
    HTTP500 = "http500"
    DROP = "drop"
    SLOW_DOWNLOAD = "slow_download"
    TRUNCATED_DOWNLOAD = "truncated_download"
    EXPIRED_URL = "expired_url"
    PARTIAL = "partial"
    LIST_DOWN = "list_down"


_MARKER = re.compile(r"\[fault:([a-z0-9_]+)\]", re.IGNORECASE)


@dataclass(frozen=True)
class ErrorAnswer:
    """An error as DashScope writes it: HTTP status plus `code` and `message` in the body."""

    status: int
    code: str
    message: str


# Reference: 000 / 003, "Content moderation" — non-compliant input triggers DataInspectionFailed.
MODERATION_ERROR = ErrorAnswer(
    400, "DataInspectionFailed", "Input data may contain inappropriate content."
)
HTTP500_ERROR = ErrorAnswer(
    500, "InternalError", "An internal error has occurred, please try again later."
)
TASK_FAILED_ERROR = ErrorAnswer(
    500, "InternalError.Algo", "An internal error occurred during image generation (emulated fault)."
)


def parse_fault_names(names: Iterable[object]) -> frozenset[Fault]:
    """Config values -> faults; unknown names are a mistake in a test, so they raise ValueError."""
    faults: set[Fault] = set()
    for name in names:
        try:
            faults.add(Fault(str(name).lower()))
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(f"unknown fault {name!r} (known: {known})") from None
    return frozenset(faults)


def faults_in_prompt(prompt: str) -> frozenset[Fault]:
    found: set[Fault] = set()
    for name in _MARKER.findall(prompt):
        try:
            found.add(Fault(name.lower()))
        except ValueError:
            continue
    return frozenset(found)


def active_faults(configured: Iterable[Fault], prompt: str) -> frozenset[Fault]:
    return frozenset(configured) | faults_in_prompt(prompt)


def result_count(*, n: int, faults: frozenset[Fault]) -> int:
    """How many images a generation yields.

    In sequential mode the model decides the count, at most n (reference: 002, n); the emulator
    always decides n. The `partial` fault makes it fewer (n // 2, at least 1 — so with n = 1 the
    fault has no visible effect).
    """
    if Fault.PARTIAL in faults:
        return max(1, n // 2)
    return n


def download_fault(faults: frozenset[Fault]) -> Fault | None:
    # Truncation wins over slowness: a test asking for both wants to see the failure.
    if Fault.TRUNCATED_DOWNLOAD in faults:
        return Fault.TRUNCATED_DOWNLOAD
    if Fault.SLOW_DOWNLOAD in faults:
        return Fault.SLOW_DOWNLOAD
    return None


def write_result(
    out: BinaryIO, data: bytes, fault: Fault | None, *, chunks: int, pause_seconds: float
) -> bool:
    """Send a result body, with its download fault if any; False when the connection must close."""
    if fault is Fault.TRUNCATED_DOWNLOAD:
        write_truncated(out, data)
        return False
    if fault is Fault.SLOW_DOWNLOAD:
        write_slowly(out, data, chunks=chunks, pause_seconds=pause_seconds)
    else:
        out.write(data)
    return True


def write_slowly(out: BinaryIO, data: bytes, *, chunks: int, pause_seconds: float) -> None:
    """Send `data` in `chunks` pieces with a pause before each but the first."""
    chunks = max(1, chunks)
    step = max(1, -(-len(data) // chunks))
    for start in range(0, len(data), step):
        if start:
            time.sleep(pause_seconds)
        out.write(data[start : start + step])
        out.flush()


def write_truncated(out: BinaryIO, data: bytes) -> None:
    """Send only the first half; the caller has already promised the full Content-Length."""
    out.write(data[: len(data) // 2])
    out.flush()
