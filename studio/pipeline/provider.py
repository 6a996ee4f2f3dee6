"""The one place that turns settings into a provider client. The API key never leaves here."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx
from django.conf import settings

# The emulator's region is priced at zero, so its name lives with the prices.
from studio.accounting.prices import EMULATOR_REGION
from studio.pipeline import query_budget
from studio.wan.client import DEFAULT_LIMITS, WanClient
from studio.wan.errors import AccountError, APIConnectionError, APIStatusError, AuthenticationError


def api_key() -> str:
    return settings.DASHSCOPE_API_KEY or settings.WAN_EMULATOR_API_KEY


def make_client(
    *, timeout: float | None = None, max_retries: int = 2, query_wait: float = query_budget.DEFAULT_WAIT_SECONDS
) -> WanClient:
    """A client whose every call to the task endpoints (retries too) first takes a slot of the
    account's task-query budget, waiting up to `query_wait` seconds for one."""
    seconds = timeout or settings.WAN_TIMEOUT_SECONDS
    transport = query_budget.BudgetedTransport(_connections(), base_url=settings.DASHSCOPE_BASE_URL, wait=query_wait)
    return WanClient(
        api_key=api_key(),
        base_url=settings.DASHSCOPE_BASE_URL,
        timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
        max_retries=max_retries,
        transport=transport,
    )


def _connections() -> httpx.HTTPTransport:
    """The connection pool under the budget. Given a transport of its own, httpx makes none with
    the client's limits and reads no HTTP(S)_PROXY / NO_PROXY: both are done here instead."""
    parts = urlsplit(settings.DASHSCOPE_BASE_URL)
    proxies = urllib.request.getproxies()
    proxy = None if urllib.request.proxy_bypass(parts.hostname or "") else proxies.get(parts.scheme) or proxies.get("all")
    return httpx.HTTPTransport(limits=DEFAULT_LIMITS, proxy=proxy)


def region() -> str:
    return EMULATOR_REGION if settings.WAN_EMULATOR else settings.DASHSCOPE_REGION


def serving_region() -> str | None:
    """The provider region whose model list applies; None for the emulator, which serves all."""
    return None if settings.WAN_EMULATOR else settings.DASHSCOPE_REGION


def api_key_id() -> str:
    """A short, stable, non-reversible name for the configured key (for rows and banners)."""
    import hashlib

    return hashlib.sha256(api_key().encode()).hexdigest()[:12]


# A probe must answer quickly even when the provider hangs (it backs /healthz).
PROBE_TIMEOUT_SECONDS = 3.0
# Asking for a task id that cannot exist costs nothing and proves the endpoint and the key. It is
# a task query all the same: it takes a slot of the account's budget, and never waits for one.
PROBE_TASK_ID = "healthz-probe-00000000"

# "skipped": every task query of this second was in use, so the provider was not asked.
ProbeStatus = Literal["ok", "error", "emulator", "skipped"]


@dataclass(frozen=True)
class Probe:
    """Can this process reach the provider with its key? The reason names the kind of failure
    only (an exception's class, an HTTP status): exception texts can carry the base URL, and
    /healthz shows this answer to anyone."""

    status: ProbeStatus
    reason: str = ""


def probe(*, timeout: float = PROBE_TIMEOUT_SECONDS) -> Probe:
    if settings.WAN_EMULATOR:
        return Probe("emulator", "no DASHSCOPE_API_KEY: jobs go to the offline emulator")
    client = make_client(timeout=timeout, max_retries=0, query_wait=0.0)
    try:
        client.get_task(PROBE_TASK_ID)
    except AuthenticationError:
        return Probe("error", "the provider refused the API key (401)")
    except AccountError:
        return Probe("error", "the provider refused the account (403)")
    except APIConnectionError as error:
        return Probe("error", f"unreachable ({type(error.__cause__ or error).__name__})")
    except APIStatusError as error:
        if query_budget.refused_here(error):
            return Probe("skipped", "the account's task queries of this second are in use")
        if error.status_code is not None and 400 <= error.status_code < 500:
            return Probe("ok")  # reachable; the bogus task id was refused, as expected
        return Probe("error", f"the provider answered {error.status_code}")
    finally:
        client.close()
    return Probe("ok")
