"""The account's task-query budget: every call to the provider's task endpoints takes a slot here.

Reference: https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks — "Rate
limit: 20 QPS per Alibaba Cloud account (includes all RAM users)"; the task list and a single
task's query both count. The studio calls those endpoints from many places (the poller, the
recovery sweep, a submit settling its lane, the decision page, the reconciliation, cancel,
/healthz, `manage.py wan generate`) in many processes on many machines, so the count lives in the
database, which every one of them shares: one row per account holding the times of its calls in
the last window, changed under a row lock. A call is made only after it took a slot, so the
account's calls never number more than WAN_TASK_QUERIES_PER_SECOND in any window of a second.

Clients from `provider.make_client()` take their slot in their transport, per HTTP attempt
(retries included), right before it is sent, so no call can skip the budget; a caller that must
not wait (/healthz) makes its client with `query_wait=0` and is refused at once. The poller takes
a batch of slots for a pass in one transaction and marks each of its calls as paid with
`paid(grant)`, so the transport does not take another (unless the call leaves too late).

A slot is held from when it is taken until its call has been answered (`release`), and only then
does its second start: the provider counts a call when it arrives, which is some time after it
was sent, and that time varies (a busy process, a slow network). Counting from the answer, which
comes after the arrival, keeps the account within its limit however late calls arrive; a slot
whose taker died before releasing it counts as held for HOLD_SECONDS.

Which keys share an account: WAN_ACCOUNT names the account the configured key belongs to. Its
default puts every key that uses this database into one account. That is the safe side: the
limit is the account's, keys of one account (RAM users, a key being rotated) are the usual case,
and mistaking two accounts for one only halves the speed, where mistaking one for two gets the
studio throttled. Calls of programs that do not share this database are not counted: lower
WAN_TASK_QUERIES_PER_SECOND to leave them room.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import connection, transaction

from studio.pipeline.models import TaskQueryWindow

# The provider counts calls when they arrive; a slot counts from when its call was answered, which
# is later (see `release`), so a second is enough; the hundredth is for clock resolution.
WINDOW_SECONDS = 1.01
# How long a call waits for a slot unless its caller says otherwise (two windows: enough for any
# slot to free, short enough for a person waiting on a page).
DEFAULT_WAIT_SECONDS = 2.0
# A slot taken for a call that leaves later than this is not trusted: the call takes a fresh one.
PAID_FRESH_SECONDS = 1.0
# A slot never released (its process died mid-call) counts as held this long after it was taken.
HOLD_SECONDS = 5.0
# How long a waiter sleeps at most between tries while slots are held by calls still under way.
HELD_RECHECK_SECONDS = 0.05
# The code of the 429 a budgeted transport answers itself when no slot frees in time.
REFUSAL_CODE = "Throttling.StudioTaskQueries"


@dataclass(frozen=True)
class Grant:
    """Slots taken at once: `count` of those asked for (0 when none was free)."""

    count: int
    # Seconds until the next slot frees, when fewer than asked were free (0 otherwise).
    retry_in: float = 0.0
    # time.monotonic() when the slots were stamped: a paid call must leave soon after.
    at: float = 0.0
    # How the held slots are written in the window (see `release`), and whose window it is.
    token: float = 0.0
    account: str = ""

    def __bool__(self) -> bool:
        return self.count > 0


def account() -> str:
    return settings.WAN_ACCOUNT


def capacity_and_window() -> tuple[int, float]:
    """Calls allowed per window, and the window in seconds: 20 per 1.01 s at the default; a rate
    under one a second becomes one call per 1/rate seconds (and the margin)."""
    rate = float(settings.WAN_TASK_QUERIES_PER_SECOND)
    capacity = max(1, math.floor(rate))
    return capacity, WINDOW_SECONDS * max(1.0, capacity / rate)


def take(*, n: int = 1, wait: float = 0.0, account_name: str | None = None) -> Grant:
    """Take up to `n` slots at once; with `wait`, wait up to that long for at least one."""
    name = account_name or account()
    deadline = time.monotonic() + wait
    while True:
        grant = _take_now(name, n)
        pause = grant.retry_in + random.uniform(0.0, 0.01)  # spread the waiters a little
        if grant or time.monotonic() + pause > deadline:
            return grant
        time.sleep(pause)


def available(*, account_name: str | None = None) -> int:
    """Slots free right now (a read without the lock: `take` decides)."""
    capacity, window = capacity_and_window()
    row = TaskQueryWindow.objects.filter(account=account_name or account()).values_list("recent", flat=True).first()
    return capacity - len(_live(row or [], _now(), window))


def release(grant: Grant) -> None:
    """The grant's calls have been answered: their slots count from now, for one window."""
    if not grant:
        return
    with transaction.atomic():
        row = TaskQueryWindow.objects.select_for_update().filter(account=grant.account).first()
        if row is None:
            return
        now = _now()
        recent, left = [], grant.count
        for stamp in row.recent:
            if left and stamp == grant.token:
                left -= 1
                continue
            recent.append(stamp)
        recent = _live(recent, now, capacity_and_window()[1]) + [now] * (grant.count - left)
        TaskQueryWindow.objects.filter(pk=row.pk).update(recent=recent)


@contextmanager
def held(*, n: int = 1, wait: float = 0.0, account_name: str | None = None) -> Iterator[Grant]:
    """Take up to `n` slots for calls made inside the block, released when it ends."""
    grant = take(n=n, wait=wait, account_name=account_name)
    try:
        yield grant
    finally:
        release(grant)


def _live(recent: list[float], now: float, window: float) -> list[float]:
    """The stamps that still take a slot: calls answered within the window (positive: when), and
    calls under way (negative: minus when their slot was taken), for at most HOLD_SECONDS."""
    return [stamp for stamp in recent if (stamp > now - window if stamp >= 0 else -stamp > now - HOLD_SECONDS)]


def _take_now(name: str, n: int) -> Grant:
    capacity, window = capacity_and_window()
    with transaction.atomic():
        row = TaskQueryWindow.objects.select_for_update().filter(account=name).first()
        if row is None:
            TaskQueryWindow.objects.get_or_create(account=name)
            row = TaskQueryWindow.objects.select_for_update().get(account=name)
        # Read after the lock: a stamp from before it could fall behind one already written.
        now, at = _now(), time.monotonic()
        recent = _live(row.recent, now, window)
        count = max(0, min(n, capacity - len(recent)))
        if count:
            TaskQueryWindow.objects.filter(pk=row.pk).update(recent=recent + [-now] * count, taken=row.taken + count)
    retry_in = 0.0 if count == n else _frees_in(recent + [-now] * count, window, now)
    return Grant(count, retry_in, at, token=-now, account=name)


def _frees_in(held: list[float], window: float, now: float) -> float:
    """Seconds until a slot frees: when the oldest answered call leaves the window, unless calls
    under way may be answered sooner (when is not known: look again shortly)."""
    if any(stamp < 0 for stamp in held):
        return HELD_RECHECK_SECONDS
    return max(0.0, min(held, default=now - window) + window - now)


def _now() -> float:
    """Seconds since the epoch, by one clock for every machine: the database server's when it
    has one (PostgreSQL); SQLite runs on the machine of every process using it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())")
            return float(cursor.fetchone()[0])
    return time.time()


# --- calls paid in advance -----------------------------------------------------------------

_paid = threading.local()


@contextmanager
def paid(grant: Grant) -> Iterator[None]:
    """The next task call of this thread uses a slot of `grant` (taken by its caller)."""
    _paid.at = grant.at
    try:
        yield
    finally:
        _paid.at = None


def _use_paid_slot() -> bool:
    at = getattr(_paid, "at", None)
    _paid.at = None
    return at is not None and time.monotonic() - at <= PAID_FRESH_SECONDS


# --- the transport ---------------------------------------------------------------------------


class BudgetedTransport(httpx.BaseTransport):
    """An httpx transport that takes a slot before every call to the task endpoints
    (`{base}/tasks`, `{base}/tasks/{id}`, `{base}/tasks/{id}/cancel`); other calls pass.

    When no slot frees within `wait` seconds it answers 429 itself, without sending: the client
    raises RateLimitError (code REFUSAL_CODE, Retry-After when the next slot frees), as for the
    provider's own throttling.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        base_url: str,
        wait: float = DEFAULT_WAIT_SECONDS,
        take: Callable[..., Grant] = take,
    ) -> None:
        self._inner = inner
        self._tasks = urlsplit(base_url).path.rstrip("/") + "/tasks"
        self._wait = wait
        self._take = take

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if (path == self._tasks or path.startswith(self._tasks + "/")) and not _use_paid_slot():
            grant = self._take(n=1, wait=self._wait)
            if not grant:
                return _refusal(request, grant.retry_in)
            try:
                response = self._inner.handle_request(request)
                # Released once answered (the headers are in): the call has certainly arrived.
                return response
            finally:
                release(grant)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _refusal(request: httpx.Request, retry_in: float) -> httpx.Response:
    capacity, window = capacity_and_window()
    return httpx.Response(
        429,
        headers={"Retry-After": f"{retry_in:.3f}"},
        json={
            "code": REFUSAL_CODE,
            "message": (
                f"Not sent: the account's {capacity} task queries per {window:g} s "
                "(WAN_TASK_QUERIES_PER_SECOND) are in use."
            ),
        },
        request=request,
    )


def refused_here(error: Exception) -> bool:
    """Whether a RateLimitError is the studio's own refusal (nothing was sent)."""
    return getattr(error, "code", None) == REFUSAL_CODE
