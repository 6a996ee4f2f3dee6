"""A palette ratio as the reference writes it: "23.51%", exactly two decimals (002, color_palette).

Shares are integer hundredths of a percent everywhere in the studio, so a palette that sums to
100.00% here sums to 100.00% in the body."""

from __future__ import annotations

import re

from studio.wan.capabilities.models import DEFAULT_MODEL, get_model
from studio.wan.capabilities.schema import PaletteRules


def _palette_rules() -> PaletteRules:
    rules = get_model(DEFAULT_MODEL).palette
    assert rules is not None, "the default model documents a colour palette"
    return rules


def format_ratio(hundredths: int) -> str:
    """2351 -> '23.51%': exactly two decimals, from integers (no float rounding)."""
    if hundredths < 0:
        raise ValueError(f"a ratio cannot be negative ({hundredths} hundredths)")
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def parse_ratio(text: str, *, rules: PaletteRules | None = None) -> int | None:
    """'23.51%' -> 2351; None unless the text has exactly the documented form."""
    if not isinstance(text, str):
        return None
    # Reference: 002, color_palette.ratio — "accurate to two decimal places (for example, "25.00%")".
    # re.ASCII: "\d" must not accept other scripts' digits.
    match = re.fullmatch((rules or _palette_rules()).ratio_pattern, text, re.ASCII)
    if match is None:
        return None
    whole, cents = match.groups()
    return int(whole) * 100 + int(cents)
