"""What /healthz reports: can this process reach each thing it depends on?

Each check answers ("ok" | "error" | "emulator", a short reason). Reasons name the kind of
failure only (an exception's class, an HTTP status): exception texts can carry connection
strings, bucket URLs or signed links, and this answer is public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import connection

from studio.pipeline import provider

# "emulator" and "skipped" (the probe's turn this second was taken) mean nothing is wrong.
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
    answer = provider.probe()
    return Check(answer.status, answer.reason)


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
