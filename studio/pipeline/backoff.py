"""How long a job waits before its next try after a transient error."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(attempt: int, *, base: float = 2.0, cap: float = 120.0) -> timedelta:
    """Exponential backoff with full jitter: workers hit by the same outage do not retry together."""
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** max(0, attempt - 1))) + 0.5)
