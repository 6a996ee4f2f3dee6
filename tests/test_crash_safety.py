"""Paid work under crashes, one defect at a time: interrupted submits are always matched to their
task (or proven to have none), stale sweeps cannot undo newer work, and a store killed half-way
leaves no second file. The emulator runs over HTTP with a hand-moved clock; a crash is the row a
killed worker leaves behind.

The whole scenario, with real clusters SIGKILLed many times, is tests/test_crash_trial.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from studio.pipeline import recovery, submit
from studio.pipeline.jobs import body_for_job
from studio.pipeline.models import Job, JobStatus, Lease, ProviderTask
from studio.pipeline.store import job_download
from studio.wan.client import WanClient
from tests.pipeline_helpers import new_job, poll

S = JobStatus


@pytest.fixture
def client(wan):
    # These tests call the studio's client `client` (in place of pytest-django's test client).
    return wan


def crash_while_sending(job: Job, wan: WanClient, *, lease_expired: bool = True) -> str:
    """What a worker killed after its POST reached the provider leaves: a task at the provider,
    the job still `submitting` with no task id, and (after a while) its lease run out."""
    assert submit._admit(job) == "admitted"
    task = wan.submit(body_for_job(job))
    if lease_expired:
        Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    return task.task_id


def status(job: Job) -> str:
    job.refresh_from_db()
    return job.status


def test_a_second_job_of_one_model_waits_while_the_first_submit_is_unanswered(alice, wired, client, django_capture_on_commit_callbacks):
    first = new_job(alice, django_capture_on_commit_callbacks, prompt="first")
    second = new_job(alice, django_capture_on_commit_callbacks, prompt="second")
    # Its answer is still awaited (the worker may be alive): nothing else of the model is sent.
    crash_while_sending(first, client, lease_expired=False)

    assert submit.job_submit(job_id=second.pk, client=client) == "lane-busy"
    assert status(second) == S.QUEUED and wired.stats()["tasks_created"] == 1


def test_a_job_waiting_behind_an_interrupted_submit_settles_it_and_goes_ahead(alice, wired, client, django_capture_on_commit_callbacks):
    first = new_job(alice, django_capture_on_commit_callbacks, prompt="first")
    second = new_job(alice, django_capture_on_commit_callbacks, prompt="second")
    first_task = crash_while_sending(first, client)

    with django_capture_on_commit_callbacks(execute=False):
        assert submit.job_submit(job_id=second.pk, client=client) == "submitted"

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.task_id) == (S.SUBMITTED, first_task)
    assert second.status == S.SUBMITTED and second.task_id != first_task
    assert wired.stats()["tasks_created"] == 2


def test_another_model_has_its_own_lane(alice, wired, client, django_capture_on_commit_callbacks):
    first = new_job(alice, django_capture_on_commit_callbacks, prompt="first")
    other = new_job(alice, django_capture_on_commit_callbacks, prompt="other", model="wan2.7-image-pro")
    crash_while_sending(first, client)

    assert submit.job_submit(job_id=other.pk, client=client) == "submitted"


def test_two_interrupted_submits_of_one_model_are_both_matched_to_their_own_tasks(alice, wired, client, django_capture_on_commit_callbacks):
    first = new_job(alice, django_capture_on_commit_callbacks, prompt="first")
    second = new_job(alice, django_capture_on_commit_callbacks, prompt="second")
    first_task = crash_while_sending(first, client)
    with django_capture_on_commit_callbacks(execute=False):
        assert recovery.sweep(client=client)["adopted"] == 1
        second_task = crash_while_sending(second, client)
        assert recovery.sweep(client=client)["adopted"] == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.task_id) == (S.SUBMITTED, first_task)
    assert (second.status, second.task_id) == (S.SUBMITTED, second_task)
    assert wired.stats()["tasks_created"] == 2


def test_a_submit_that_made_no_task_is_sent_again_once_its_answer_cannot_come(alice, wired, client, settings, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit._admit(job) == "admitted"
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=False):
        # The answer could still be on its way: nothing is decided yet, and the lane stays closed.
        assert recovery.sweep(client=client)["waiting"] == 1
        assert status(job) == S.SUBMITTING
        began = timezone.now() - timedelta(seconds=settings.WAN_LEASE_SECONDS + 1)
        Job.objects.filter(pk=job.pk).update(submitting_at=began, lease_until=began)
        assert recovery.sweep(client=client)["resent"] == 1
    assert status(job) == S.QUEUED and wired.stats()["tasks_created"] == 0
    assert [e.action for e in job.events.all()] == ["resent"]


def test_tasks_the_studio_cannot_tell_apart_are_left_for_a_person_and_free_the_lane(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="ours")
    later = new_job(alice, django_capture_on_commit_callbacks, prompt="later")
    crash_while_sending(job, client)
    # Another program using the same key sends a task of the same model meanwhile.
    foreign = client.submit({**body_for_job(job), "input": {"messages": [{"role": "user", "content": [{"text": "theirs"}]}]}})

    with django_capture_on_commit_callbacks(execute=False):
        assert recovery.sweep(client=client)["attention"] == 1
    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME and job.attention["reason"] == "ambiguous"
    assert foreign.task_id in {c["task_id"] for c in job.attention["candidates"]}
    assert len(job.attention["candidates"]) == 2
    assert "2 tasks of wan2.7-image" in job.error_message and "A team admin can adopt" in job.error_message
    # Parked, it no longer holds the lane.
    assert submit.job_submit(job_id=later.pk, client=client) == "submitted"


def test_a_stale_sweep_cannot_move_a_newer_attempt(alice, wired, client, settings, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit._admit(job) == "admitted"
    began = timezone.now() - timedelta(seconds=settings.WAN_LEASE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(submitting_at=began, lease_until=began)
    read_by_sweep_b = Job.objects.get(pk=job.pk)

    with django_capture_on_commit_callbacks(execute=False):
        assert recovery.sweep(client=client)["resent"] == 1  # sweep A
        assert submit._admit(Job.objects.get(pk=job.pk)) == "admitted"  # a worker sends it again
        # Sweep B acts on what it read before sweep A: the job is `submitting` again, but at a
        # newer attempt, whose POST is in the air. It must be left alone.
        recovery.reconcile(read_by_sweep_b, client)

    job.refresh_from_db()
    assert job.status == S.SUBMITTING and job.attempt == read_by_sweep_b.attempt + 2


def test_only_one_sweep_runs_at_a_time(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    crash_while_sending(job, client)
    Lease.objects.create(name=recovery.SWEEP_LEASE, holder="another-machine:1:abc", until=timezone.now() + timedelta(seconds=60))

    assert recovery.sweep(client=client) == {"skipped": 1}
    assert status(job) == S.SUBMITTING


def test_an_answer_that_arrives_after_the_job_moved_on_is_kept_as_its_task(alice, wired, client, settings, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit._admit(job) == "admitted"
    job.refresh_from_db()
    began = timezone.now() - timedelta(seconds=settings.WAN_LEASE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(submitting_at=began, lease_until=began)
    with django_capture_on_commit_callbacks(execute=False):
        recovery.sweep(client=client)
        # The first worker was only paused, not dead: its POST now goes through.
        assert submit._send(job, body_for_job(job), client, job.attempt) == "late-answer"

    recorded = ProviderTask.objects.get()
    assert recorded.job_id == job.pk and Job.objects.get(pk=job.pk).task_id is None


def test_a_sync_call_whose_answer_was_lost_is_left_for_a_person_as_possibly_billed(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:drop] a neon street", model="z-image-turbo", n=None, size="1024*1024")

    assert submit.job_submit(job_id=job.pk, client=client) == "unknown-outcome"

    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME and job.attention["reason"] == "sync_lost"
    assert "may have made (and billed) the images" in job.error_message
    assert wired.stats()["sync_calls"] == 1


def test_a_store_killed_half_way_is_replaced_not_duplicated(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=2)
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    wired.clock.advance(60)
    job = poll(job, client)
    assert job.status == S.DOWNLOADING
    # The worker died while writing image 1: a partial file, and no row names it.
    folder = Path(settings.MEDIA_ROOT) / "outputs" / str(job.pk)
    folder.mkdir(parents=True)
    (folder / "0.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")

    assert job_download(job_id=job.pk) == "succeeded"

    assert sorted(p.name for p in folder.iterdir()) == ["0.png", "1.png"]
    import hashlib

    for output in job.outputs.all():
        assert hashlib.sha256((folder / f"{output.index}.png").read_bytes()).hexdigest() == output.sha256


@pytest.fixture
def two_workers_storing_one_image(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=1)
    submit.job_submit(job_id=job.pk, client=client)
    wired.clock.advance(60)
    return poll(job, client)


def test_a_worker_that_loses_the_race_to_store_an_image_keeps_the_winners_file(two_workers_storing_one_image):
    from studio.pipeline import store

    job = two_workers_storing_one_image
    assert job_download(job_id=job.pk) == "succeeded"
    winner = job.outputs.get()
    # A second worker (its lease ran out mid-way) stores the same image after the first.
    with store.new_download_client() as http:
        got = store.download_image(http, job.result_urls[0], allowed_hosts=settings.WAN_RESULT_HOSTS, max_bytes=settings.WAN_RESULT_MAX_BYTES)
    with got.file:
        store._store(job, 0, job.result_urls[0], got)

    assert winner.file.storage.exists(winner.file.name) and winner.thumbnail.storage.exists(winner.thumbnail.name)
    assert sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "outputs" / str(job.pk)).iterdir()) == ["0.png"]
