"""A job card while it waits and once it ends: what it says, how it polls, and Retry.

Driven through Django's test client with the htmx header, as the page's requests are. Jobs are
made through the real service (job_create) and moved along by writing their rows, as the
pipeline would leave them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.editor import job_cards
from studio.gallery import presenters as gallery_presenters
from studio.pipeline.jobs import request_for_job
from studio.pipeline.models import Job, JobStatus
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import make_job, png_reference

HTMX = {"HTTP_HX_REQUEST": "true"}
S = JobStatus


@pytest.fixture
def editor(alice_client, media):
    return alice_client


def card_html(client, job: Job, **query) -> str:
    response = client.get(f"/jobs/{job.pk}/card", query, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def version_of(html: str) -> str:
    return re.search(r'\?v=([0-9a-f]+)"', html).group(1)


def set_row(job: Job, **fields) -> Job:
    Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def failed(job: Job) -> Job:
    now = timezone.now()
    return set_row(job, status=S.FAILED, error_code="InternalError", error_message="The provider failed.", finished_at=now)


# --- while it waits -----------------------------------------------------------------------------


def test_a_queued_card_shows_a_placeholder_per_image_asked_for(editor, alice):
    job = make_job(alice, n=3)
    html = card_html(editor, job)
    assert html.count('class="placeholder') == 3
    assert "Image 3: not made yet" in html


def test_an_image_set_shows_a_placeholder_per_image_it_may_make(editor, alice):
    job = make_job(alice, enable_sequential=True, n=None)
    assert card_html(editor, job).count('class="placeholder') == job.max_images_billed() == 12


def test_placeholders_make_way_for_the_images_already_stored(editor, alice):
    job = finished_job(alice, n=1)
    set_row(job, status=S.DOWNLOADING, parameters={**job.parameters, "n": 3}, finished_at=None)
    html = card_html(editor, job)
    assert html.count('class="placeholder') == 2 and "Result 1 of job" in html
    assert "/gallery/images/" not in html, "not in the gallery until the job is done"


def test_placeholders_take_the_requested_shape(editor, alice):
    assert 'placeholder shape-tall' in card_html(editor, make_job(alice, size="1024*1536"))
    assert 'placeholder shape-wide' in card_html(editor, make_job(alice, size="1536*1024"))


def test_a_queued_card_says_how_many_jobs_are_ahead_of_it(editor, alice, bob):
    first, second = make_job(alice), make_job(bob)
    third = make_job(alice)
    make_job(alice, model="wan2.7-image-pro")  # another lane
    assert "Queued, next to be sent" in card_html(editor, first)
    set_row(second, status=S.SUBMITTING)
    assert "Queued, 2 jobs ahead" in card_html(editor, third)
    set_row(first, status=S.RUNNING)
    assert "Queued, 1 job ahead" in card_html(editor, third)


def test_each_step_is_said_in_words(editor, alice):
    job = make_job(alice)
    for status, words in [
        (S.SUBMITTING, "Sending to the provider"),
        (S.SUBMITTED, "At the provider, waiting to start"),
        (S.RUNNING, "At the provider, generating"),
        (S.DOWNLOADING, "Downloading the images"),
    ]:
        set_row(job, status=status)
        assert f'<span class="step-words">{words}</span>' in card_html(editor, job)


def test_the_elapsed_time_runs_from_when_the_job_was_made(editor, alice):
    job = set_row(make_job(alice), created_at=timezone.now() - timedelta(seconds=75))
    html = card_html(editor, job)
    assert re.search(r'data-elapsed="7[5-9]\.\d"', html)
    assert "1 min 1" in html


def test_the_estimate_is_the_median_of_the_teams_recent_durations_of_the_model(editor, alice, mallory):
    job = make_job(alice)
    assert "data-estimate-out" not in card_html(editor, job), "no history, no estimate"
    for seconds in (10, 20, 90):
        done = finished_job(alice, n=1)
        set_row(done, finished_at=done.submitted_at + timedelta(seconds=seconds))
    finished_job(mallory, n=1)  # another team's durations are not ours
    finished_job(alice, n=1, model="wan2.7-image-pro")  # nor another model's
    assert job_cards.typical_seconds(team_id=job.team_id, model=job.model) == 20
    assert "usually about 20 s once sent" in card_html(editor, job)
    set_row(job, status=S.RUNNING, submitted_at=timezone.now() - timedelta(seconds=5))
    assert re.search(r"about 1[45] s left", card_html(editor, job))
    set_row(job, submitted_at=timezone.now() - timedelta(seconds=60))
    assert "taking longer than the usual 20 s" in card_html(editor, job)


def test_an_unchanged_waiting_card_answers_an_empty_204(editor, alice):
    job = make_job(alice)
    version = version_of(card_html(editor, job))
    unchanged = editor.get(f"/jobs/{job.pk}/card", {"v": version}, **HTMX)
    assert unchanged.status_code == 204 and unchanged.content == b""
    set_row(job, status=S.SUBMITTED, attempt=job.attempt + 1, submitted_at=timezone.now())
    changed = editor.get(f"/jobs/{job.pk}/card", {"v": version}, **HTMX)
    assert changed.status_code == 200 and "At the provider" in changed.content.decode()


def test_a_waiting_card_polls_and_an_ended_one_does_not(editor, alice):
    job = make_job(alice)
    assert 'hx-trigger="every 1s"' in card_html(editor, job)
    assert "hx-trigger" not in card_html(editor, failed(job))


# --- when it ends -------------------------------------------------------------------------------


def test_a_finished_card_gives_the_image_pages_total(editor, alice):
    job = finished_job(alice, n=1)
    assert gallery_presenters.total_seconds(job) == 40.0
    assert "Took 40.0 s" in card_html(editor, job)


def test_a_result_opens_the_image_page_not_the_file(editor, alice):
    job = finished_job(alice, n=2)
    html = card_html(editor, job)
    for output in job.outputs.all():
        assert f'<a href="/gallery/images/{output.pk}/">' in html
    assert f'href="/jobs/{job.pk}/images/0.png"' not in html
    assert "placeholder" not in html


def test_a_tall_result_is_drawn_by_its_height(editor, alice):
    html = card_html(editor, finished_job(alice, n=1, image_size=(64, 96)))
    assert 'class="tall"' in html and 'width="64" height="96"' in html


# --- Retry --------------------------------------------------------------------------------------


def test_retry_queues_a_new_job_with_the_same_request(editor, alice):
    job = failed(make_job(alice, references=[png_reference(480, 320, boxes=[(10, 20, 200, 220)])], seed=77, n=2))
    response = editor.post(f"/jobs/{job.pk}/retry", **HTMX)
    assert response.status_code == 200
    new = Job.objects.exclude(pk=job.pk).get()
    assert new.status == S.QUEUED and new.owner == alice and new.team == job.team
    assert request_for_job(new) == request_for_job(job)
    html = response.content.decode()
    assert f"Sent again as <a href=\"#job-{new.pk}\">job {new.pk}</a>" in html
    assert 'hx-swap-oob="afterbegin:#jobs"' in html and f'id="job-{new.pk}"' in html
    job.refresh_from_db()
    assert job.status == S.FAILED, "the old job keeps its history"


def test_only_an_ended_job_without_images_offers_retry(editor, alice):
    job = make_job(alice)
    assert "Retry" not in card_html(editor, job)
    assert "Retry<span" not in card_html(editor, finished_job(alice, n=1))
    assert "Retry<span" in card_html(editor, failed(job))


def test_retrying_a_job_that_did_not_fail_is_refused_with_a_reason(editor, alice):
    job = finished_job(alice, n=1)
    response = editor.post(f"/jobs/{job.pk}/retry", **HTMX)
    assert response.status_code == 422
    assert "Only a failed, expired or canceled job can be retried" in response.content.decode()
    assert Job.objects.count() == 1


def test_retry_without_htmx_redirects_to_the_editor_with_a_message(editor, alice):
    job = failed(make_job(alice))
    response = editor.post(f"/jobs/{job.pk}/retry", follow=True)
    assert f"sent again as job {Job.objects.exclude(pk=job.pk).get().pk}" in response.content.decode()


def test_retry_needs_a_post(editor, alice):
    job = failed(make_job(alice))
    assert editor.get(f"/jobs/{job.pk}/retry").status_code == 405
    assert Job.objects.count() == 1


def test_another_team_cannot_retry_or_watch_a_job(client, alice, mallory, media):
    job = failed(make_job(alice))
    client.force_login(mallory)
    assert client.post(f"/jobs/{job.pk}/retry", **HTMX).status_code == 404
    assert client.get(f"/jobs/{job.pk}/card", {"v": "0"}, **HTMX).status_code == 404
    assert Job.objects.count() == 1
