"""The batch pages: progress that polls until the batch has finished, every job's images linking
to the gallery, one ZIP of every stored image, and a 404 for anyone outside the team."""

from __future__ import annotations

import io
import zipfile

import pytest

from studio.pipeline.batch_end import batch_job_ended
from studio.pipeline.models import Batch, Job, JobStatus
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import new_job

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def batch(alice, lighthouse, media, django_capture_on_commit_callbacks):
    """Three jobs: two done (2 and 3 images), one still queued."""
    batch = Batch.objects.create(team=lighthouse, owner=alice, name="Harbour series")
    done = [finished_job(alice, prompt=f"Lighthouse {n}", n=n) for n in (2, 3)]
    waiting = new_job(alice, django_capture_on_commit_callbacks, prompt="Lighthouse, still queued")
    Job.objects.filter(pk__in=[j.pk for j in [*done, waiting]]).update(batch=batch)
    return batch


def test_the_page_shows_progress_and_links_each_image_to_the_gallery(alice_client, batch):
    page = alice_client.get(f"/batches/{batch.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Harbour series" in html and "2 of 3 jobs ended." in html
    assert 'hx-trigger="every 2s"' in html
    for output in Job.objects.get(prompt="Lighthouse 3").outputs.all():
        assert f'href="/gallery/images/{output.pk}/"' in html
    assert f'href="/batches/{batch.pk}/images.zip"' in html


def test_polling_answers_the_progress_until_the_batch_finishes_then_stops(alice_client, batch):
    running = alice_client.get(f"/batches/{batch.pk}/", **HTMX)
    assert running.status_code == 200 and 'id="batch-live"' in running.content.decode()
    assert "<html" not in running.content.decode()

    last = Job.objects.get(status=JobStatus.QUEUED)
    Job.objects.filter(pk=last.pk).update(status=JobStatus.CANCELED)
    assert batch_job_ended(last.pk)

    finished = alice_client.get(f"/batches/{batch.pk}/", **HTMX)
    # 286: htmx swaps in the finished state and stops polling (django-htmx's HttpResponseStopPolling).
    assert finished.status_code == 286
    body = finished.content.decode()
    assert "Finished on" in body and "hx-trigger" not in body


def test_the_zip_holds_every_stored_image_of_the_batch(alice_client, batch):
    answer = alice_client.get(f"/batches/{batch.pk}/images.zip")

    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    assert f"wan-batch-{batch.pk}.zip" in answer["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    images = sorted(n for n in archive.namelist() if n.endswith(".png"))
    assert len(images) == 5 and "manifest.json" in archive.namelist()


def test_the_list_shows_the_teams_batches(alice_client, batch):
    page = alice_client.get("/batches/")
    assert page.status_code == 200
    assert f'href="/batches/{batch.pk}/"' in page.content.decode() and "2 / 3" in page.content.decode()


def test_a_teammate_sees_the_batch(client, bob, batch):
    client.force_login(bob)
    assert client.get(f"/batches/{batch.pk}/").status_code == 200


@pytest.mark.parametrize("suffix", ["", "images.zip"])
def test_another_team_gets_404(client, mallory, batch, suffix):
    client.force_login(mallory)
    assert client.get(f"/batches/{batch.pk}/{suffix}").status_code == 404
    assert f"/batches/{batch.pk}/" not in client.get("/batches/").content.decode()


def test_the_pages_need_a_login(client, batch):
    assert client.get(f"/batches/{batch.pk}/").status_code == 302
