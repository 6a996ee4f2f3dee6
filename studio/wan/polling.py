"""When to ask about a task next.

Reference: ../shared/seeds/001_d9a1a950e8a3e4ed.txt, "Asynchronous polling": poll every 3 seconds
for the first 30 seconds, then increase the interval, to stay clear of rate limits.
"""

from __future__ import annotations

import random

FIRST_PHASE_SECONDS = 30.0
FIRST_PHASE_INTERVAL = 3.0
MAX_INTERVAL = 15.0
JITTER = 0.2


def poll_interval(elapsed: float, *, rng: random.Random | None = None) -> float:
    """Seconds until the next query of a task that has been in flight for `elapsed` seconds."""
    if elapsed < FIRST_PHASE_SECONDS:
        base = FIRST_PHASE_INTERVAL
    else:
        # Grow by a tenth of the time already waited: 3 s at 30 s, 6 s at 60 s, capped.
        base = min(MAX_INTERVAL, elapsed / 10.0)
    # Jitter spreads tasks submitted together so their queries do not arrive in bursts.
    spread = (rng or random).uniform(1.0 - JITTER, 1.0 + JITTER)
    return base * spread
