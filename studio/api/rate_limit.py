"""Requests per minute, per token (per user for the browser's session), in fixed one-minute windows.

Two limits: API_RATE_PER_MINUTE for every request, and the lower API_JOBS_PER_MINUTE for the
requests that create jobs (POST /jobs, POST /batches), which spend money. A refusal is a 429 in the
common error shape with Retry-After (seconds to the window's end); every answer to an authenticated
request carries RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset.
Reference: https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/ (the
RateLimit-Limit/-Remaining/-Reset fields of its earlier drafts, which clients read most widely).

Counts live in Django's cache: `cache.add` then `cache.incr` are atomic in Redis (settings use it
when REDIS_URL is set, so every web process shares the counts) and within one process in the
local-memory cache (the default: with several gunicorn workers and no Redis, each worker counts
its own requests, so a token may get up to workers × the limit).

A fixed window rather than a sliding one: one counter and one atomic increment per request; at a
window's edge a client can send up to twice the limit in a short burst, which the budget (not this
limit) is what guards against anyway.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase

from studio.api.errors import ApiError

WINDOW_SECONDS = 60
# What creates jobs: the paths under /api/v1/ whose POST spends money.
JOB_CREATING_PATHS = ("jobs", "batches")
# The clock, a name of its own so tests can hold it still at a window's start.
clock = time.time


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining), "RateLimit-Reset": str(self.reset)}


def _creates_jobs(request: HttpRequest) -> bool:
    if request.method != "POST":
        return False
    tail = request.path.rstrip("/").rsplit("/", 1)[-1]
    return request.path.startswith("/api/") and tail in JOB_CREATING_PATHS


def _count(kind: str, subject: str, limit: int, now: float) -> Quota:
    window = int(now // WINDOW_SECONDS)
    key = f"api-rate:{kind}:{subject}:{window}"
    # Kept a little past the window so a slow request still finds its counter.
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr: this request starts the window again
        cache.add(key, 1, timeout=WINDOW_SECONDS + 5)
        used = 1
    reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    return Quota(limit=limit, remaining=max(0, limit - used), reset=reset) if used <= limit else Quota(limit, -1, reset)


def admit(request: HttpRequest, subject: str) -> None:
    """Count this request for `subject` ("token:17", "user:3"); raise a 429 when over a limit.

    The quota shown in the headers is the tightest that applied (the job limit on job creation)."""
    now = clock()
    quotas = [_count("all", subject, settings.API_RATE_PER_MINUTE, now)]
    if _creates_jobs(request):
        quotas.append(_count("jobs", subject, settings.API_JOBS_PER_MINUTE, now))
    over = [q for q in quotas if q.remaining < 0]
    if over:
        quota = Quota(over[-1].limit, 0, over[-1].reset)
        request._api_quota = quota
        what = "job-creating requests" if over[-1] is not quotas[0] else "requests"
        raise ApiError(
            429,
            "rate_limited",
            f"Too many {what}: at most {quota.limit} a minute per token. Retry after {quota.reset} seconds.",
            extra={"limit": quota.limit, "retry_after": quota.reset},
            headers={"Retry-After": str(quota.reset), **quota.headers()},
        )
    request._api_quota = min(quotas, key=lambda q: q.remaining)


def with_headers(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view-mode decorator for every operation: the quota counted during authentication goes
    out as headers on whatever the operation answered (a 422 or a file too)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        response = run(request, *args, **kwargs)
        quota = getattr(request, "_api_quota", None)
        if quota is not None:
            for name, value in quota.headers().items():
                response.setdefault(name, value)
        return response

    return wrapper
