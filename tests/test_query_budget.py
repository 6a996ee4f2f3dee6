"""The account's task-query budget: every task call of every process takes a slot of one window.

Reference: https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks — 20 QPS
per Alibaba Cloud account (all its RAM users and keys), the task list and task queries included.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from studio.pipeline import provider, query_budget
from studio.pipeline.models import Job, JobStatus, TaskQueryWindow
from studio.wan.client import WanClient
from studio.wan.errors import RateLimitError
from tests.pipeline_helpers import new_job

S = JobStatus


def taken(account: str = "default") -> int:
    return TaskQueryWindow.objects.filter(account=account).values_list("taken", flat=True).first() or 0


def most_in_any_second(times: list[float]) -> int:
    """The most calls in any sliding window of one second, as the provider counts them."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.django_db(transaction=True)
def test_callers_with_their_own_connections_never_exceed_the_limit_in_any_second():
    # Four threads, each with its own database connection, as four processes would be: each
    # takes slots as fast as it can (one, or a batch of up to 7) for 2.5 seconds.
    granted: list[float] = []
    lock = threading.Lock()

    def caller(batch: int) -> None:
        try:
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                with query_budget.held(n=batch, wait=0.5) as grant, lock:
                    granted.extend([time.monotonic()] * grant.count)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller, args=(n,)) for n in (1, 1, 3, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert most_in_any_second(granted) <= 20
    # The limit is used, not merely respected: about 20 per 1.01 s for 2.5 s.
    assert len(granted) >= 45
    assert taken() == len(granted)


def answered(n: int) -> None:
    """`n` task calls made and answered just now."""
    query_budget.release(query_budget.take(n=n))


def test_a_batch_gets_what_is_free_and_says_when_the_next_slot_frees(db):
    answered(15)
    rest = query_budget.take(n=10)
    assert rest.count == 5
    refused = query_budget.take(n=1)
    assert not refused and refused.count == 0
    assert query_budget.available() == 0
    assert refused.retry_in == query_budget.HELD_RECHECK_SECONDS, "calls under way may be answered any moment"

    query_budget.release(rest)
    assert 0.9 < query_budget.take(n=1).retry_in <= query_budget.WINDOW_SECONDS, "answered calls free their slots a window later"


def test_a_slot_is_held_until_its_call_is_answered_and_a_window_after(db):
    grant = query_budget.take(n=20)
    time.sleep(query_budget.WINDOW_SECONDS)  # a call still under way after a whole window
    assert query_budget.available() == 0
    query_budget.release(grant)
    assert query_budget.available() == 0, "its second starts when it was answered"


def test_a_slot_its_taker_never_released_counts_for_hold_seconds(db, monkeypatch):
    query_budget.take(n=20)  # the process died mid-call
    real_now = query_budget._now
    monkeypatch.setattr(query_budget, "_now", lambda: real_now() + query_budget.HOLD_SECONDS + 0.01)
    assert query_budget.available() == 20


def test_a_waiting_caller_gets_a_slot_when_the_window_frees(db):
    answered(20)
    started = time.monotonic()

    grant = query_budget.take(n=1, wait=2.0)

    assert grant.count == 1
    assert 0.9 < time.monotonic() - started < 1.5


def test_a_caller_that_cannot_wait_that_long_is_told_at_once(db):
    answered(20)
    started = time.monotonic()

    grant = query_budget.take(n=1, wait=0.3)

    assert grant.count == 0 and grant.retry_in > 0.3
    assert time.monotonic() - started < 0.1


def test_keys_named_as_one_account_share_its_budget_and_other_accounts_do_not(db, settings):
    settings.WAN_ACCOUNT = "production"
    assert query_budget.take(n=20).count == 20
    # Another process whose key is of the same account, configured with the same name:
    assert query_budget.take(n=1, account_name="production").count == 0
    settings.WAN_ACCOUNT = "research"
    assert query_budget.take(n=20).count == 20


def test_a_limit_under_one_a_second_spaces_the_calls_out(db, settings):
    settings.WAN_TASK_QUERIES_PER_SECOND = 0.5
    assert query_budget.capacity_and_window() == (1, pytest.approx(2 * query_budget.WINDOW_SECONDS))
    answered(3)
    assert query_budget.take(n=1).count == 0
    assert 1.9 < query_budget.take(n=1).retry_in <= 2 * query_budget.WINDOW_SECONDS


# --- the client's transport ------------------------------------------------------------------


def test_every_task_call_of_a_studio_client_takes_a_slot_and_a_submit_none(db, wired):
    from tests.wan_bodies import body

    with provider.make_client() as client:
        task = client.submit(body(prompt="A lighthouse at dawn"))
        assert taken() == 0, "a submission has limits of its own"
        client.get_task(task.task_id)
        client.list_tasks(start=timezone.now() - timedelta(hours=1), end=timezone.now())
        client.cancel_task(task.task_id)

    assert taken() == 3


def test_a_retried_query_takes_a_slot_for_each_try(db):
    answers = iter([httpx.Response(500, json={"code": "InternalError", "message": "try again"})])

    def provider_answer(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or httpx.Response(200, json={"output": {"task_id": "t-1", "task_status": "RUNNING"}})

    transport = query_budget.BudgetedTransport(httpx.MockTransport(provider_answer), base_url="https://p.test/api/v1")
    with WanClient(api_key="sk-test", base_url="https://p.test/api/v1", transport=transport, sleep=lambda s: None) as client:
        assert client.get_task("t-1").task_status == "RUNNING"

    assert taken() == 2


def test_with_no_slot_free_in_time_the_call_is_refused_without_being_sent(db):
    sent: list[httpx.Request] = []
    answered(20)
    transport = query_budget.BudgetedTransport(
        httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={})),
        base_url="https://p.test/api/v1",
        wait=0.0,
    )
    with WanClient(api_key="sk-test", base_url="https://p.test/api/v1", transport=transport, max_retries=0) as client:
        with pytest.raises(RateLimitError) as refused:
            client.get_task("t-1")

    assert query_budget.refused_here(refused.value)
    assert refused.value.retry_after is not None and 0.9 < refused.value.retry_after <= query_budget.WINDOW_SECONDS
    assert "WAN_TASK_QUERIES_PER_SECOND" in refused.value.message
    assert sent == []


def test_a_call_paid_for_by_its_caller_takes_no_second_slot_unless_it_left_late(db, monkeypatch):
    transport = query_budget.BudgetedTransport(
        httpx.MockTransport(lambda request: httpx.Response(200, json={})), base_url="https://p.test/api/v1"
    )
    request = httpx.Request("GET", "https://p.test/api/v1/tasks/t-1")

    grant = query_budget.take(n=1)
    with query_budget.paid(grant):
        transport.handle_request(request)
    assert taken() == 1

    stale = query_budget.Grant(1, at=time.monotonic() - 1.0)
    with query_budget.paid(stale):
        transport.handle_request(request)
    assert taken() == 2, "a slot stamped a second ago no longer covers a call leaving now"


def test_the_recovery_sweeps_task_list_takes_a_slot(alice, wired, django_capture_on_commit_callbacks):
    from studio.pipeline.jobs import body_for_job
    from studio.pipeline.recovery import sweep

    job = new_job(alice, django_capture_on_commit_callbacks, prompt="a cat")
    just_now = timezone.now() - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(status=S.SUBMITTING, submitting_at=just_now, lease_until=just_now)
    with provider.make_client() as client:
        client.submit(body_for_job(job))

    with django_capture_on_commit_callbacks(execute=False):
        assert sweep()["adopted"] == 1

    assert taken() == 1


def test_the_pollers_calls_take_one_slot_each_list_pages_and_its_batch_of_queries(alice, wired, settings, django_capture_on_commit_callbacks):
    from studio.pipeline import follow, submit

    settings.WAN_SUBMITS_PER_SECOND = 100
    jobs = [new_job(alice, django_capture_on_commit_callbacks, prompt=f"a cat {i}") for i in range(3)]
    with provider.make_client() as client:
        for job in jobs:
            assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    Job.objects.update(next_attempt_at=timezone.now(), submitted_at=timezone.now() - timedelta(seconds=10))
    wired.clock.advance(60)  # every task has ended: the lists name none, each is fetched

    report = follow.follow_jobs(run_seconds=0.5)

    assert report.list_calls == 2, "one page of RUNNING and one of PENDING (the submits answered PENDING)"
    assert report.queries == 3 and report.passes == 1
    assert taken() == 5, "the batch's slots paid for the queries: none was taken twice"
    stats = wired.stats()
    assert (stats["task_list_queries"], stats["task_queries"]) == (2, 3)


def test_a_batch_that_reaches_the_provider_late_keeps_its_slots_until_it_is_answered(db):
    # The provider counts a call when it arrives. The first batch leaves a busy process half a
    # second late; the next one goes at once. Counted from when the slots were taken, both would
    # arrive within one second.
    arrivals: list[float] = []
    late = threading.Event()
    late.set()

    def provider_answer(request: httpx.Request) -> httpx.Response:
        if late.is_set():
            time.sleep(0.5)  # on its way
        arrivals.append(time.monotonic())
        return httpx.Response(200, json={"output": {"task_id": "t-1", "task_status": "RUNNING"}})

    transport = query_budget.BudgetedTransport(httpx.MockTransport(provider_answer), base_url="https://p.test/api/v1")
    with WanClient(api_key="sk-test", base_url="https://p.test/api/v1", transport=transport, max_retries=0) as client:

        def paid_query(grant: query_budget.Grant) -> None:
            with query_budget.paid(grant):
                client.get_task("t-1")

        def batch() -> None:
            grant = query_budget.take(n=20, wait=3.0)
            with ThreadPoolExecutor(max_workers=20) as pool:
                list(pool.map(paid_query, [grant] * grant.count))
            query_budget.release(grant)

        batch()
        late.clear()
        batch()

    assert len(arrivals) == 40
    assert most_in_any_second(arrivals) <= 20
