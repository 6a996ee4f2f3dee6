"""The reconciliation reads the provider: its task list and each task's usage, against jobs, stored
images and the ledger. Every difference is made the real way, against the emulator over HTTP: work
done with the studio's key that no job shows, a job sent twice, images billed but never stored, a
synchronous answer that was lost. A healthy period shows nothing.

(The hand-computed fixture of past days is in test_billing_dashboard.py.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from studio.billing import reconcile as r
from studio.billing.filters import Filters
from studio.pipeline import attention, provider, submit
from studio.pipeline.jobs import body_for_job
from studio.pipeline.models import JobStatus
from studio.pipeline.provider_tasks import provider_tasks_refresh
from studio.pipeline.store import job_download
from studio.wan.client import WanClient
from tests.billing_helpers import new_job, poll, run_to_end
from tests.emulator_fixtures import body

S = JobStatus


def today() -> Filters:
    day = timezone.localdate()
    return Filters.for_period(start=day, end=day)


def read_provider(client: WanClient) -> None:
    now = timezone.now()
    assert provider_tasks_refresh(start=now - timedelta(hours=24), end=now, client=client, sleep=lambda s: None).ok


def reconciled(client: WanClient) -> r.Reconciliation:
    read_provider(client)
    return r.reconcile(today())


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sam", password="sam-password-1", is_staff=True)
    browser = Client()
    browser.force_login(user)
    return browser


def test_a_healthy_job_shows_no_difference_once_the_provider_is_read(alice, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=2), wan, wired)
    assert job.status == S.SUCCEEDED

    result = reconciled(wan)

    assert result.mismatch_count == 0 and result.mismatches == []
    [day] = result.days
    assert (day.reported, day.stored, day.charged, day.jobs, day.differs) == (2, 2, 2, 1, False)
    assert result.coverage.complete


def test_a_task_no_job_follows_is_billed_work_nobody_sees(alice, wired, wan):
    # Something else holding the studio's key (or a lost answer nobody adopted) made a task.
    task = wan.submit(body(n=3))
    wired.clock.advance(60)

    result = reconciled(wan)

    [m] = result.mismatches
    assert (m.kind, m.job_id, m.task_id, m.reported, m.stored, m.charged) == (r.UNCLAIMED_TASK, None, task.task_id, 3, 0, 0)
    assert "billed 3 images that no job shows" in m.note
    assert m.action == "If a job needs attention, adopt this task there; otherwise something else uses the studio's API key."
    [day] = result.days
    assert (day.reported, day.stored, day.charged, day.differences) == (3, 0, 0, 1)


def test_a_job_sent_twice_shows_its_second_task(alice, wired, wan, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=2)
    assert submit.job_submit(job_id=job.pk, client=wan) == "submitted"
    second = wan.submit(body_for_job(job))
    attention.remember_task(second.task_id, job=job, model=job.model, api_key_id=job.api_key_id, status=second.task_status)
    wired.clock.advance(60)
    job = poll(job, wan)
    assert job_download(job_id=job.pk) == "succeeded"

    result = reconciled(wan)

    [m] = result.mismatches
    assert (m.kind, m.job_id, m.task_id, m.reported) == (r.SECOND_TASK, job.pk, second.task_id, 2)
    assert f"A second task of job {job.pk} (sent twice): its 2 images are billed but not in the gallery" in m.note
    [day] = result.days
    assert (day.reported, day.stored, day.charged) == (4, 2, 2)


def test_images_billed_but_never_stored_are_a_difference_that_says_why(alice, start_emulator, settings, media, django_capture_on_commit_callbacks):
    instant = start_emulator(pending_seconds=0, running_seconds=0)
    settings.DASHSCOPE_BASE_URL = instant.url
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:expired_url] a cat", n=2)
    with WanClient(api_key=provider.api_key(), base_url=instant.url, sleep=lambda s: None) as client:
        submit.job_submit(job_id=job.pk, client=client)
        poll(job, client)
        assert job_download(job_id=job.pk) == "expired"
        result = reconciled(client)

    [m] = result.mismatches
    assert (m.kind, m.job_id, m.status, m.reported, m.stored, m.charged) == (r.JOB, job.pk, S.EXPIRED, 2, 0, 0)
    assert "they expired before they were stored" in m.note and "Nothing can be fetched" in m.action


def test_a_lost_synchronous_answer_may_have_been_billed(alice, wired, wan, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:drop] a neon street", model="z-image-turbo", n=None, size="1024*1024")
    assert submit.job_submit(job_id=job.pk, client=wan) == "unknown-outcome"

    [m] = reconciled(wan).mismatches
    assert (m.kind, m.job_id, m.reported) == (r.MAY_HAVE_BEEN_BILLED, job.pk, None)
    assert "may have made and billed" in m.note and "A team admin decides" in m.action

    # Given up, it stays listed: the lost call may still have been billed.
    attention.job_give_up(job=job, by=alice, note="Not needed any more")
    [m] = r.reconcile(today()).mismatches
    assert (m.kind, m.status) == (r.MAY_HAVE_BEEN_BILLED, S.FAILED)
    assert "nothing more can be done for the lost call" in m.action


def test_a_task_no_job_shows_is_left_out_of_one_teams_view(alice, lighthouse, wired, wan):
    wan.submit(body())
    wired.clock.advance(60)
    read_provider(wan)
    day = timezone.localdate()

    assert r.reconcile(Filters.for_period(start=day, end=day)).mismatch_count == 1
    assert r.reconcile(Filters.for_period(start=day, end=day, team_id=lighthouse.pk)).mismatch_count == 0


def test_days_the_provider_was_never_read_for_are_shown(db):
    day = timezone.localdate() - timedelta(days=3)

    coverage = r.reconcile(Filters.for_period(start=day, end=day)).coverage

    assert coverage.last_read_at is None and coverage.last_read == "The provider's task list has never been read."
    [unread] = coverage.unread
    assert not unread.readable and "tasks older than 24 hours can no longer be read" in str(unread)


def test_reading_the_provider_covers_the_last_24_hours_and_no_more(db, wired, wan):
    day = timezone.localdate()
    since_yesterday = Filters.for_period(start=day - timedelta(days=1), end=day)
    before = r.reconcile(since_yesterday).coverage
    assert [u.readable for u in before.unread] == [False, True]
    assert "not read yet" in str(before.unread[1])

    read_provider(wan)

    after = r.reconcile(since_yesterday).coverage
    [lost] = after.unread
    assert not lost.readable and lost.start == since_yesterday.start
    assert after.last_read.startswith("The provider was last read at ")


def test_the_page_reads_the_provider_on_demand(staff, alice, wired, wan):
    wan.submit(body(n=2))
    wired.clock.advance(60)
    page = staff.get("/billing/reconciliation/", {"period": "today"}).content.decode()
    assert "The provider&#x27;s task list has never been read." in page
    assert 'action="/billing/reconciliation/read-provider"' in page and "Read the provider now" in page

    response = staff.post("/billing/reconciliation/read-provider", {"query": "period=today"})

    assert response.status_code == 302 and response["Location"] == "/billing/reconciliation/?period=today"
    page = staff.get(response["Location"]).content.decode()
    assert "1 that no job follows" in page  # the message
    assert "The provider was last read at" in page
    assert "1 day with differences (1 difference)" in page and "billed 2 images that no job shows" in page


def test_only_staff_may_read_the_provider(alice_client, wired):
    assert alice_client.post("/billing/reconciliation/read-provider").status_code == 403
    assert alice_client.get("/billing/reconciliation/read-provider").status_code in (403, 405)


def test_the_command_exits_cleanly_when_everything_matches(alice, wired, wan, capsys, django_capture_on_commit_callbacks):
    run_to_end(new_job(alice, django_capture_on_commit_callbacks), wan, wired)

    call_command("reconcile", "--read-provider")

    out = capsys.readouterr().out
    assert "1 listed" in out and "Billed, stored and charged images match." in out


def test_the_command_lists_each_difference_and_fails(alice, wired, wan, capsys):
    task = wan.submit(body())
    wired.clock.advance(60)

    with pytest.raises(CommandError, match="1 difference "):
        call_command("reconcile", "--read-provider", "--since", timezone.localdate().isoformat())

    out = capsys.readouterr().out
    assert f"Task no job shows: task {task.task_id} (SUCCEEDED) billed 1, stored 0, charged 0." in out
    assert "What to do: If a job needs attention, adopt this task there" in out
