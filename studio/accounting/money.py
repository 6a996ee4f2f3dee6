"""Writing amounts of money for people: cents when they are exact, every digit when they are not."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")


def format_money(amount: Decimal | int | None, currency: str = "") -> str:
    """12.5 → "12.50", 0.075 → "0.075" (never rounded: a bill must add up), None → "—"."""
    if amount is None:
        return "—"
    amount = Decimal(amount)
    if amount == amount.quantize(CENT):
        text = f"{amount.quantize(CENT):,.2f}"
    else:
        text = f"{amount.normalize():,f}"
    return f"{text} {currency}".strip()
