"""The batch page in a browser: its progress refreshes by itself while jobs run and stops asking
once the batch has finished."""

from __future__ import annotations

import pytest

from studio.pipeline.batch_end import batch_job_ended
from studio.pipeline.models import Batch, Job, JobStatus
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_progress_updates_until_the_batch_finishes_then_polling_stops(browser, live_server, alice, media):
    batch = Batch.objects.create(team=alice.teams.get(), owner=alice, name="Two foxes")
    done = finished_job(alice, n=1, prompt="A fox at dawn")
    last = finished_job(alice, n=2, prompt="A fox at dusk")
    Job.objects.filter(pk=last.pk).update(status=JobStatus.RUNNING)
    Job.objects.filter(pk__in=[done.pk, last.pk]).update(batch=batch)

    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else None)
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    status = page.locator("#batch-live [role=status]")
    assert "1 of 2 jobs ended." in status.inner_text()
    assert page.locator('[data-count="running"] .stat-value').inner_text() == "1"

    Job.objects.filter(pk=last.pk).update(status=JobStatus.SUCCEEDED)
    assert batch_job_ended(last.pk)

    page.wait_for_selector('#batch-live[data-finished="true"]', timeout=10_000)
    assert "Finished on" in status.inner_text()
    assert page.locator('[data-count="done"] .stat-value').inner_text() == "2"
    assert page.get_by_role("link", name="Download all (ZIP)").is_visible()
    assert page.locator("#batch-live[hx-trigger]").count() == 0
    # Proving an absence takes time: over more than one polling period, nothing more is asked.
    asked = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == asked
    context.close()
