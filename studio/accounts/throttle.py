"""Login throttling: too many failed logins for one username, or from one address, lock it out.

Counts live in Django's cache (per process with the default LocMem cache; a shared cache such
as Redis makes the count shared by every web process). A failure count starts at the first
failure and lasts WINDOW_SECONDS; reaching the limit locks the username or address for
COOLDOWN_SECONDS, whatever the password, so guessing cannot continue at full speed.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache
from django.utils.translation import ngettext

USERNAME_MAX_FAILURES = 5
# An office behind one address shares it, so the address gets more room than one account.
ADDRESS_MAX_FAILURES = 4 * USERNAME_MAX_FAILURES
WINDOW_SECONDS = 15 * 60
COOLDOWN_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    # Hashed: cache keys must be short and free of spaces, and usernames are not logged in clear.
    return f"login-throttle:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _subjects(username: str, address: str) -> list[tuple[str, int]]:
    subjects = [(_key("address", address), ADDRESS_MAX_FAILURES)] if address else []
    if username:
        subjects.append((_key("user", username.strip().casefold()), USERNAME_MAX_FAILURES))
    return subjects


def locked_seconds(username: str, address: str) -> int:
    """Seconds until a login for this username from this address is allowed again (0: now)."""
    now = time.time()
    until = max((cache.get(key + ":locked", 0) for key, _ in _subjects(username, address)), default=0)
    return max(0, math.ceil(until - now))


def record_failure(username: str, address: str) -> None:
    for key, limit in _subjects(username, address):
        cache.add(key, 0, timeout=WINDOW_SECONDS)
        try:
            failures = cache.incr(key)
        except ValueError:  # the window expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS)
            failures = 1
        if failures >= limit:
            cache.set(key + ":locked", time.time() + COOLDOWN_SECONDS, timeout=COOLDOWN_SECONDS)
            cache.delete(key)


def record_success(username: str) -> None:
    """A correct password ends the account's count (the address keeps its own)."""
    for key, _ in _subjects(username, ""):
        cache.delete(key)


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    text = ngettext(
        "Too many failed logins. Logging in is paused for %(minutes)s minute; "
        "try again then, or ask a team admin to reset your password.",
        "Too many failed logins. Logging in is paused for %(minutes)s minutes; "
        "try again then, or ask a team admin to reset your password.",
        minutes,
    )
    return text % {"minutes": minutes}
