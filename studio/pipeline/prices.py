"""What an image costs: the documented unit prices, overridden by settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings

from studio.wan.capabilities import get_model


def unit_price(model: str, region: str) -> Decimal | None:
    """Price of one generated image, or None where neither the documents nor settings give one."""
    override = settings.WAN_UNIT_PRICES.get(model, {}).get(region)
    if override is not None:
        try:
            return Decimal(str(override))
        except InvalidOperation:
            raise ValueError(f"WAN_UNIT_PRICES[{model!r}][{region!r}] is not a number: {override!r}") from None
    return get_model(model).unit_prices.get(region)


@dataclass(frozen=True)
class CostEstimate:
    images: int
    unit_price: Decimal | None
    currency: str

    @property
    def most(self) -> Decimal | None:
        return None if self.unit_price is None else self.unit_price * self.images


def estimate(*, model: str, region: str, n: int | None, sequential: bool) -> CostEstimate:
    """The most a request can cost: billing counts generated images, at most n of them."""
    caps = get_model(model)
    return CostEstimate(
        images=caps.max_images_billed(n=n, sequential=sequential),
        unit_price=unit_price(model, region),
        currency=caps.currency,
    )
