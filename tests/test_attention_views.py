"""Jobs that need attention: a team admin (or staff) adopts one of the candidate tasks, sends the
job again or gives it up, and each decision is kept with who and why.

Jobs are parked the real way: a submit interrupted while another program using the same API key
made tasks of the same model, then the recovery sweep — against the emulator over HTTP.
Alice is Lighthouse's admin, Bob her teammate (a member), Mallory is in Harbour, Sam is staff.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from studio.editor.attention_views import attention_count
from studio.pipeline import recovery, submit
from studio.pipeline.models import Job, JobEvent, JobStatus
from tests.emulator_fixtures import body
from tests.pipeline_helpers import new_job

S = JobStatus


@pytest.fixture
def sam(db):
    """Sam is staff, in no team."""
    return get_user_model().objects.create_user("sam", password="sam-password-1", is_staff=True)


def browser(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def parked(alice, wan, django_capture_on_commit_callbacks) -> tuple[Job, list[str]]:
    """Alice's job whose worker died while sending it, while another program using the key made
    two tasks of the same model: the sweep cannot tell which is the job's and parks it."""
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="A lighthouse in fog")
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=S.SUBMITTING, submitting_at=now - timedelta(seconds=3), lease_until=now - timedelta(seconds=1)
    )
    tasks = [wan.submit(body(f"theirs {i}", model=job.model)).task_id for i in range(2)]
    with django_capture_on_commit_callbacks(execute=False):
        assert recovery.sweep(client=wan)["attention"] == 1
    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME and job.attention["reason"] == "ambiguous"
    assert sorted(c["task_id"] for c in job.attention["candidates"]) == sorted(tasks)
    return job, tasks


@pytest.fixture
def parked_sync(alice, wan, django_capture_on_commit_callbacks) -> Job:
    """A z-image-turbo job (synchronous only) whose answer was lost on the way back."""
    job = new_job(
        alice, django_capture_on_commit_callbacks, prompt="[fault:drop] a neon street", model="z-image-turbo", n=None, size="1024*1024"
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert submit.job_submit(job_id=job.pk, client=wan) == "unknown-outcome"
    job.refresh_from_db()
    assert job.attention["reason"] == "sync_lost"
    return job


def page_url(job: Job) -> str:
    return f"/jobs/{job.pk}/attention"


def decide(client: Client, job: Job, action: str, **data: str):
    return client.post(f"/jobs/{job.pk}/attention/{action}", data)


def actions(job: Job) -> list[tuple[str | None, str, str]]:
    return [(e.by.username if e.by else None, e.action, e.note) for e in JobEvent.objects.filter(job=job)]


DECISIONS = [("adopt", {"task_id": "x"}), ("send-again", {}), ("give-up", {})]


# --- what the page shows ----------------------------------------------------------------------


def test_the_page_lists_both_candidate_tasks_as_a_radio_group(alice, parked):
    job, tasks = parked
    response = browser(alice).get(page_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(job.error_message) in html and "A lighthouse in fog" in html and "wan2.7-image" in html
    assert "<legend>Which provider task is job" in html
    for task_id in tasks:
        assert re.search(rf'<input type="radio" id="(candidate-\d)" name="task_id" value="{task_id}">\s*<label for="\1">Task <code>{task_id}</code> · PENDING', html)
    assert '<label for="why">Why</label>' in html and 'name="note" rows="3" required' in html
    for label in ("Adopt the chosen task", "Send again", "Give up"):
        assert f">{label}</button>" in html
    assert "the job is paid twice" in html
    assert 'class="danger" formaction="/jobs/%d/attention/give-up"' % job.pk in html


def test_candidate_times_are_shown_in_the_studios_time_zone_not_the_providers(alice, parked, settings):
    job, _ = parked
    settings.TIME_ZONE = "America/New_York"
    html = browser(alice).get(page_url(job)).content.decode()
    for candidate in job.attention["candidates"]:
        created = datetime.fromisoformat(candidate["created_at"]).astimezone(ZoneInfo("America/New_York"))
        assert created.strftime("%Y-%m-%d %H:%M:%S") in html


def test_the_history_says_the_studio_parked_it(alice, parked):
    job, _ = parked
    html = browser(alice).get(page_url(job)).content.decode()
    assert "<td>the studio</td>" in html and "<td>Left for a person</td>" in html


def test_a_sync_only_job_has_no_candidates_and_offers_send_again_or_give_up(alice, parked_sync):
    html = browser(alice).get(page_url(parked_sync)).content.decode()
    assert "z-image-turbo answers synchronously, so there is no provider task to adopt" in html
    assert 'type="radio"' not in html and "Adopt the chosen task" not in html
    assert ">Send again</button>" in html and ">Give up</button>" in html


def test_a_sync_only_job_can_be_sent_again(alice, parked_sync):
    response = decide(browser(alice), parked_sync, "send-again", note="The provider shows no charge for it")
    assert response.status_code == 302
    parked_sync.refresh_from_db()
    assert parked_sync.status == S.QUEUED


# --- the three decisions ----------------------------------------------------------------------


def test_adopting_a_candidate_makes_the_job_follow_it_and_records_who_and_why(alice, parked):
    job, tasks = parked
    alices = browser(alice)
    response = decide(alices, job, "adopt", task_id=tasks[1], note="Its prompt is ours in the console")
    assert response.status_code == 302 and response["Location"] == page_url(job)
    job.refresh_from_db()
    assert (job.status, job.task_id, job.attention) == (S.SUBMITTED, tasks[1], {})
    assert actions(job)[-1] == ("alice", "adopted", f"Adopted provider task {tasks[1]}: Its prompt is ours in the console")
    page = alices.get(page_url(job)).content.decode()
    assert f"Job {job.pk} now follows provider task {tasks[1]}" in page
    assert "<td>alice</td>" in page and "<td>Adopted a provider task</td>" in page
    assert "there is nothing to decide" in page and "<form method=\"post\" action=\"/jobs/" not in page


def test_a_task_that_is_not_a_candidate_is_refused_and_nothing_changes(alice, parked):
    job, _ = parked
    response = decide(browser(alice), job, "adopt", task_id="not-a-candidate", note="I am sure")
    assert response.status_code == 400
    html = response.content.decode()
    assert escape("Task: not-a-candidate is not one of this job's candidates") in html
    assert ">I am sure</textarea>" in html
    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME and job.task_id is None
    assert [a for _, a, _ in actions(job)] == ["parked"]


def test_adopting_without_choosing_a_task_is_refused(alice, parked):
    job, _ = parked
    response = decide(browser(alice), job, "adopt", note="Either")
    assert response.status_code == 400 and "Choose one of the candidate tasks to adopt." in response.content.decode()
    assert Job.objects.get(pk=job.pk).status == S.UNKNOWN_OUTCOME


def test_sending_again_queues_the_job_and_records_it(alice, parked):
    job, _ = parked
    response = decide(browser(alice), job, "send-again", note="Neither task is ours")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == S.QUEUED and job.task_id is None
    assert actions(job)[-1] == ("alice", "resent", "Neither task is ours")


def test_giving_up_fails_the_job_with_code_given_up(alice, parked):
    job, _ = parked
    response = decide(browser(alice), job, "give-up", note="The customer no longer needs it")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.error_code) == (S.FAILED, "GivenUp")
    assert job.error_message == "Given up by alice: The customer no longer needs it"
    assert actions(job)[-1] == ("alice", "given_up", "The customer no longer needs it")


@pytest.mark.parametrize("action, data", DECISIONS, ids=[a for a, _ in DECISIONS])
def test_an_empty_why_is_refused_with_a_message_naming_the_field(alice, parked, action, data):
    job, tasks = parked
    data = {**data, "task_id": tasks[0]} if "task_id" in data else data
    response = decide(browser(alice), job, action, note="   ", **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "“Why” is required" in html
    assert 'aria-describedby="why-hint problem" aria-invalid="true"' in html
    if action == "adopt":  # what was chosen stays chosen
        assert f'value="{tasks[0]}" checked' in html
    assert Job.objects.get(pk=job.pk).status == S.UNKNOWN_OUTCOME


def test_a_decision_on_a_job_that_moved_on_meanwhile_is_a_conflict(alice, parked):
    job, _ = parked
    decide(browser(alice), job, "give-up", note="Not needed")
    response = decide(browser(alice), job, "send-again", note="Actually it is")
    assert response.status_code == 409
    html = response.content.decode()
    assert "This job is failed now; there is nothing to decide." in html
    assert Job.objects.get(pk=job.pk).status == S.FAILED


# --- who may decide ---------------------------------------------------------------------------


def test_a_teammate_who_is_not_admin_sees_the_page_read_only(bob, parked):
    job, tasks = parked
    response = browser(bob).get(page_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    assert all(task_id in html for task_id in tasks)
    assert "<form method=\"post\" action=\"/jobs/" not in html and "<button" not in html.split("<main")[1]
    assert "A team admin of Lighthouse (or staff) decides what happens to it." in html


@pytest.mark.parametrize("action, data", DECISIONS, ids=[a for a, _ in DECISIONS])
def test_a_teammate_who_is_not_admin_gets_403_on_every_decision(bob, parked, action, data):
    job, _ = parked
    assert decide(browser(bob), job, action, note="Let me", **data).status_code == 403
    assert Job.objects.get(pk=job.pk).status == S.UNKNOWN_OUTCOME and len(actions(job)) == 1


def test_another_team_gets_404_on_the_page_and_every_decision(mallory, parked):
    job, tasks = parked
    mallorys = browser(mallory)
    theirs, missing = mallorys.get(page_url(job)), mallorys.get("/jobs/999999/attention")
    assert theirs.status_code == missing.status_code == 404 and theirs.content == missing.content
    for action, data in DECISIONS:
        assert decide(mallorys, job, action, note="Mine now", **{**data, "task_id": tasks[0]}).status_code == 404
    assert Job.objects.get(pk=job.pk).status == S.UNKNOWN_OUTCOME and len(actions(job)) == 1
    assert "A lighthouse in fog" not in mallorys.get("/jobs/attention/").content.decode()


def test_staff_can_act_on_any_teams_job(sam, parked):
    job, tasks = parked
    sams = browser(sam)
    listing = sams.get("/jobs/attention/").content.decode()
    assert f'href="/jobs/{job.pk}/attention"' in listing and "<td>Lighthouse</td>" in listing
    assert decide(sams, job, "adopt", task_id=tasks[0], note="Checked with Alice").status_code == 302
    job.refresh_from_db()
    assert job.task_id == tasks[0] and actions(job)[-1][0] == "sam"


# --- where the way in is shown ------------------------------------------------------------------


def test_the_job_card_offers_decide_to_alice_and_not_to_bob(alice, bob, parked):
    job, _ = parked
    link = f'<a href="/jobs/{job.pk}/attention">Decide'
    alices, bobs = browser(alice).get(f"/jobs/{job.pk}/card").content.decode(), browser(bob).get(f"/jobs/{job.pk}/card").content.decode()
    assert link in alices and "A team admin decides what happens to it." not in alices
    assert link not in bobs and "A team admin decides what happens to it." in bobs


def test_the_navigation_links_the_list_for_deciders_only_and_only_when_there_are_any(alice, bob, parked):
    job, _ = parked
    nav = '<a href="/jobs/attention/">Needs attention (1)</a>'
    assert nav in browser(alice).get("/").content.decode()
    assert "/jobs/attention/" not in browser(bob).get("/").content.decode()
    decide(browser(alice), job, "give-up", note="Not needed")
    assert "/jobs/attention/" not in browser(alice).get("/").content.decode()


def test_the_list_shows_the_active_teams_jobs_needing_attention(alice, parked):
    job, _ = parked
    listing = browser(alice).get("/jobs/attention/").content.decode()
    assert f'<a href="/jobs/{job.pk}/attention">Job {job.pk}</a>' in listing
    assert "Several tasks could be its own" in listing and "<th scope=\"col\">Team</th>" not in listing


def test_the_navigation_count_costs_one_query_and_none_for_people_who_cannot_decide(alice, bob, parked):
    def count_for(user) -> tuple[int, list[str]]:
        request = RequestFactory().get("/")
        request.user, request.session = user, {}
        with CaptureQueriesContext(connection) as queries:
            count = attention_count(request)
        return count, [q["sql"] for q in queries]

    count, queries = count_for(alice)
    # Besides the count, only the active membership (which every page reads anyway).
    assert count == 1 and len(queries) == 2 and sum("COUNT(" in q for q in queries) == 1
    count, queries = count_for(bob)
    assert count == 0 and not any("COUNT(" in q for q in queries)


def test_the_billing_dashboard_links_the_list_for_staff(sam, parked):
    assert '<a href="/jobs/attention/">1 job needs attention</a>' in browser(sam).get("/billing/").content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_alice_decides_with_the_keyboard_alone(browser, live_server, alice, parked):
    from tests.browser import logged_in_context

    job, tasks = parked
    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    page.goto(live_server.url + page_url(job))
    group = page.get_by_role("group", name=f"Which provider task is job {job.pk}'s?")
    assert group.get_by_role("radio").count() == 2
    for name in ("Adopt the chosen task", "Send again", "Give up"):
        assert page.get_by_role("button", name=name).is_visible()

    group.get_by_role("radio").first.focus()
    page.keyboard.press("ArrowDown")  # the second task
    chosen = group.get_by_role("radio").nth(1)
    assert chosen.is_checked() and chosen.get_attribute("value") in tasks
    chosen_task = chosen.get_attribute("value")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "why"
    page.keyboard.type("The second one is ours")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # on "Adopt the chosen task"

    assert page.get_by_role("status").filter(has_text=f"now follows provider task {chosen_task}").is_visible()
    job.refresh_from_db()
    assert (job.status, job.task_id) == (S.SUBMITTED, chosen_task)
    context.close()
