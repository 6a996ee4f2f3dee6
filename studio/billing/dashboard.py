"""The dashboard's numbers for one set of filters: what was charged, what failed, how long jobs took.

Money and images come from the ledger (entries dated in the period); failure rates and
durations from the jobs that ended in the period. Sums are done by the database; each
breakdown keeps currencies apart, since amounts in two currencies never add up.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounting.models import LedgerEntry
from studio.billing import chart
from studio.billing.filters import Filters
from studio.pipeline.models import Job, JobStatus

S = JobStatus
# Jobs that ended in the period, and which of them count as failures. Canceled jobs were a
# person's choice, and "needs attention" ones are not decided yet: neither is a failure.
FAILURES = (S.FAILED, S.EXPIRED)
ATTEMPTS = (S.SUCCEEDED, S.FAILED, S.EXPIRED)


@dataclass(frozen=True)
class Row:
    label: str
    images: int
    cost: Decimal
    currency: str
    entries: int = 0


@dataclass(frozen=True)
class Reason:
    code: str
    count: int
    example: str


@dataclass
class Numbers:
    filters: Filters
    images: int = 0
    # One per currency (usually just one).
    totals: list[Row] = field(default_factory=list)
    by_model: list[Row] = field(default_factory=list)
    by_team: list[Row] = field(default_factory=list)
    by_user: list[Row] = field(default_factory=list)
    by_day: list[Row] = field(default_factory=list)
    unpriced_images: int = 0
    jobs_ended: int = 0
    succeeded: int = 0
    partial: int = 0
    failed: int = 0
    canceled: int = 0
    failure_rate: float | None = None
    reasons: list[Reason] = field(default_factory=list)
    median_seconds: float | None = None
    p95_seconds: float | None = None
    images_chart: chart.BarChart | None = None
    cost_chart: chart.BarChart | None = None


def ledger_entries(filters: Filters) -> QuerySet[LedgerEntry]:
    """The ledger entries the filters select, oldest first (the CSV export uses the same)."""
    return _narrow(LedgerEntry.objects.all(), filters, when="created_at", user="user_id").order_by("created_at", "id")


def ended_jobs(filters: Filters) -> QuerySet[Job]:
    """Jobs that finished in the period (whatever the outcome), under the same filters."""
    return _narrow(Job.objects.all(), filters, when="finished_at", user="owner_id")


def _narrow(qs: QuerySet, filters: Filters, *, when: str, user: str) -> QuerySet:
    qs = qs.filter(**{f"{when}__gte": filters.start, f"{when}__lt": filters.end})
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.model is not None:
        qs = qs.filter(model=filters.model)
    if filters.user_id is not None:
        qs = qs.filter(**{user: filters.user_id})
    return qs


def numbers_for(filters: Filters) -> Numbers:
    numbers = Numbers(filters)
    entries = ledger_entries(filters)
    numbers.totals = _group(entries, None, lambda _key: _("Total"))
    numbers.images = sum(row.images for row in numbers.totals)
    numbers.by_model = _group(entries, "model", str)
    numbers.by_team = _group(entries, "team__name", lambda name: name or _("(no team)"))
    numbers.by_user = _group(entries, "user__username", str)
    numbers.unpriced_images = entries.filter(unit_price__isnull=True).aggregate(n=Sum("image_count"))["n"] or 0
    numbers.by_day = _by_day(entries, filters)
    _job_numbers(numbers, ended_jobs(filters))
    # The chart shows the main currency's cost; images are counted whatever the currency.
    currency = numbers.totals[0].currency if numbers.totals else "USD"
    images: dict[str, Decimal] = {}
    cost: dict[str, Decimal] = {}
    for row in numbers.by_day:
        images[row.label] = images.get(row.label, Decimal(0)) + row.images
        cost[row.label] = cost.get(row.label, Decimal(0)) + (row.cost if row.currency in (currency, "") else 0)
    numbers.images_chart = chart.bar_chart(list(images.items()), title=_("Images per day"), unit="images")
    numbers.cost_chart = chart.bar_chart(list(cost.items()), title=_("Cost per day (%(currency)s)") % {"currency": currency}, unit=currency)
    return numbers


def _group(entries: QuerySet[LedgerEntry], key: str | None, label) -> list[Row]:
    keys = [key, "currency"] if key else ["currency"]
    rows = (
        entries.order_by()
        .values(*keys)
        .annotate(images=Sum("image_count"), cost=Sum("cost"), entries=Count("id"))
        .order_by("-cost", "-images", *keys)
    )
    return [
        Row(label(r[key] if key else None), r["images"] or 0, r["cost"] or Decimal(0), r["currency"], r["entries"])
        for r in rows
    ]


def _by_day(entries: QuerySet[LedgerEntry], filters: Filters) -> list[Row]:
    """One row per day of the period, zero where nothing was charged (in the main currency)."""
    sums = (
        entries.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "currency")
        .annotate(images=Sum("image_count"), cost=Sum("cost"), entries=Count("id"))
    )
    found: dict[date, list[Row]] = {}
    for r in sums:
        found.setdefault(r["day"], []).append(
            Row(r["day"].isoformat(), r["images"] or 0, r["cost"] or Decimal(0), r["currency"], r["entries"])
        )
    rows: list[Row] = []
    for day in filters.days:
        rows.extend(found.get(day) or [Row(day.isoformat(), 0, Decimal(0), "", 0)])
    return rows


def _job_numbers(numbers: Numbers, jobs: QuerySet[Job]) -> None:
    statuses = Counter(dict(jobs.order_by().values_list("status").annotate(n=Count("id"))))
    numbers.succeeded = statuses[S.SUCCEEDED]
    numbers.failed = sum(statuses[s] for s in FAILURES)
    numbers.canceled = statuses[S.CANCELED]
    numbers.jobs_ended = sum(statuses[s] for s in ATTEMPTS)
    numbers.partial = jobs.filter(status=S.SUCCEEDED, error_code="Partial").count()
    if numbers.jobs_ended:
        numbers.failure_rate = numbers.failed / numbers.jobs_ended
    reasons = (
        jobs.filter(status__in=FAILURES)
        .order_by()
        .values("error_code")
        .annotate(count=Count("id"))
        .order_by("-count", "error_code")
    )
    numbers.reasons = [
        Reason(
            r["error_code"] or "(none)",
            r["count"],
            jobs.filter(status__in=FAILURES, error_code=r["error_code"]).values_list("error_message", flat=True).first()
            or "",
        )
        for r in reasons
    ]
    durations = sorted(
        (finished - created).total_seconds()
        for created, finished in jobs.filter(status=S.SUCCEEDED).values_list("created_at", "finished_at")
    )
    if durations:
        numbers.median_seconds = statistics.median(durations)
        numbers.p95_seconds = percentile(durations, 95)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below it."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
