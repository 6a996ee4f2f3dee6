"""The trash: deleting hides a job; a team admin restores it, or purges it (rows and files) on purpose.

Stored originals are never removed automatically: only an admin's confirmed purge deletes a file.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studio.gallery.models import Comment, Star
from studio.pipeline import tasks
from studio.pipeline.models import Job, JobReference, OutputImage
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference



@pytest.fixture
def bobs_job(bob, media):
    return finished_job(bob, prompt="Bob's storm", n=2, references=[png_reference(480, 320, boxes=[(1, 2, 300, 200)])])


def files_of(job: Job) -> list:
    """(storage, name) of every stored file of the job: originals, thumbnails, references."""
    fields = [f for o in job.outputs.all() for f in (o.file, o.thumbnail)] + [r.file for r in job.references.all()]
    return [(f.storage, f.name) for f in fields]


def all_exist(files) -> bool:
    return all(storage.exists(name) for storage, name in files)


def trash(client, job):
    return client.post(f"/gallery/jobs/{job.pk}/delete")


def trashed(job: Job) -> Job:
    Job.objects.filter(pk=job.pk).update(deleted_at=timezone.now())
    job.refresh_from_db()
    return job


# --- deleting --------------------------------------------------------------------------------


def test_the_author_moves_a_job_to_the_trash_and_it_leaves_the_gallery(client, bob, bobs_job):
    client.force_login(bob)
    image = bobs_job.outputs.first()
    files = files_of(bobs_job)

    response = trash(client, bobs_job)

    assert response.status_code == 302 and response["Location"] == "/gallery/"
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_at is not None and bobs_job.deleted_by == bob
    assert client.get(f"/gallery/images/{image.pk}/").status_code == 404
    assert f"/gallery/images/{image.pk}/" not in client.get("/gallery/").content.decode()
    assert all_exist(files), "deleting moves to the trash; files stay"
    assert OutputImage.objects.filter(job=bobs_job).count() == 2


def test_a_team_admin_may_delete_a_teammates_job(alice_client, alice, bobs_job):
    assert trash(alice_client, bobs_job).status_code == 302
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_by == alice


@pytest.mark.parametrize("who", ["rita", "bob"])
def test_other_teammates_may_not_delete_a_job(client, request, alice, media, who):
    job = finished_job(alice, n=1)
    client.force_login(request.getfixturevalue(who))

    response = trash(client, job)

    assert response.status_code == 403
    assert "Only the person who made this job or a team admin" in response.content.decode()
    job.refresh_from_db()
    assert job.deleted_at is None


def test_another_team_gets_404_for_delete(client, mallory, bobs_job):
    client.force_login(mallory)
    assert trash(client, bobs_job).status_code == 404
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_at is None


def test_delete_is_post_only(client, bob, bobs_job):
    client.force_login(bob)
    assert client.get(f"/gallery/jobs/{bobs_job.pk}/delete").status_code == 405


# --- the trash page --------------------------------------------------------------------------


def test_a_team_admin_sees_the_trash_with_who_deleted_what(alice_client, bob, bobs_job):
    bobs_client = Client()
    bobs_client.force_login(bob)
    trash(bobs_client, bobs_job)

    page = alice_client.get("/gallery/trash/").content.decode()

    assert f"Job {bobs_job.pk}" in page and "Bob&#x27;s storm" in page
    assert "deleted by bob" in page
    assert f'action="/gallery/jobs/{bobs_job.pk}/restore"' in page
    assert f'<label for="confirm-{bobs_job.pk}">' in page


@pytest.mark.parametrize("who", ["bob", "rita"])
def test_the_trash_is_for_team_admins_only(client, request, bobs_job, who):
    trashed(bobs_job)
    client.force_login(request.getfixturevalue(who))

    response = client.get("/gallery/trash/")

    assert response.status_code == 403
    assert "Bob&#x27;s storm" not in response.content.decode()


def test_another_teams_admin_sees_only_their_own_trash(client, mallory, bobs_job):
    trashed(bobs_job)
    client.force_login(mallory)

    response = client.get("/gallery/trash/")

    assert response.status_code == 200
    assert "Bob&#x27;s storm" not in response.content.decode() and "The trash is empty" in response.content.decode()


# --- restoring -------------------------------------------------------------------------------


def test_an_admin_restores_a_job_as_it_was(alice_client, alice, bob, bobs_job):
    image = bobs_job.outputs.first()
    Comment.objects.create(image=image, author=alice, text="Keep this one")
    Star.objects.create(image=image, user=alice)
    trashed(bobs_job)

    response = alice_client.post(f"/gallery/jobs/{bobs_job.pk}/restore")

    assert response.status_code == 302 and response["Location"] == "/gallery/trash/"
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_at is None and bobs_job.deleted_by is None
    page = alice_client.get(f"/gallery/images/{image.pk}/")
    assert page.status_code == 200 and "Keep this one" in page.content.decode()
    assert Star.objects.filter(image=image, user=alice).exists()


def test_a_member_may_not_restore(client, bob, bobs_job):
    trashed(bobs_job)
    client.force_login(bob)
    assert client.post(f"/gallery/jobs/{bobs_job.pk}/restore").status_code == 403
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_at is not None


def test_another_team_gets_404_for_restore(client, mallory, bobs_job):
    trashed(bobs_job)
    client.force_login(mallory)
    assert client.post(f"/gallery/jobs/{bobs_job.pk}/restore").status_code == 404
    bobs_job.refresh_from_db()
    assert bobs_job.deleted_at is not None


def test_a_job_not_in_the_trash_cannot_be_restored_or_purged(alice_client, bobs_job):
    assert alice_client.post(f"/gallery/jobs/{bobs_job.pk}/restore").status_code == 404
    assert alice_client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": "purge"}).status_code == 404
    assert OutputImage.objects.filter(job=bobs_job).count() == 2


# --- purging ---------------------------------------------------------------------------------


def test_purge_deletes_the_rows_and_every_stored_file(alice_client, alice, bobs_job, media):
    other = finished_job(alice, prompt="Stays", n=1)
    image = bobs_job.outputs.first()
    Comment.objects.create(image=image, author=alice, text="Gone with it")
    files = files_of(bobs_job)
    assert len(files) == 5 and all_exist(files)
    trashed(bobs_job)

    response = alice_client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": "purge"})

    assert response.status_code == 302 and response["Location"] == "/gallery/trash/"
    assert not Job.objects.filter(pk=bobs_job.pk).exists()
    assert not OutputImage.objects.filter(job_id=bobs_job.pk).exists()
    assert not JobReference.objects.filter(job_id=bobs_job.pk).exists()
    assert not Comment.objects.filter(text="Gone with it").exists()
    assert not any(storage.exists(name) for storage, name in files)
    assert all_exist(files_of(other)), "another job's files are untouched"
    assert "2 images and 5 stored files deleted" in alice_client.get("/gallery/trash/").content.decode()


@pytest.mark.parametrize("confirm", ["", "yes", "delete"])
def test_purge_needs_the_confirmation_word(alice_client, bobs_job, confirm):
    files = files_of(trashed(bobs_job))

    response = alice_client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": confirm})

    assert response.status_code == 422
    assert "Confirm: type “purge”" in response.content.decode()
    assert OutputImage.objects.filter(job=bobs_job).count() == 2 and all_exist(files)


def test_a_member_may_not_purge(client, bob, bobs_job):
    files = files_of(trashed(bobs_job))
    client.force_login(bob)
    assert client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": "purge"}).status_code == 403
    assert all_exist(files) and Job.objects.filter(pk=bobs_job.pk).exists()


def test_another_team_gets_404_for_purge(client, mallory, bobs_job):
    files = files_of(trashed(bobs_job))
    client.force_login(mallory)
    assert client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": "purge"}).status_code == 404
    assert all_exist(files)


def test_a_purged_job_that_was_billed_keeps_its_row_for_the_ledger(alice_client, bobs_job):
    from studio.pipeline.ledger import job_charge

    charge = job_charge(job_id=bobs_job.pk)
    files = files_of(trashed(bobs_job))

    response = alice_client.post(f"/gallery/jobs/{bobs_job.pk}/purge", {"confirm": "purge"})

    assert response.status_code == 302
    assert not OutputImage.objects.filter(job_id=bobs_job.pk).exists()
    assert not any(storage.exists(name) for storage, name in files)
    assert Job.objects.filter(pk=bobs_job.pk).exists() and type(charge).objects.filter(pk=charge.pk).exists()
    page = alice_client.get("/gallery/trash/").content.decode()
    assert "billing record is kept" in page and f"Job {bobs_job.pk} <span" not in page


# --- never automatically ---------------------------------------------------------------------


def test_nothing_is_removed_automatically_however_long_a_job_sits_in_the_trash(bobs_job):
    files = files_of(bobs_job)
    Job.objects.filter(pk=bobs_job.pk).update(deleted_at=timezone.now() - timedelta(days=3650))

    # What the studio runs by itself: the recovery sweep (its only schedule).
    tasks.sweep()

    assert Job.objects.filter(pk=bobs_job.pk).exists()
    assert OutputImage.objects.filter(job=bobs_job).count() == 2 and JobReference.objects.filter(job=bobs_job).count() == 1
    assert all_exist(files)


def test_an_old_finished_job_outside_the_trash_keeps_its_files_too(bobs_job):
    files = files_of(bobs_job)
    long_ago = timezone.now() - timedelta(days=3650)
    Job.objects.filter(pk=bobs_job.pk).update(created_at=long_ago, finished_at=long_ago)

    tasks.sweep()

    assert all_exist(files) and OutputImage.objects.filter(job=bobs_job).count() == 2


# --- the parts other pages include -----------------------------------------------------------


def test_the_delete_button_partial_posts_to_delete_with_a_csrf_token(rf, bob, bobs_job):
    from django.template.loader import render_to_string

    html = render_to_string("gallery/_files_job_delete.html", {"job": bobs_job}, request=rf.get("/"))

    assert f'action="/gallery/jobs/{bobs_job.pk}/delete"' in html and 'name="csrfmiddlewaretoken"' in html
    assert f"Delete job {bobs_job.pk}" in html
