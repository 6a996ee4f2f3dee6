"""Which parts of a period the provider's task list was read for, and which it can still be.

Each read of the list (studio.pipeline.provider_tasks) records the window it listed whole. A part
of a period no read covers is shown on the reconciliation: there, tasks no job follows are not
known, and a job's billed count is what the studio's own poll recorded. The provider keeps tasks
24 hours, so an unread part older than that can never be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.pipeline.models import ProviderListRead
from studio.pipeline.provider_tasks import READABLE_FOR

# An unread stretch shorter than this (the moments since the last read) is not worth a warning.
SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Unread:
    start: datetime
    end: datetime
    # Still within the provider's 24 hours: reading the provider now covers it.
    readable: bool

    def __str__(self) -> str:
        span = f"{_when(self.start)} – {_when(self.end)}"
        if self.readable:
            return _("%(span)s: not read yet; read the provider now (it keeps tasks 24 hours).") % {"span": span}
        return _(
            "%(span)s: never read, and tasks older than 24 hours can no longer be read. Here a job's billed "
            "count is what the studio's poll recorded, and tasks no job follows are not known."
        ) % {"span": span}


@dataclass(frozen=True)
class ProviderCoverage:
    last_read_at: datetime | None
    unread: tuple[Unread, ...]

    @property
    def complete(self) -> bool:
        return not self.unread

    @property
    def last_read(self) -> str:
        if self.last_read_at is None:
            return _("The provider's task list has never been read.")
        return _("The provider was last read at %(when)s.") % {"when": _when(self.last_read_at)}

    def notes(self) -> list[str]:
        return [self.last_read, *(str(u) for u in self.unread)]


def provider_coverage(start: datetime, end: datetime, *, now: datetime | None = None) -> ProviderCoverage:
    """The parts of [start, end) (up to now) that no read of the task list covers."""
    now = now or timezone.now()
    end = min(end, now)
    last = ProviderListRead.objects.aggregate(at=Max("read_at"))["at"]
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    reads = ProviderListRead.objects.filter(end__gt=start, start__lt=end).order_by("start").values_list("start", "end")
    for lo, hi in reads:
        if lo - cursor > SLACK:
            gaps.append((cursor, lo))
        cursor = max(cursor, hi)
    if end - cursor > SLACK:
        gaps.append((cursor, end))
    horizon = now - READABLE_FOR
    unread: list[Unread] = []
    for lo, hi in gaps:
        # A gap across the 24-hour horizon is two: what is lost, and what can still be read.
        if lo < horizon < hi:
            unread += [Unread(lo, horizon, False), Unread(horizon, hi, True)]
        else:
            unread.append(Unread(lo, hi, lo >= horizon))
    return ProviderCoverage(last_read_at=last, unread=tuple(unread))


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
