"""Team budgets: a job that could pass the month's budget is refused before anything is sent.

Each job reserves its most (n, or the set size, times the price in force) while it is open; a
succeeded job's charge replaces its reservation, a failed or canceled one frees it.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from studio.accounting.models import TeamBudget
from studio.editor.models import Draft
from studio.pipeline.budgets import BudgetExceeded, month_of, team_budget_status
from studio.pipeline.jobs import job_cancel
from studio.pipeline.models import Job, JobStatus
from tests.billing_helpers import new_job, price, run_to_end
from tests.pipeline_helpers import make_job
from tests.test_editor_views import HTMX, form

S = JobStatus
MONTH = month_of()[0].strftime("%B")


@pytest.fixture
def priced(db):
    price("wan2.7-image", "emulator", "0.03")


def budget(team, **limits) -> TeamBudget:
    return TeamBudget.objects.create(team=team, **limits)


def test_a_job_that_fits_the_budget_is_made(alice, lighthouse, priced, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_amount=Decimal("0.10"))
    job = new_job(alice, django_capture_on_commit_callbacks, n=3)

    status = team_budget_status(lighthouse)
    assert job.status == S.QUEUED
    assert status.reserved_amount == Decimal("0.09") and status.left_amount == Decimal("0.01")


def test_a_job_that_could_pass_the_money_budget_is_refused_and_not_saved(alice, lighthouse, priced, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_amount=Decimal("0.10"))
    new_job(alice, django_capture_on_commit_callbacks, n=2)

    with pytest.raises(BudgetExceeded) as refused:
        new_job(alice, django_capture_on_commit_callbacks, n=2)

    assert refused.value.message == (
        f"This job could cost up to 0.06 USD; Lighthouse has 0.04 USD left of its 0.10 USD budget for {MONTH}."
    )
    assert Job.objects.count() == 1


def test_a_job_that_could_pass_the_image_budget_is_refused(alice, lighthouse, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_images=3)
    new_job(alice, django_capture_on_commit_callbacks, n=2)

    with pytest.raises(BudgetExceeded, match=f"could make up to 2 images; Lighthouse has 1 image left of its 3-image budget for {MONTH}"):
        new_job(alice, django_capture_on_commit_callbacks, n=2)


def test_a_sequential_set_reserves_every_frame_it_asked_for(alice, lighthouse, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_images=5)

    with pytest.raises(BudgetExceeded, match="up to 6 images"):
        new_job(alice, django_capture_on_commit_callbacks, n=6, enable_sequential=True)


def test_another_teams_spending_does_not_count(alice, mallory, lighthouse, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_images=2)
    new_job(mallory, django_capture_on_commit_callbacks, n=4)

    assert new_job(alice, django_capture_on_commit_callbacks, n=2).status == S.QUEUED


def test_a_canceled_job_releases_its_reservation(alice, lighthouse, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_images=3)
    job_cancel(job=new_job(alice, django_capture_on_commit_callbacks, n=2))

    assert team_budget_status(lighthouse).committed_images == 0
    assert new_job(alice, django_capture_on_commit_callbacks, n=3).status == S.QUEUED


def test_a_failed_job_releases_its_reservation(alice, lighthouse, priced, wired, wan, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_amount=Decimal("0.10"))
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:task_failed] x", n=3), wan, wired)

    assert job.status == S.FAILED
    assert team_budget_status(lighthouse).committed_amount == Decimal(0)


def test_a_finished_job_settles_to_what_was_generated(alice, lighthouse, priced, wired, wan, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_amount=Decimal("0.18"), monthly_images=6)
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:partial] cats", n=4), wan, wired)

    status = team_budget_status(lighthouse)
    assert job.usage_image_count == 2
    assert (status.spent_images, status.reserved_images) == (2, 0)
    assert (status.spent_amount, status.reserved_amount) == (Decimal("0.06"), Decimal(0))
    # The two images never generated are free again: a job of 4 fits exactly.
    assert new_job(alice, django_capture_on_commit_callbacks, n=4).status == S.QUEUED


def test_a_submit_without_an_answer_stays_reserved(alice, lighthouse, wired, wan, django_capture_on_commit_callbacks):
    from studio.pipeline import submit

    budget(lighthouse, monthly_images=2)
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="a cat", n=2)
    # Sent, and its answer not in yet (the worker may have died with it).
    assert submit._admit(job) == "admitted"

    # The provider may have made the task and will bill it.
    with pytest.raises(BudgetExceeded):
        new_job(alice, django_capture_on_commit_callbacks, n=1)


def test_the_warning_shows_from_the_threshold(alice, lighthouse, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_images=10, warn_at_percent=50)
    new_job(alice, django_capture_on_commit_callbacks, n=4)
    assert not team_budget_status(lighthouse).warning
    new_job(alice, django_capture_on_commit_callbacks, n=1)
    assert team_budget_status(lighthouse).warning and team_budget_status(lighthouse).used_percent == 50


@pytest.mark.django_db(transaction=True)
def test_two_submits_racing_for_the_last_slot_one_wins(alice, lighthouse, media):
    budget(lighthouse, monthly_images=3)
    make_job(alice, n=2)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def submit_one(prompt: str) -> None:
        try:
            start.wait()
            make_job(alice, prompt, n=1)
            outcomes.append("made")
        except BudgetExceeded:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_one, args=(f"racer {i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["made", "refused"]
    assert Job.objects.count() == 2
    assert team_budget_status(lighthouse).committed_images == 3


def test_the_editor_refuses_a_job_over_budget_with_a_message(alice, alice_client, lighthouse, media):
    budget(lighthouse, monthly_images=1)

    response = alice_client.post("/create/generate", form(Draft.current_for(alice), n="2"), **HTMX)

    assert response.status_code == 422
    page = response.content.decode()
    assert "Not sent" in page and "Budget" in page
    assert f"This job could make up to 2 images; Lighthouse has 1 image left of its 1-image budget for {MONTH}." in page
    assert not Job.objects.exists()


def test_the_editor_shows_what_the_team_has_left_beside_the_cost(alice, alice_client, lighthouse, priced, media, django_capture_on_commit_callbacks):
    budget(lighthouse, monthly_amount=Decimal("50"), monthly_images=100)
    new_job(alice, django_capture_on_commit_callbacks, n=4)

    page = alice_client.get("/create/").content.decode()

    assert f"Lighthouse’s budget for {MONTH}:" in page
    assert "<strong>49.88 USD</strong> left of 50.00 USD" in page
    assert "<strong>96</strong> images left of 100" in page


def test_the_editor_says_when_the_next_job_would_not_fit(alice, alice_client, lighthouse, media):
    budget(lighthouse, monthly_images=2)

    response = alice_client.post("/create/save", form(Draft.current_for(alice), n="3"), **HTMX)

    assert "not enough for this job’s most" in response.content.decode()


def test_the_editor_says_when_the_next_job_could_cost_more_than_is_left(alice, alice_client, lighthouse, priced, media):
    budget(lighthouse, monthly_amount=Decimal("0.08"))

    three = alice_client.post("/create/save", form(Draft.current_for(alice), n="3"), **HTMX).content.decode()
    two = alice_client.post("/create/save", form(Draft.current_for(alice), n="2"), **HTMX).content.decode()

    assert "not enough for this job’s most" in three
    assert "not enough for this job’s most" not in two


def test_a_team_without_a_budget_sees_no_budget_line(alice_client, media):
    assert "budget for" not in alice_client.get("/create/").content.decode()
