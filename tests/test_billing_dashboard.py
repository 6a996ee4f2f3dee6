"""The billing dashboard, reconciliation and CSV export, against a fixture computed by hand.

Prices are the documented ones (singapore): wan2.7-image 0.03 USD, wan2.7-image-pro 0.075 USD.

    day         job  who      team        model  outcome                    reported stored  cost   took
    2026-02-28  J0   alice    Lighthouse  image  succeeded (before period)    2        2     0.06   10 s
    2026-03-01  J1   alice    Lighthouse  image  succeeded                    2        2     0.06   20 s
    2026-03-01  J2   bob      Lighthouse  pro    succeeded                    4        4     0.30   40 s
    2026-03-01  J3   mallory  Harbour     image  failed DataInspectionFailed  -        0     -
    2026-03-02  J4   mallory  Harbour     pro    succeeded                    1        1     0.075  30 s
    2026-03-02  J5   alice    Lighthouse  image  expired ResultExpired        2        0     -
    2026-03-02  J6   bob      Lighthouse  image  canceled                     -        0     -
    2026-03-03  J7   alice    Lighthouse  image  partial (2 of 4)             2        2     0.06  100 s

Period 2026-03-01 – 2026-03-03: 9 images, 0.495 USD; failures 2 of 6 ended (33%); median 35 s
(20, 30, 40, 100), p95 100 s; reconciliation differs on 2026-03-02 only (J5's two lost images).
The provider's task list was never read for these days (they are long past its 24 hours), so the
provider's counts are those the jobs' polls recorded; one test adds the tasks a read would have found.
(The reconciliation against the emulator's task list is test_billing_reconciliation.py.)
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from studio.accounting.models import TeamBudget
from studio.accounts.models import Team
from studio.billing import dashboard, reconcile
from studio.billing.filters import BadFilter, parse_filters
from studio.pipeline.models import JobStatus, ProviderTask
from tests.billing_helpers import ended_job

S = JobStatus
PERIOD = {"period": "custom", "from": "2026-03-01", "to": "2026-03-03"}


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, 0))


@pytest.fixture
def jobs(alice, bob, mallory):
    return {
        "J0": ended_job(alice, created_at=at(28, month=2), seconds=10),
        "J1": ended_job(alice, created_at=at(1, 9), seconds=20),
        "J2": ended_job(bob, model="wan2.7-image-pro", n=4, created_at=at(1, 10), seconds=40),
        "J3": ended_job(mallory, status=S.FAILED, created_at=at(1, 11), error_code="DataInspectionFailed", error_message="Input data may contain inappropriate content."),
        "J4": ended_job(mallory, model="wan2.7-image-pro", n=1, created_at=at(2, 9), seconds=30),
        "J5": ended_job(alice, status=S.EXPIRED, reported=2, created_at=at(2, 10), error_code="ResultExpired", error_message="No image could be saved"),
        "J6": ended_job(bob, status=S.CANCELED, created_at=at(2, 11)),
        "J7": ended_job(alice, n=4, reported=2, created_at=at(3, 9), seconds=100, error_code="Partial", error_message="2 of 4 images were generated"),
    }


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sam", password="sam-password-1", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def numbers(**query):
    return dashboard.numbers_for(parse_filters({**PERIOD, **query}))


def rows(breakdown):
    return {(r.label, r.images, r.cost) for r in breakdown}


def test_totals_and_breakdowns_match_the_hand_computed_fixture(jobs):
    n = numbers()

    assert n.images == 9
    assert [(t.images, t.cost, t.currency) for t in n.totals] == [(9, Decimal("0.495"), "USD")]
    assert rows(n.by_model) == {("wan2.7-image", 4, Decimal("0.12")), ("wan2.7-image-pro", 5, Decimal("0.375"))}
    assert rows(n.by_team) == {("Lighthouse", 8, Decimal("0.42")), ("Harbour", 1, Decimal("0.075"))}
    assert rows(n.by_user) == {("alice", 4, Decimal("0.12")), ("bob", 4, Decimal("0.30")), ("mallory", 1, Decimal("0.075"))}
    assert [(r.label, r.images, r.cost) for r in n.by_day] == [
        ("2026-03-01", 6, Decimal("0.36")),
        ("2026-03-02", 1, Decimal("0.075")),
        ("2026-03-03", 2, Decimal("0.06")),
    ]


def test_failure_rate_reasons_and_durations_match_the_fixture(jobs):
    n = numbers()

    assert (n.succeeded, n.partial, n.failed, n.canceled, n.jobs_ended) == (4, 1, 2, 1, 6)
    assert n.failure_rate == pytest.approx(2 / 6)
    assert [(r.code, r.count) for r in n.reasons] == [("DataInspectionFailed", 1), ("ResultExpired", 1)]
    assert n.median_seconds == 35 and n.p95_seconds == 100


def test_filters_narrow_every_number(jobs, mallory):
    harbour = Team.objects.get(name="Harbour")
    n = numbers(team=str(harbour.pk))

    assert n.images == 1 and n.totals[0].cost == Decimal("0.075")
    assert n.failure_rate == pytest.approx(1 / 2)
    assert numbers(model="wan2.7-image-pro").images == 5
    assert numbers(user=str(mallory.pk)).images == 1


def test_the_chart_has_one_bar_per_day_scaled_to_the_busiest(jobs):
    chart = numbers().images_chart

    assert [b.label for b in chart.bars] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert [b.value for b in chart.bars] == ["6 images", "1 image", "2 images"]
    assert chart.bars[0].height == chart.plot_height
    assert chart.bars[2].height == pytest.approx(chart.plot_height / 3, abs=0.01)


def test_periods_are_whole_days_in_the_studio_time_zone(db):
    now = at(15, 8, month=3)

    this_month = parse_filters({}, now=now)
    last_month = parse_filters({"period": "last_month"}, now=now)
    today = parse_filters({"period": "today"}, now=now)

    assert (this_month.first_day.isoformat(), this_month.last_day.isoformat()) == ("2026-03-01", "2026-03-31")
    assert (last_month.first_day.isoformat(), last_month.last_day.isoformat()) == ("2026-02-01", "2026-02-28")
    assert today.start == at(15, 0) and today.end == at(16, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "forever"}, "period"),
        ({"period": "custom", "to": "2026-03-01"}, "from"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"from": "yesterday", "to": "2026-03-01"}, "from"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, "to"),
        ({"model": "dall-e"}, "model"),
        ({"team": "x"}, "team"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(db, query, field):
    with pytest.raises(BadFilter) as refused:
        parse_filters(query)
    assert refused.value.field == field


def test_reconciliation_highlights_the_day_images_were_lost(jobs):
    result = reconcile.reconcile(parse_filters(PERIOD))

    assert [(d.day.isoformat(), d.reported, d.stored, d.charged, d.differs) for d in result.days] == [
        ("2026-03-01", 6, 6, 6, False),
        ("2026-03-02", 3, 1, 1, True),
        ("2026-03-03", 2, 2, 2, False),
    ]
    assert [(m.job_id, m.reported, m.stored, m.charged) for m in result.mismatches] == [(jobs["J5"].pk, 2, 0, 0)]


def test_tasks_no_job_follows_count_on_the_day_they_ended(jobs):
    def task(task_id: str, job=None, *, images: int, status: str = "SUCCEEDED") -> None:
        # As a read of the provider's list and each task's usage would have recorded it.
        ProviderTask.objects.create(
            task_id=task_id, job=job, model="wan2.7-image", status=status, image_count=images,
            created_at=at(3, 9), ended_at=at(3, 10), read_at=at(3, 11),
        )

    task("stray", images=1)
    task("sent-again", jobs["J7"], images=2)
    task("failed", images=0, status="FAILED")  # costs nothing
    task(jobs["J7"].task_id, jobs["J7"], images=2)  # the one J7 follows

    result = reconcile.reconcile(parse_filters(PERIOD))

    assert [(d.day.isoformat(), d.reported, d.stored, d.charged, d.differences) for d in result.days][2] == (
        "2026-03-03", 5, 2, 2, 2
    )
    assert [(m.kind, m.job_id, m.task_id, m.reported) for m in result.mismatches[1:]] == [
        (reconcile.SECOND_TASK, jobs["J7"].pk, "sent-again", 2),
        (reconcile.UNCLAIMED_TASK, None, "stray", 1),
    ]


def test_the_reconciliation_page_marks_differences(staff, jobs):
    page = staff.get("/billing/reconciliation/", PERIOD).content.decode()

    assert "1 day with differences" in page
    assert page.count('class="differs"') == 2  # the day and the job
    assert "No image could be saved" in page
    assert "they expired before they were stored" in page
    assert "The provider&#x27;s task list has never been read." in page
    assert "2026-03-01 00:00 – 2026-03-04 00:00: never read, and tasks older than 24 hours can no longer be read" in page


def test_the_csv_export_lists_the_ledger_for_the_filters(staff, jobs):
    response = staff.get("/billing/ledger.csv", PERIOD)

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="ledger-2026-03-01-2026-03-03.csv"' in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["job"], r["user"], r["team"], r["model"], r["image_count"], r["images_stored"], r["unit_price"], r["cost"]) for r in table] == [
        (str(jobs["J1"].pk), "alice", "Lighthouse", "wan2.7-image", "2", "2", "0.03", "0.06"),
        (str(jobs["J2"].pk), "bob", "Lighthouse", "wan2.7-image-pro", "4", "4", "0.075", "0.3"),
        (str(jobs["J4"].pk), "mallory", "Harbour", "wan2.7-image-pro", "1", "1", "0.075", "0.075"),
        (str(jobs["J7"].pk), "alice", "Lighthouse", "wan2.7-image", "2", "2", "0.03", "0.06"),
    ]
    first = table[0]
    assert first["kind"] == "charge" and first["currency"] == "USD" and first["region"] == "singapore"
    assert first["task_id"] == jobs["J1"].task_id and first["request_id"] == jobs["J1"].request_id
    assert first["time"] == "2026-03-01T09:00:20+00:00"


def test_the_csv_export_follows_the_team_filter(staff, jobs):
    harbour = Team.objects.get(name="Harbour")
    body = b"".join(staff.get("/billing/ledger.csv", {**PERIOD, "team": harbour.pk}).streaming_content).decode()

    assert [r["job"] for r in csv.DictReader(io.StringIO(body))] == [str(jobs["J4"].pk)]


def test_a_name_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(staff, mallory, db):
    Team.objects.filter(name="Harbour").update(name="=HYPERLINK(1)")
    ended_job(mallory, created_at=at(2))

    body = b"".join(staff.get("/billing/ledger.csv", PERIOD).streaming_content).decode()

    assert "'=HYPERLINK(1)" in body


def test_the_dashboard_page_shows_the_numbers_and_a_drawn_chart(staff, jobs):
    page = staff.get("/billing/", PERIOD).content.decode()

    assert '<dd id="total-images">9</dd>' in page
    assert "0.495 USD" in page
    assert "33%" in page and "(2 of 6 jobs)" in page
    assert "35.0 s" in page and "100.0 s" in page
    assert page.count('<rect class="bar"') == 6  # three days, two charts
    assert "2026-03-01: 6 images" in page
    assert "/billing/ledger.csv?period=custom&amp;from=2026-03-01&amp;to=2026-03-03" in page


def test_the_dashboard_lists_team_budgets(staff, alice, lighthouse):
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("50"))

    page = staff.get("/billing/").content.decode()

    assert "Lighthouse" in page and "50.00 USD of 50.00 USD" in page


def test_a_bad_filter_is_a_400_naming_the_field(staff):
    response = staff.get("/billing/", {"period": "custom", "from": "2026-03-05", "to": "2026-03-01"})

    assert response.status_code == 400
    assert "<strong>To</strong>: must be on or after from (2026-03-05)" in response.content.decode()
    assert staff.get("/billing/ledger.csv", {"period": "forever"}).status_code == 400


@pytest.mark.parametrize("path", ["/billing/", "/billing/reconciliation/", "/billing/ledger.csv"])
def test_people_who_are_not_staff_get_403(alice_client, path):
    assert alice_client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/billing/", "/billing/reconciliation/", "/billing/ledger.csv"])
def test_anonymous_visitors_are_sent_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_admin_front_page_links_to_the_dashboard(db):
    boss = get_user_model().objects.create_superuser("boss", password="boss-password-1")
    client = Client()
    client.force_login(boss)

    page = client.get("/admin/").content.decode()

    assert '<a href="/billing/">Billing dashboard</a>' in page
    assert "Unit prices" in page and "Team budgets" in page and "Ledger entries" in page
