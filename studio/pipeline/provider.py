"""The one place that turns settings into a provider client. The API key never leaves here."""

from __future__ import annotations

import httpx
from django.conf import settings

from studio.wan.client import WanClient

# The region jobs record when the studio talks to its offline emulator (priced at zero).
EMULATOR_REGION = "emulator"


def api_key() -> str:
    return settings.DASHSCOPE_API_KEY or settings.WAN_EMULATOR_API_KEY


def make_client(*, timeout: float | None = None, max_retries: int = 2) -> WanClient:
    seconds = timeout or settings.WAN_TIMEOUT_SECONDS
    return WanClient(
        api_key=api_key(),
        base_url=settings.DASHSCOPE_BASE_URL,
        timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
        max_retries=max_retries,
    )


def region() -> str:
    return EMULATOR_REGION if settings.WAN_EMULATOR else settings.DASHSCOPE_REGION


def serving_region() -> str | None:
    """The provider region whose model list applies; None for the emulator, which serves all."""
    return None if settings.WAN_EMULATOR else settings.DASHSCOPE_REGION


def api_key_id() -> str:
    """A short, stable, non-reversible name for the configured key (for rows and banners)."""
    import hashlib

    return hashlib.sha256(api_key().encode()).hexdigest()[:12]
