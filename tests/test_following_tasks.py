"""Following many tasks within the account's 20 task queries a second: the task list says which
tasks are still PENDING or RUNNING; only the ones it no longer names are fetched by id.

The emulator serves the documented list (status filter, pages, a page cap it echoes, the shared
rate limit) over HTTP; its fake clock decides when each task ends, so a task can be made to end
between two pages of one look.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from studio.pipeline import follow, submit, watch
from studio.pipeline.models import Job, JobStatus
from studio.wan.client import WanClient
from tests.emulator_fixtures import API_KEY
from tests.pipeline_helpers import make_job

S = JobStatus
# Each task is submitted a second (of the emulator's clock) after the one before and runs this long.
RUNNING_SECONDS = 100.0


# --- the plan --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alive", "pending", "page_size", "expected"),
    [
        (1, 1, 100, "single"),  # one query beats a page of RUNNING and one of PENDING
        (2, 2, 100, "single"),
        (3, 3, 100, "list"),
        (20, 0, 100, "list"),
        (1000, 0, 100, "list"),  # 10 pages
        (1000, 0, 10, "list"),  # 100 pages at the documented default, still far fewer than 1000
        (5, 0, 1, "single"),  # a page of one row saves nothing
    ],
)
def test_the_list_is_read_when_its_pages_cost_fewer_calls_than_one_query_per_task(alive, pending, page_size, expected):
    assert watch.choose(alive, pending, page_size, list_usable=True) == expected


def test_a_list_that_cannot_be_read_means_one_query_per_task():
    assert watch.choose(1000, 0, 100, list_usable=False) == "single"


# --- one look at a time, against the emulator ----------------------------------------------


class Hooked(httpx.BaseTransport):
    """The HTTP transport, with something done right after a chosen answer was produced."""

    def __init__(self, when: Callable[[httpx.Request], bool], then: Callable[[], None]) -> None:
        self._inner = httpx.HTTPTransport()
        self._when, self._then = when, then
        self.lists: list[str] = []
        self.fetched: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        path = request.url.path
        if path.endswith("/tasks"):
            self.lists.append(f"{request.url.params.get('status')}:{request.url.params.get('page_no')}")
        elif "/tasks/" in path:
            self.fetched.append(path.rsplit("/", 1)[-1])
        if self._when(request):
            self._when = lambda request: False
            self._then()
        return response

    def close(self) -> None:
        self._inner.close()


def first_page_of(status: str) -> Callable[[httpx.Request], bool]:
    return lambda r: r.url.path.endswith("/tasks") and r.url.params.get("status") == status and r.url.params.get("page_no") == "1"


@pytest.fixture
def staggered(alice, wired, settings, django_capture_on_commit_callbacks):
    """25 jobs in flight, submitted one emulator-second apart (so they end in that order), with
    the list served 10 rows a page: newest first, job 24..15 on page 1, 14..5 on 2, 4..0 on 3."""
    # The rate limit is not what these tests are about: one pass may fetch all 25.
    settings.WAN_SUBMITS_PER_SECOND = 1000
    settings.WAN_TASK_QUERIES_PER_SECOND = 100
    settings.WAN_MAX_CONCURRENT_TASKS = 1000
    assert wired.configure(
        pending_seconds=0, running_seconds=RUNNING_SECONDS, max_list_page_size=10, max_task_queries_per_second=None
    ).status_code == 200
    jobs = []
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(25):
            job = make_job(alice, f"Lighthouse {i}")
            assert submit.job_submit(job_id=job.pk) == "submitted"
            jobs.append(job)
            wired.clock.advance(1)
    # Submitted well before the look, as far as the studio's clock goes.
    Job.objects.update(submitted_at=timezone.now() - timedelta(seconds=30))
    return [Job.objects.get(pk=job.pk) for job in jobs]


def ends_at(wired, job_index: int) -> float:
    return wired.clock.now - 25 + job_index + RUNNING_SECONDS


def look_once(transport: Hooked) -> follow.FollowReport:
    """One run of the poller that makes exactly one look (and fetches what it found ended)."""
    client = WanClient(api_key=API_KEY, base_url=settings.DASHSCOPE_BASE_URL, transport=transport, max_retries=0)
    with client:
        return follow.follow_jobs(run_seconds=0.01, client=client)


def statuses(jobs) -> list[str]:
    by_id = dict(Job.objects.values_list("pk", "status"))
    return [by_id[job.pk] for job in jobs]


def test_a_task_that_ends_between_two_pages_is_fetched_and_stored(wired, staggered):
    oldest = staggered[0]  # on the last page

    def end_the_oldest():
        wired.clock.now = ends_at(wired, 0) + 0.5

    hooked = Hooked(first_page_of(watch.RUNNING), end_the_oldest)
    report = look_once(hooked)

    assert hooked.lists == ["RUNNING:1", "RUNNING:2", "RUNNING:3", "PENDING:1"]
    assert hooked.fetched == [oldest.task_id], "only the task neither list named is fetched"
    assert report.finished == 1
    assert statuses(staggered) == [S.SUCCEEDED] + [S.RUNNING] * 24, "the others were seen running"
    assert Job.objects.get(pk=oldest.pk).outputs.count() == 1


def test_a_task_that_ends_after_its_page_was_read_is_found_by_the_next_look_and_the_shift_costs_one_fetch(wired, staggered):
    # Job 20 (page 1) takes less time than the others: it ends just after page 1 was read. The
    # rows after it move up one, so job 14 slides from page 2 onto page 1, already read.
    early = staggered[20]
    task = wired.server.state.tasks[early.task_id]
    task.running_seconds = wired.clock.now + 10 - task.scheduled_at  # the others run for a minute more

    def end_job_20():
        wired.clock.now = task.ended_at + 0.5

    hooked = Hooked(first_page_of(watch.RUNNING), end_job_20)
    first = look_once(hooked)

    assert hooked.fetched == [staggered[14].task_id], "the shifted task is fetched, and still runs"
    assert first.finished == 0
    assert Job.objects.get(pk=staggered[14].pk).status == S.RUNNING

    again = Hooked(lambda r: False, lambda: None)
    second = look_once(again)

    assert again.fetched == [early.task_id]
    assert second.finished == 1
    assert statuses(staggered) == [S.RUNNING] * 20 + [S.SUCCEEDED] + [S.RUNNING] * 4


def test_a_page_cap_of_10_still_finds_every_ended_task_with_one_fetch_each(wired, staggered):
    wired.clock.now = ends_at(wired, 24) + 1  # all 25 have ended
    hooked = Hooked(lambda r: False, lambda: None)
    report = look_once(hooked)

    assert hooked.lists == ["RUNNING:1", "PENDING:1"], "an empty list is one page"
    assert sorted(hooked.fetched) == sorted(job.task_id for job in staggered)
    assert report.finished == 25 and report.queries == 25
    assert set(statuses(staggered)) == {S.SUCCEEDED}


def test_the_page_size_the_service_served_is_the_one_planned_with(wired, staggered):
    hooked = Hooked(lambda r: False, lambda: None)
    look_once(hooked)
    # 25 running at 10 a page: three pages asked at the size the first answer said it served.
    assert hooked.lists[:3] == ["RUNNING:1", "RUNNING:2", "RUNNING:3"]
    assert wired.stats()["task_list_queries"] == 4


def test_when_the_list_fails_every_task_is_queried_by_id_and_none_is_lost(wired, staggered):
    assert wired.configure(faults=["list_down"]).status_code == 200
    wired.clock.now = ends_at(wired, 9) + 0.5  # jobs 0..9 have ended
    hooked = Hooked(lambda r: False, lambda: None)
    report = look_once(hooked)

    assert hooked.lists == ["RUNNING:1"], "the list was tried once"
    assert len(hooked.fetched) == 25, "then every task in flight was asked about by id"
    assert report.finished == 10
    assert statuses(staggered) == [S.SUCCEEDED] * 10 + [S.RUNNING] * 15
