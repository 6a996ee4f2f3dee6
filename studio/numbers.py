"""Whole numbers that people type or browsers send, parsed one way everywhere; numbers written
for people in their locale.

Only ASCII digits count. `"²".isdigit()` is true yet `int("²")` raises, and `int("١٢")` is 12;
neither is a number anyone meant to send us. Nor is a number too large for the database: SQLite
and PostgreSQL keep 64-bit integers, and a bigger one raises deep inside the query.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.formats import number_format

# The largest id the databases hold (a signed 64-bit integer).
ID_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_whole(text: object, *, most: int = ID_MAX) -> int | None:
    """The whole number `text` spells in ASCII digits (spaces around allowed), or None when it
    spells none or one above `most`."""
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not _DIGITS.fullmatch(stripped):
        return None
    value = int(stripped)
    return value if value <= most else None


class IdConverter:
    """The `<id:...>` path converter: a row id the databases can hold, else the URL does not match
    (a 404), where Django's `<int:...>` would pass 10**23 on to the query."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_whole(value)
        if number is None:
            raise ValueError(value)  # Django's signal for "no match"
        return number

    def to_url(self, value: int) -> str:
        return str(value)


def format_number(value: int | float | Decimal, decimals: int | None = None) -> str:
    """A count or measure for a page, with the reader's locale's separators (English 12,345;
    Chinese 12345). Not for values a machine reads back (CSV, JSON, form fields)."""
    return number_format(value, decimals, force_grouping=True)


def format_percent(value: int | float | Decimal, decimals: int = 0) -> str:
    """A share for a page ("85%", "12.5%"). A palette's ratios are not this: they keep the
    reference's exact two decimals ("100.00%", studio.wan.capabilities.format_ratio) in every
    language."""
    return f"{number_format(value, decimals, force_grouping=True)}%"
