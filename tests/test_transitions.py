"""The job state machine: conditional moves, one winner per race, no illegal moves."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from studio.pipeline import transitions
from studio.pipeline.models import Job, JobStatus
from tests.pipeline_helpers import make_job

S = JobStatus


@pytest.fixture
def job(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return make_job(alice)


def test_a_new_job_is_queued(job):
    assert job.status == S.QUEUED
    assert job.submitting_at is None and job.task_id is None


def test_a_move_stamps_its_time_and_only_happens_from_the_expected_state(job):
    assert transitions.move(job.pk, S.QUEUED, S.SUBMITTING)
    job.refresh_from_db()
    assert job.status == S.SUBMITTING and job.submitting_at is not None
    # A second worker that still thinks the job is queued loses.
    assert not transitions.move(job.pk, S.QUEUED, S.SUBMITTING)


def test_moves_the_machine_does_not_have_are_refused(job):
    with pytest.raises(transitions.IllegalTransition):
        transitions.move(job.pk, S.QUEUED, S.SUCCEEDED)
    with pytest.raises(transitions.IllegalTransition):
        transitions.move(job.pk, S.SUCCEEDED, S.QUEUED)


def test_terminal_moves_stamp_the_finish_time(job):
    transitions.move(job.pk, S.QUEUED, S.CANCELED)
    job.refresh_from_db()
    assert job.finished_at is not None and job.is_terminal


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_for_one_job_have_exactly_one_winner(alice):
    job = make_job(alice)
    Job.objects.filter(pk=job.pk).update(status=S.QUEUED)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            results.append(transitions.move(job.pk, S.QUEUED, S.SUBMITTING))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]


def test_a_move_named_with_an_old_attempt_is_refused_even_from_the_same_state(job):
    read_earlier = job.attempt
    assert transitions.move(job.pk, S.QUEUED, S.SUBMITTING, attempt=read_earlier)
    assert transitions.move(job.pk, S.SUBMITTING, S.QUEUED)
    # Back in `queued`, but not the `queued` the earlier reader saw.
    assert not transitions.move(job.pk, S.QUEUED, S.SUBMITTING, attempt=read_earlier)
    assert not transitions.update_if(job.pk, S.QUEUED, attempt=read_earlier, error_message="stale")
    job.refresh_from_db()
    assert job.status == S.QUEUED and job.attempt == read_earlier + 2 and job.error_message != "stale"
