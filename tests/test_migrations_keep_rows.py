"""An installation made before the money tables moved to studio.accounting keeps every row.

The database is taken back to the migrations that came before the move (billing's first, no
accounting), filled through the models of that time — a team, its budget, a price, a job with
its images, its charge and a correction, a permission granted on the budgets — and migrated
forward. Everything is then found through today's models, under the same ids. A migration
that dropped and re-created a table would lose these rows and fail here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from studio.accounting import prices
from studio.accounting.models import EntryKind, LedgerEntry, TeamBudget, UnitPrice
from studio.pipeline.budgets import team_budget_status
from studio.pipeline.models import Job

# The apps the move touched, at their last migration before it.
BEFORE_THE_MOVE = [("billing", "0001_initial"), ("accounting", None)]
PRICED_FROM = datetime(2026, 1, 1, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # A new loader: the old one still believes what was applied before this migrate.
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move(transactional_db):
    """The models as they were before the move; the database goes back to today's afterwards."""
    executor = migrate(BEFORE_THE_MOVE)
    untouched = [node for node in latest() if node[0] not in ("billing", "accounting")]
    yield executor.loader.project_state([*untouched, ("billing", "0001_initial")]).apps
    migrate(latest())
    ContentType.objects.clear_cache()


def test_a_database_made_before_the_move_keeps_every_row(before_the_move):
    old = before_the_move
    assert not old.is_installed("studio.accounting")
    User, Team = old.get_model("auth", "User"), old.get_model("accounts", "Team")
    OldJob, OldImage = old.get_model("pipeline", "Job"), old.get_model("pipeline", "OutputImage")
    OldPrice, OldBudget = old.get_model("billing", "UnitPrice"), old.get_model("billing", "TeamBudget")
    OldEntry = old.get_model("billing", "LedgerEntry")
    OldContentType, Permission = old.get_model("contenttypes", "ContentType"), old.get_model("auth", "Permission")

    alice = User.objects.create(username="alice", is_staff=True)
    team = Team.objects.create(name="Lighthouse")
    budget = OldBudget.objects.create(team=team, monthly_amount=Decimal("10"), monthly_images=100)
    price = OldPrice.objects.create(
        model="wan2.7-image", region="singapore", amount=Decimal("0.03"), effective_from=PRICED_FROM
    )
    job = OldJob.objects.create(
        owner=alice, team=team, model="wan2.7-image", prompt="A lighthouse at dawn", region="singapore",
        status="succeeded", task_id="task-1", usage_image_count=2, images_stored=2,
        result_urls=["https://example.com/0.png", "https://example.com/1.png"],
    )
    for index in (0, 1):
        OldImage.objects.create(
            job=job, index=index, file=f"outputs/{job.pk}/{index}.png", width=1024, height=1024,
            byte_size=1000, sha256="0" * 64, source_url=job.result_urls[index],
        )
    charge = OldEntry.objects.create(
        kind="charge", job=job, team=team, user=alice, model=job.model, region=job.region, image_count=2,
        images_stored=2, unit_price=Decimal("0.03"), cost=Decimal("0.06"), task_id="task-1",
    )
    correction = OldEntry.objects.create(
        kind="correction", job=job, team=team, user=alice, model=job.model, region=job.region, image_count=-1,
        unit_price=Decimal("0.03"), cost=Decimal("-0.03"), note="Provider credited one image", created_by=alice,
    )
    budgets_type = OldContentType.objects.get(app_label="billing", model="teambudget")
    alice.user_permissions.add(Permission.objects.get(content_type=budgets_type, codename="change_teambudget"))

    migrate(latest())
    ContentType.objects.clear_cache()

    assert Job.objects.get(pk=job.pk).outputs.count() == 2
    assert UnitPrice.objects.get(pk=price.pk).amount == Decimal("0.03")
    assert prices.price_of("wan2.7-image", "singapore").source == "table"
    found = TeamBudget.objects.get(pk=budget.pk)
    assert (found.team_id, found.monthly_amount, found.monthly_images) == (team.pk, Decimal("10"), 100)
    assert team_budget_status(found.team) is not None
    entries = LedgerEntry.objects.filter(job_id=job.pk).order_by("pk")
    assert [(e.pk, e.kind, e.image_count, e.cost) for e in entries] == [
        (charge.pk, EntryKind.CHARGE, 2, Decimal("0.06")),
        (correction.pk, EntryKind.CORRECTION, -1, Decimal("-0.03")),
    ]
    # The admin's content type is the old one, renamed, so granted permissions still hold.
    assert ContentType.objects.get_for_model(TeamBudget).pk == budgets_type.pk
    assert get_user_model().objects.get(pk=alice.pk).has_perm("accounting.change_teambudget")
