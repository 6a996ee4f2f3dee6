"""Batches: many jobs from one request, admitted together or not at all.

`batch_create` checks every item at the gate first (a problem in any item refuses the whole
batch, each problem naming its item), then makes every job in ONE transaction through
`job_create`, the editor's own door. Each job's budget check (budgets.job_reserve) counts the
batch's earlier jobs as open, because they sit in the same transaction; so the budget is
checked for the batch as a whole, and a refusal at any job rolls every job back.

A batch is finished when its last job ends: decided in that job's final move
(studio.pipeline.batch_end, called by job_ended), which also announces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from studio.accounting.models import LedgerEntry, TeamBudget
from studio.accounting.money import format_money
from studio.accounting.prices import PriceBook
from studio.pipeline import budgets, provider
from studio.pipeline.budgets import BudgetExceeded
from studio.pipeline.gate import (
    GenerationRequest,
    Problem,
    ReferenceImage,
    RequestRefused,
    request_check,
    request_with_references,
)
from studio.pipeline.batch_end import batch_job_ended  # noqa: F401 (the service room's name for it)
from studio.pipeline.jobs import job_create, stored_parameters
from studio.pipeline.models import Batch, Job, JobStatus

# The most jobs one batch may make (the API's limit reads this; one place).
BATCH_MAX_ITEMS = 100
NAME_MAX_LENGTH = Batch._meta.get_field("name").max_length

Item = tuple[GenerationRequest, Sequence[ReferenceImage]]


@dataclass(frozen=True)
class ItemProblem:
    """A gate problem of one item: `index` counts from 0, in the order the items were given."""

    index: int
    problem: Problem

    @property
    def path(self) -> str:
        return f"items[{self.index}].{self.problem.path}"


class BatchRefused(ValueError):
    """Some items break the rules; nothing was saved. Carries every item's problems."""

    def __init__(self, problems: Sequence[ItemProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.problem.message}" for p in self.problems))


class BatchOverBudget(BudgetExceeded):
    """The batch as a whole could cost more than its team has left; no job was made.

    `needed_*` is the whole batch's most; `left_*` what the team has left (None: no such limit)."""

    def __init__(
        self,
        message: str,
        *,
        jobs: int,
        needed_amount: Decimal | None,
        needed_images: int,
        left_amount: Decimal | None,
        left_images: int | None,
        currency: str,
    ) -> None:
        super().__init__(message)
        self.jobs = jobs
        self.needed_amount = needed_amount
        self.needed_images = needed_images
        self.left_amount = left_amount
        self.left_images = left_images
        self.currency = currency


def batch_create(*, owner, team, name: str = "", items: Sequence[Item]) -> Batch:
    """Make one job per item, all or none.

    Raises ValueError for no items or more than BATCH_MAX_ITEMS (the caller words its limit
    first), BatchRefused with every item's problems, BatchOverBudget when the team's budget
    cannot cover every job (what it needed and what is left).
    """
    if not items or len(items) > BATCH_MAX_ITEMS:
        raise ValueError(f"a batch holds 1 to {BATCH_MAX_ITEMS} jobs, not {len(items)}")
    problems: list[ItemProblem] = []
    for index, (request, references) in enumerate(items):
        try:
            request_check(request_with_references(request, references))
        except RequestRefused as refused:
            problems.extend(ItemProblem(index, p) for p in refused.problems)
    if problems:
        raise BatchRefused(problems)
    try:
        with transaction.atomic():
            batch = Batch.objects.create(team=team, owner=owner, name=name[:NAME_MAX_LENGTH])
            for request, references in items:
                job_create(owner=owner, request=request, references=references, team=team, batch=batch)
    except BudgetExceeded as exceeded:
        # Everything is rolled back; say what the whole batch needed, not only the job that tipped it.
        raise _over_budget(team, items, exceeded) from exceeded
    return batch


def _over_budget(team, items: Sequence[Item], exceeded: BudgetExceeded) -> BudgetExceeded:
    budget = TeamBudget.objects.filter(team=team).select_related("team").first()
    if budget is None:
        return exceeded
    now = timezone.now()
    region = provider.region()
    # The jobs as they would have been made, unsaved: what budgets.job_max_cost reads.
    jobs = [Job(model=r.model, region=region, parameters=stored_parameters(r), created_at=now) for r, _ in items]
    book = PriceBook({(j.model, j.region) for j in jobs})
    costs = [budgets.job_max_cost(j, book) for j in jobs]
    needed_images = sum(c.images or 0 for c in costs)
    priced = all(c.total is not None and c.currency == budget.currency for c in costs)
    needed_amount = sum((c.total for c in costs), Decimal(0)) if priced else None
    status = budgets.budget_status(budget)
    parts = []
    if budget.monthly_amount is not None and needed_amount is not None:
        parts.append(
            f"could cost up to {format_money(needed_amount, budget.currency)}; {budget.team.name} has "
            f"{format_money(status.left_amount, budget.currency)} left of its "
            f"{format_money(budget.monthly_amount, budget.currency)} budget for {status.month_name}"
        )
    if budget.monthly_images is not None:
        parts.append(
            f"could make up to {needed_images} images; {budget.team.name} has {status.left_images} "
            f"left of its {budget.monthly_images}-image budget for {status.month_name}"
        )
    if parts:
        message = f"This batch of {len(items)} jobs " + ", and ".join(parts) + ". No job was made."
    else:
        message = f"{exceeded.message} No job of this batch of {len(items)} was made."
    return BatchOverBudget(
        message,
        jobs=len(items),
        needed_amount=needed_amount,
        needed_images=needed_images,
        left_amount=status.left_amount,
        left_images=status.left_images,
        currency=budget.currency,
    )


# --- the end of a batch -------------------------------------------------------------------


# --- progress -----------------------------------------------------------------------------

RUNNING_STATUSES = (JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING, JobStatus.DOWNLOADING)


@dataclass(frozen=True)
class BatchProgress:
    total: int
    queued: int
    running: int
    # Sent, but the answer never came: a person decides (the job is not ended).
    attention: int
    done: int
    failed: int
    canceled: int
    images_stored: int
    # What the ledger has charged so far, per currency (usually one).
    cost: dict[str, Decimal] = field(default_factory=dict)
    finished_at: object = None

    @property
    def ended(self) -> int:
        return self.done + self.failed + self.canceled

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def percent(self) -> int:
        return int(self.ended * 100 / self.total) if self.total else 100

    @property
    def cost_text(self) -> str:
        if not self.cost:
            return format_money(Decimal(0))
        return ", ".join(format_money(amount, currency) for currency, amount in sorted(self.cost.items()))


def batch_progress(batch: Batch) -> BatchProgress:
    """Where a batch stands: its jobs by state, the images stored and what has been charged."""
    jobs = Job.objects.filter(batch=batch)
    counts = jobs.aggregate(
        total=Count("pk"),
        queued=Count("pk", filter=Q(status=JobStatus.QUEUED)),
        running=Count("pk", filter=Q(status__in=RUNNING_STATUSES)),
        attention=Count("pk", filter=Q(status=JobStatus.UNKNOWN_OUTCOME)),
        done=Count("pk", filter=Q(status=JobStatus.SUCCEEDED)),
        # An expired job's images were lost before they could be stored: failed, for the batch.
        failed=Count("pk", filter=Q(status__in=(JobStatus.FAILED, JobStatus.EXPIRED))),
        canceled=Count("pk", filter=Q(status=JobStatus.CANCELED)),
        images_stored=Sum("images_stored"),
    )
    counts["images_stored"] = counts["images_stored"] or 0
    charged = (
        LedgerEntry.objects.filter(job__batch=batch).values("currency").annotate(total=Sum("cost")).order_by("currency")
    )
    cost = {row["currency"]: row["total"] for row in charged}
    return BatchProgress(**counts, cost=cost, finished_at=batch.finished_at)
