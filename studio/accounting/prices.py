"""What an image costs: the one place every price is read (editor, budgets, ledger, dashboard).

The price table (studio.accounting.models.UnitPrice, edited in the admin) is the source of truth:
the row for the model and region with the latest effective-from at or before the moment asked
about. Where the table has no row yet, settings.WAN_UNIT_PRICES, then the documented prices in
the capability table. A price change is a new row starting later, so asking about a past moment
always gives the price that was in force then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from studio.accounting.models import UnitPrice
from studio.wan.capabilities import get_model

# The region jobs record when the studio talks to its offline emulator, which bills nothing.
EMULATOR_REGION = "emulator"


@dataclass(frozen=True)
class Cost:
    """Images at a unit price: the price of one image, what a job cost, or the most it can cost."""

    images: int | None
    unit_price: Decimal | None
    currency: str
    # Where the unit price came from: "table", "settings", "documented", "emulator" or "unknown".
    source: str = "unknown"

    @property
    def total(self) -> Decimal | None:
        if self.unit_price is None or self.images is None:
            return None
        return self.unit_price * self.images

    def of(self, images: int | None) -> Cost:
        """The same unit price for `images` images."""
        return replace(self, images=images)


class PriceBook:
    """The price rows of some (model, region) pairs, read in one query and resolved in memory."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        wanted = set(pairs)
        self.rows: dict[tuple[str, str], list[UnitPrice]] = {pair: [] for pair in wanted}
        if wanted:
            match = Q()
            for model, region in wanted:
                match |= Q(model=model, region=region)
            for row in UnitPrice.objects.filter(match).order_by("-effective_from"):
                self.rows[(row.model, row.region)].append(row)

    def price(self, model: str, region: str, at: datetime | None = None) -> Cost:
        """One image of `model` in `region` at `at` (default: now)."""
        at = at or timezone.now()
        for row in self.rows.get((model, region), ()):
            if row.effective_from <= at:
                return Cost(1, row.amount, row.currency, "table")
        return _fallback(model, region)


def _fallback(model: str, region: str) -> Cost:
    caps = get_model(model)
    override = settings.WAN_UNIT_PRICES.get(model, {}).get(region)
    if override is not None:
        try:
            return Cost(1, Decimal(str(override)), caps.currency, "settings")
        except InvalidOperation:
            raise ValueError(f"WAN_UNIT_PRICES[{model!r}][{region!r}] is not a number: {override!r}") from None
    documented = caps.unit_prices.get(region)
    if documented is not None:
        return Cost(1, documented, caps.currency, "documented")
    if region == EMULATOR_REGION:
        # The offline emulator bills nothing; its images are still counted.
        return Cost(1, Decimal(0), caps.currency, "emulator")
    return Cost(1, None, caps.currency, "unknown")


def price_of(model: str, region: str, at: datetime | None = None) -> Cost:
    """The price of one generated image of `model` in `region` in force at `at` (default: now)."""
    return PriceBook([(model, region)]).price(model, region, at)


def unit_price(model: str, region: str, at: datetime | None = None) -> Decimal | None:
    """Price of one generated image, or None where neither the table, settings nor documents give one."""
    return price_of(model, region, at).unit_price


def cost_of(*, model: str, region: str, images: int | None, at: datetime | None = None) -> Cost:
    return price_of(model, region, at).of(images)


def estimate(
    *,
    model: str,
    region: str,
    n: int | None,
    sequential: bool,
    interleave: bool = False,
    max_images: int | None = None,
    at: datetime | None = None,
) -> Cost:
    """The most a request can cost: billing counts generated images, at most n (or max_images)."""
    images = get_model(model).max_images_billed(n=n, sequential=sequential, interleave=interleave, max_images=max_images)
    return cost_of(model=model, region=region, images=images, at=at)
