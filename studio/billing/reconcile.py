"""Reconciliation: what the provider reported, what we stored and what we charged, per day.

For every job that ended in the period (grouped by the day it ended): the provider's
usage.image_count, the OutputImage rows we hold, and the images on its ledger entries. On a
healthy day the three are equal. Stored below reported means images were lost (e.g. a result
URL expired before it was downloaded: the provider bills those, the ledger does not);
a ledger that disagrees with the provider means a bug in billing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from studio.billing.dashboard import ended_jobs
from studio.billing.filters import Filters
from studio.billing.models import LedgerEntry
from studio.pipeline.models import OutputImage

# Mismatched jobs listed under the table; the day rows always count them all.
MAX_LISTED = 200


@dataclass(frozen=True)
class Day:
    day: date
    reported: int
    stored: int
    charged: int
    jobs: int

    @property
    def differs(self) -> bool:
        return not (self.reported == self.stored == self.charged)


@dataclass(frozen=True)
class Mismatch:
    job_id: int
    status: str
    team: str
    owner: str
    finished_at: object
    reported: int | None
    stored: int
    charged: int
    note: str


@dataclass(frozen=True)
class Reconciliation:
    days: list[Day]
    mismatches: list[Mismatch]
    mismatch_count: int

    @property
    def differing_days(self) -> int:
        return sum(1 for d in self.days if d.differs)


def reconcile(filters: Filters) -> Reconciliation:
    stored = (
        OutputImage.objects.filter(job=OuterRef("pk")).order_by().values("job").annotate(c=Count("id")).values("c")
    )
    charged = (
        LedgerEntry.objects.filter(job=OuterRef("pk")).order_by().values("job").annotate(c=Sum("image_count")).values("c")
    )
    jobs = (
        ended_jobs(filters)
        .annotate(
            stored_n=Coalesce(Subquery(stored, output_field=IntegerField()), Value(0)),
            charged_n=Coalesce(Subquery(charged, output_field=IntegerField()), Value(0)),
        )
        # Jobs that never produced an image and were never charged have nothing to reconcile.
        .filter(Q(usage_image_count__isnull=False) | Q(stored_n__gt=0) | ~Q(charged_n=0))
        .values_list(
            "pk", "status", "team__name", "owner__username", "finished_at",
            "usage_image_count", "stored_n", "charged_n", "error_message",
        )
        .order_by("finished_at", "pk")
    )
    days: dict[date, list[int]] = {}
    mismatches: list[Mismatch] = []
    count = 0
    for pk, status, team, owner, finished_at, reported, stored_n, charged_n, message in jobs:
        day = timezone.localtime(finished_at).date()
        sums = days.setdefault(day, [0, 0, 0, 0])
        sums[0] += reported or 0
        sums[1] += stored_n
        sums[2] += charged_n
        sums[3] += 1
        if not ((reported or 0) == stored_n == charged_n):
            count += 1
            if len(mismatches) < MAX_LISTED:
                mismatches.append(
                    Mismatch(pk, status, team or "", owner, finished_at, reported, stored_n, charged_n, message)
                )
    return Reconciliation(
        days=[Day(day, *days[day]) for day in sorted(days)],
        mismatches=mismatches,
        mismatch_count=count,
    )
