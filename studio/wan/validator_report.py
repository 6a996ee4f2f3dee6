"""What a check reports: problems with the JSON path of the offending value, notes, and the
small helpers every check uses to describe a value. The validator's modules all build on this
one and it imports none of them, so they form no circle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

_SHOWN_CHARS = 40


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

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
        self.problems.append(Problem(path, message))

    def note(self, path: str, message: str) -> None:
        self.notes.append(f"note: {path}: {message}")


@dataclass(frozen=True)
class SeenImage:
    """What the body checks learnt about one input image."""

    size: tuple[int, int] | None  # known only for data: URLs that decoded
    is_url: bool  # an http(s) URL, whose pixels are not fetched


def is_array(value: object) -> bool:
    return isinstance(value, (list, tuple))


def describe_value(value: object) -> str:
    """A short, safe description of any JSON value for a message (never a 20 MB string)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # str() of an integer with thousands of digits raises; nobody needs to read it anyway.
        return str(value) if value.bit_length() <= 64 else "a very large integer"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = json.dumps(value[:_SHOWN_CHARS], ensure_ascii=False)
        return f"the string {shown}{'…' if len(value) > _SHOWN_CHARS else ''}"
    if is_array(value):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """plural(1, "image") -> '1 image'; plural(3, "box", "boxes") -> '3 boxes'."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
