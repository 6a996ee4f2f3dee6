"""Reading the provider's own record of the key's tasks: the task list, and each finished task's usage.

The emulator runs over HTTP with a hand-moved clock. Tasks are made the real ways: by the studio's
submit, or straight at the emulator with a client holding the studio's key (work the studio never
heard of).
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from studio.pipeline.models import ProviderListRead, ProviderTask
from studio.pipeline.provider_tasks import TASK_QUERIES_PER_SECOND, provider_tasks_refresh
from studio.wan.client import WanClient
from tests.billing_helpers import new_job, run_to_end
from tests.emulator_fixtures import body


def no_sleep(seconds: float) -> None:
    pass


def refresh(wan, *, hours: float = 1, **kwargs):
    now = timezone.now()
    kwargs.setdefault("sleep", no_sleep)
    return provider_tasks_refresh(start=now - timedelta(hours=hours), end=now, client=wan, **kwargs)


def test_a_task_the_studio_never_heard_of_is_learned_with_what_it_billed(db, wired, wan):
    task = wan.submit(body(n=2))
    wired.clock.advance(60)

    report = refresh(wan)

    row = ProviderTask.objects.get(task_id=task.task_id)
    assert (row.job, row.status, row.model, row.image_count) == (None, "SUCCEEDED", "wan2.7-image", 2)
    assert row.created_at and row.ended_at and row.ended_at > row.created_at and row.read_at
    assert (report.listed, report.new, report.new_unclaimed, report.fetched) == (1, 1, 1, 1)
    assert report.ok and "1 that no job follows" in report.summary()


def test_a_jobs_task_is_linked_to_the_job_that_follows_it(alice, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=2), wan, wired)
    # As if the list had been read before the submit's answer was recorded.
    ProviderTask.objects.update(job=None)

    report = refresh(wan)

    row = ProviderTask.objects.get()
    assert row.task_id == job.task_id and row.job == job and row.image_count == 2
    assert (report.new, report.linked, report.new_unclaimed) == (0, 1, 0)


def test_each_finished_task_is_asked_for_its_usage_once(db, wired, wan):
    task = wan.submit(body())
    wired.clock.advance(60)

    refresh(wan)
    second = refresh(wan)

    assert second.fetched == 0 and second.listed == 1
    assert wired.stats()["task_queries_by_task"] == {task.task_id: 1}


def test_an_unfinished_task_is_read_again_once_it_has_finished(db, wired, wan):
    task = wan.submit(body(n=3))

    first = refresh(wan)
    row = ProviderTask.objects.get(task_id=task.task_id)
    assert first.fetched == 0 and row.status == "PENDING" and row.image_count is None

    wired.clock.advance(60)
    assert refresh(wan).fetched == 1
    assert ProviderTask.objects.get(task_id=task.task_id).image_count == 3


def test_failed_and_canceled_tasks_bill_nothing(db, wired, wan):
    failed = wan.submit(body("[fault:task_failed] a cat"))
    canceled = wan.submit(body("a dog"))
    wan.cancel_task(canceled.task_id)
    wired.clock.advance(60)

    refresh(wan)

    counts = dict(ProviderTask.objects.values_list("task_id", "image_count"))
    assert counts == {failed.task_id: 0, canceled.task_id: 0}
    assert ProviderTask.objects.get(task_id=canceled.task_id).status == "CANCELED"


def test_every_page_of_the_list_is_read(db, wired, wan):
    made = {wan.submit(body(f"Tile {i}")).task_id for i in range(105)}

    report = refresh(wan)

    assert report.listed == 105 and report.new == 105
    assert set(ProviderTask.objects.values_list("task_id", flat=True)) == made
    assert wired.stats()["task_list_queries"] == 2  # 100 a page


def test_a_read_is_clamped_to_the_24_hours_the_provider_keeps(db, wired, wan):
    before = timezone.now()

    report = refresh(wan, hours=72)

    assert report.clamped and "the provider keeps tasks 24 hours" in report.summary()
    assert before - timedelta(hours=24) <= report.start <= timezone.now() - timedelta(hours=24)
    [read] = ProviderListRead.objects.all()
    assert read.start == report.start and read.end == report.end
    assert read.end - read.start <= timedelta(hours=24)


def test_a_period_older_than_24_hours_cannot_be_read_at_all(db, wired, wan):
    now = timezone.now()

    report = provider_tasks_refresh(start=now - timedelta(days=3), end=now - timedelta(days=2), client=wan)

    assert report.clamped and report.listed == 0 and not ProviderListRead.objects.exists()
    assert "Nothing is left to read" in report.summary()
    assert wired.stats()["task_list_queries"] == 0


def test_a_list_that_cannot_be_read_is_reported_and_not_recorded_as_read(db, wired):
    with WanClient(api_key="sk-wrong", base_url=wired.url, sleep=no_sleep) as wrong:
        report = refresh(wrong)

    assert not report.ok and "could not be read" in report.summary()
    assert not ProviderListRead.objects.exists()


def test_single_task_queries_are_paced_at_five_a_second(db, wired, wan):
    count = 6
    for i in range(count):
        wan.submit(body(f"Paced {i}"))
    wired.clock.advance(60)

    started = time.monotonic()
    report = refresh(wan, sleep=time.sleep)

    assert report.fetched == count
    assert time.monotonic() - started >= (count - 1) / TASK_QUERIES_PER_SECOND
