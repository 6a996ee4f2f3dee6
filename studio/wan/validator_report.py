"""What a check reports: problems with the JSON path of the offending value, notes, and the
small helpers every check uses to describe a value. The validator's modules all build on this
one and it imports none of them, so they form no circle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from studio.wan.problem_words import Plain, Said, say

_SHOWN_CHARS = 40


@dataclass(frozen=True)
class Problem:
    path: str
    message: str  # English, for logs, the CLI and the emulator
    # What the web layer words in the user's language (studio.wan.problem_words).
    code: str = ""
    params: dict[str, Plain] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, path: str, message: str) -> None:
        """`message` is a Said (say(code, ...)), so the problem keeps its code and parameters."""
        code, params = (message.code, message.params) if isinstance(message, Said) else ("", {})
        self.problems.append(Problem(path, str(message), code, params))

    def note(self, path: str, message: str) -> None:
        self.notes.append(f"note: {path}: {message}")


@dataclass(frozen=True)
class SeenImage:
    """What the body checks learnt about one input image."""

    size: tuple[int, int] | None  # known only for data: URLs that decoded
    is_url: bool  # an http(s) URL, whose pixels are not fetched


def is_array(value: object) -> bool:
    return isinstance(value, (list, tuple))


def describe_value(value: object) -> Said:
    """A short, safe description of any JSON value for a message (never a 20 MB string)."""
    if value is None:
        return say("value.null")
    if isinstance(value, bool):
        return say("value.true" if value else "value.false")
    if isinstance(value, int):
        # str() of an integer with thousands of digits raises; nobody needs to read it anyway.
        return say("value.integer", text=str(value)) if value.bit_length() <= 64 else say("value.huge_integer")
    if isinstance(value, float):
        return say("value.number", text=repr(value))
    if isinstance(value, str):
        shown = json.dumps(value[:_SHOWN_CHARS], ensure_ascii=False)
        return say("value.string", text=f"{shown}{'…' if len(value) > _SHOWN_CHARS else ''}")
    if is_array(value):
        return say("value.array")
    if isinstance(value, dict):
        return say("value.object")
    return say("value.other", type=type(value).__name__)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
