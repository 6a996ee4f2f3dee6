"""Team budgets: a monthly limit that a job is checked against when it is made.

What a team has committed this month is what it was charged this month (ledger entries dated
in the month) plus what its open jobs could still cost (each one's most: n, or the requested
set size, times the price in force when it was made). A job is open from creation until it
succeeds (its charge replaces its reservation, both in the transaction that marks it done) or
fails, is canceled or expires (its reservation simply stops counting). So the reservation is a
query, not a row: there is nothing to release or settle, and nothing that can drift.

A job whose submit got no answer (unknown outcome) stays reserved: a task may exist and bill.

Concurrent submits are serialised on the team's budget row (SELECT ... FOR UPDATE; SQLite's
IMMEDIATE transactions already serialise writers), so two jobs racing for the last of a
budget cannot both pass the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from studio.accounting.models import LedgerEntry, TeamBudget
from studio.accounting.money import format_money
from studio.accounting.prices import Cost, PriceBook
from studio.pipeline.models import Job, JobStatus

# Every other status may still lead to a bill.
ENDED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.EXPIRED)


class BudgetExceeded(Exception):
    """The job could cost more than its team has left this month; nothing was saved."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def job_max_cost(job: Job, book: PriceBook | None = None) -> Cost:
    """The most a job can be billed: every image it asked for, at the price when it was made."""
    book = book or PriceBook([(job.model, job.region)])
    return book.price(job.model, job.region, job.created_at).of(job.max_images_billed())


def month_of(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The calendar month around `now` in the studio's time zone: [first instant, first of next)."""
    local = timezone.localtime(now or timezone.now())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return start, nxt


@dataclass(frozen=True)
class BudgetStatus:
    budget: TeamBudget
    month: date
    spent_amount: Decimal
    spent_images: int
    reserved_amount: Decimal
    reserved_images: int

    @property
    def committed_amount(self) -> Decimal:
        return self.spent_amount + self.reserved_amount

    @property
    def committed_images(self) -> int:
        return self.spent_images + self.reserved_images

    @property
    def left_amount(self) -> Decimal | None:
        limit = self.budget.monthly_amount
        return None if limit is None else max(Decimal(0), limit - self.committed_amount)

    @property
    def left_images(self) -> int | None:
        limit = self.budget.monthly_images
        return None if limit is None else max(0, limit - self.committed_images)

    @property
    def used_percent(self) -> int:
        """The larger share of the two limits already spent or reserved, in whole percent."""
        shares = []
        if self.budget.monthly_amount is not None:
            shares.append(_share(self.committed_amount, self.budget.monthly_amount))
        if self.budget.monthly_images is not None:
            shares.append(_share(Decimal(self.committed_images), Decimal(self.budget.monthly_images)))
        return max(shares, default=0)

    @property
    def warning(self) -> bool:
        return self.used_percent >= self.budget.warn_at_percent

    @property
    def month_name(self) -> str:
        return date_format(self.month, "F")  # in the reader's language


def _share(used: Decimal, limit: Decimal) -> int:
    if limit <= 0:
        return 100
    return int(used * 100 / limit)


def budget_status(budget: TeamBudget, *, exclude_job_id: int | None = None, now: datetime | None = None) -> BudgetStatus:
    start, end = month_of(now)
    charged = LedgerEntry.objects.filter(team_id=budget.team_id, created_at__gte=start, created_at__lt=end)
    spent_images = charged.aggregate(n=Sum("image_count"))["n"] or 0
    spent_amount = charged.filter(currency=budget.currency).aggregate(c=Sum("cost"))["c"] or Decimal(0)
    open_jobs = list(
        Job.objects.filter(team_id=budget.team_id)
        .exclude(status__in=ENDED_STATUSES)
        .exclude(pk=exclude_job_id)
        .only("model", "region", "parameters", "created_at")
    )
    book = PriceBook({(j.model, j.region) for j in open_jobs})
    reserved_amount, reserved_images = Decimal(0), 0
    for job in open_jobs:
        most = job_max_cost(job, book)
        reserved_images += most.images
        if most.total is not None and most.currency == budget.currency:
            reserved_amount += most.total
    return BudgetStatus(budget, start.date(), spent_amount, spent_images, reserved_amount, reserved_images)


def team_budget_status(team) -> BudgetStatus | None:
    """The team's budget this month, or None when it has no budget."""
    budget = TeamBudget.objects.filter(team=team).select_related("team").first()
    return None if budget is None else budget_status(budget)


def job_reserve(*, job: Job) -> None:
    """Refuse a just-created job its team cannot afford; call inside the transaction that made it.

    Raises BudgetExceeded, which rolls the job back with the transaction.
    """
    if job.team_id is None:
        return
    assert connection.in_atomic_block, "job_reserve must run in the job's creating transaction"
    # The lock is held until the job commits, so the next submit for this team sees it as open.
    budget = TeamBudget.objects.select_for_update().select_related("team").filter(team_id=job.team_id).first()
    if budget is None:
        return
    status = budget_status(budget, exclude_job_id=job.pk)
    most = job_max_cost(job)
    team, month = budget.team.name, status.month_name
    # Raised while the person who asked waits: worded in their language.
    if budget.monthly_amount is not None:
        if most.total is None:
            raise BudgetExceeded(
                gettext(
                    "No price is known for %(model)s in %(region)s, so this job cannot be checked against "
                    "%(team)s's budget; an admin can add the price in the price table."
                )
                % {"model": job.model, "region": job.region, "team": team}
            )
        if most.currency != budget.currency:
            raise BudgetExceeded(
                gettext("%(model)s is priced in %(priced)s but %(team)s's budget is in %(currency)s.")
                % {"model": job.model, "priced": most.currency, "team": team, "currency": budget.currency}
            )
        if status.committed_amount + most.total > budget.monthly_amount:
            raise BudgetExceeded(
                gettext(
                    "This job could cost up to %(most)s; %(team)s has %(left)s left of its %(budget)s budget "
                    "for %(month)s."
                )
                % {
                    "most": format_money(most.total, most.currency),
                    "team": team,
                    "left": format_money(status.left_amount, budget.currency),
                    "budget": format_money(budget.monthly_amount, budget.currency),
                    "month": month,
                }
            )
    if budget.monthly_images is not None and status.committed_images + most.images > budget.monthly_images:
        could = ngettext(
            "This job could make up to %(count)s image;",
            "This job could make up to %(count)s images;",
            most.images,
        ) % {"count": most.images}
        left = ngettext(
            "%(team)s has %(count)s image left of its %(budget)s-image budget for %(month)s.",
            "%(team)s has %(count)s images left of its %(budget)s-image budget for %(month)s.",
            status.left_images,
        ) % {"team": team, "count": status.left_images, "budget": budget.monthly_images, "month": month}
        # Translators: the two halves above, joined (Chinese needs no space after "；").
        raise BudgetExceeded(gettext("%(could)s %(left)s") % {"could": could, "left": left})
