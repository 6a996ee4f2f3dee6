"""What /healthz reports: can this process reach each thing it depends on?

Each check answers ("ok" | "error" | "emulator", a short reason). Reasons name the kind of
failure only (an exception's class, an HTTP status): exception texts can carry connection
strings, bucket URLs or signed links, and this answer is public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

from studio.pipeline import provider, query_budget
from studio.wan.errors import AccountError, APIConnectionError, APIStatusError, AuthenticationError

# A health probe must answer quickly even when a dependency hangs.
PROVIDER_TIMEOUT_SECONDS = 3.0
# Asking for a task id that cannot exist costs nothing and proves the endpoint and the key. It is
# a task query all the same: it takes a slot of the account's budget, and never waits for one.
PROBE_TASK_ID = "healthz-probe-00000000"
# "skipped": every task query of this second was in use, so the provider was not asked.
HEALTHY = frozenset({"ok", "emulator", "skipped"})


@dataclass(frozen=True)
class Check:
    status: str
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason} if self.reason else {"status": self.status}


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("ok")


def broker() -> Check:
    from django_q.brokers import get_broker

    queue = get_broker()
    if queue.ping() is False:
        return Check("error", "broker did not answer the ping")
    queue.queue_size()
    return Check("ok")


def storage() -> Check:
    # A lookup of a name that is never written: one metadata request, nothing created.
    default_storage.exists("healthz/probe")
    return Check("ok")


def provider_reachable() -> Check:
    if settings.WAN_EMULATOR:
        return Check("emulator", "no DASHSCOPE_API_KEY: jobs go to the offline emulator")
    client = provider.make_client(timeout=PROVIDER_TIMEOUT_SECONDS, max_retries=0, query_wait=0.0)
    try:
        client.get_task(PROBE_TASK_ID)
    except AuthenticationError:
        return Check("error", "the provider refused the API key (401)")
    except AccountError:
        return Check("error", "the provider refused the account (403)")
    except APIConnectionError as error:
        return Check("error", f"unreachable ({type(error.__cause__ or error).__name__})")
    except APIStatusError as error:
        if query_budget.refused_here(error):
            return Check("skipped", "the account's task queries of this second are in use")
        if error.status_code is not None and 400 <= error.status_code < 500:
            return Check("ok")  # reachable; the bogus task id was refused, as expected
        return Check("error", f"the provider answered {error.status_code}")
    finally:
        client.close()
    return Check("ok")


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "broker": broker,
    "storage": storage,
    "provider": provider_reachable,
}


def report() -> tuple[bool, dict[str, dict[str, str]]]:
    """Run every check; one failing never stops the others."""
    results: dict[str, dict[str, str]] = {}
    for name, check in CHECKS.items():
        try:
            result = check()
        except Exception as error:  # noqa: BLE001 - any failure is an answer here, never a 500
            result = Check("error", type(error).__name__)
        results[name] = result.as_dict()
    return all(r["status"] in HEALTHY for r in results.values()), results
