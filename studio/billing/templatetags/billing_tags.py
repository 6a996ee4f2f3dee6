"""Billing in templates: amounts of money, and the team's budget next to the editor's cost line."""

from __future__ import annotations

from decimal import Decimal

from django import template

from studio.accounts import teams
from studio.accounting import prices
from studio.accounting.money import format_money
from studio.pipeline import provider
from studio.pipeline.budgets import team_budget_status

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    return format_money(amount, currency)


@register.inclusion_tag("billing/_budget_line.html", takes_context=True)
def budget_line(context, caps, estimate) -> dict[str, object]:
    """What the active team has left this month, and whether this job's most still fits."""
    request = context.get("request")
    team = teams.active_team(request) if request is not None else None
    status = team_budget_status(team) if team is not None else None
    if status is None:
        return {"status": None}
    # The reservation uses the region jobs are really sent to (the emulator costs nothing).
    most = prices.cost_of(model=caps.name, region=provider.region(), images=estimate.images).total
    short_images = status.left_images is not None and estimate.images > status.left_images
    short_amount = status.left_amount is not None and most is not None and most > status.left_amount
    return {"status": status, "team": team, "short": short_images or short_amount}
