"""Writing amounts of money for people: cents when they are exact, every digit when they are not,
with the reader's locale's separators (English 1,234.50; Chinese 1234.50)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

CENT = Decimal("0.01")


def format_money(amount: Decimal | int | None, currency: str = "") -> str:
    """12.5 → "12.50", 0.075 → "0.075" (never rounded: a bill must add up), None → "—"."""
    if amount is None:
        return "—"
    amount = Decimal(amount)
    if amount == amount.quantize(CENT):
        text = number_format(amount.quantize(CENT), 2, force_grouping=True)
    else:
        exact = amount.normalize()
        places = max(0, -exact.as_tuple().exponent)
        text = number_format(exact, places, force_grouping=True)
    return f"{text} {currency}".strip()
