"""The pipeline's services against the emulator over HTTP, one step at a time.

The emulator's clock is moved by hand, so each step of a job's life is observed exactly:
submit, poll, download, with the database holding the truth between steps.
"""

from __future__ import annotations

import hashlib
import io

import pytest
from django.test import Client
from PIL import Image

from studio.pipeline import follow, provider, submit
from studio.pipeline.jobs import CannotCancel, job_cancel, request_for_job
from studio.pipeline.models import Job, JobStatus, ProviderAccount
from studio.pipeline.store import job_download
from studio.wan.client import WanClient
from tests.pipeline_helpers import new_job, png_reference, poll

S = JobStatus


@pytest.fixture
def client(wan):
    # These tests call the studio's client `client` (in place of pytest-django's test client).
    return wan


def run_to_success(job: Job, client: WanClient, emulator) -> Job:
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    emulator.clock.advance(60)
    job = poll(job, client)
    assert job.status == S.DOWNLOADING
    assert job_download(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    return job


def test_a_text_to_image_job_is_submitted_polled_and_stored(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=2)
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    job.refresh_from_db()
    assert job.status == S.SUBMITTED and job.task_id and job.submitting_at and job.submitted_at
    assert poll(job, client).status == S.SUBMITTED
    wired.clock.advance(2.5)
    assert poll(job, client).status == S.RUNNING
    wired.clock.advance(60)
    job = poll(job, client)
    assert job.status == S.DOWNLOADING and len(job.result_urls) == 2
    assert job_download(job_id=job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == S.SUCCEEDED and job.usage_image_count == 2 and job.images_stored == 2
    assert job.usage_size == "1024*1024"
    for output in job.outputs.all():
        data = output.file.read()
        assert hashlib.sha256(data).hexdigest() == output.sha256 and len(data) == output.byte_size
        assert Image.open(io.BytesIO(data)).size == (1024, 1024) == (output.width, output.height)
        assert Image.open(output.thumbnail).format == "WEBP"


def test_a_job_with_a_task_id_is_never_submitted_again(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    submit.job_submit(job_id=job.pk, client=client)
    assert submit.job_submit(job_id=job.pk, client=client) == "not-queued"
    assert wired.stats()["tasks_created"] == 1


def test_an_edit_sends_its_references_boxes_and_palette_in_order(alice, wired, client, django_capture_on_commit_callbacks):
    refs = [png_reference(480, 320, "#225588"), png_reference(320, 480, "#aa5522", boxes=[(10, 20, 200, 300)])]
    palette = [("#C2D1E6", 5000), ("#636574", 3000), ("#CBD4E4", 2000)]
    job = new_job(alice, django_capture_on_commit_callbacks, references=refs, color_palette=palette)
    body = request_for_job(job)
    assert [i.size for i in body.images] == [(480, 320), (320, 480)]
    assert body.boxes == ((), ((10, 20, 200, 300),))
    assert [c.ratio for c in body.color_palette] == ["50.00%", "30.00%", "20.00%"]
    job = run_to_success(job, client, wired)
    out = job.outputs.get()
    # The output follows the aspect of the last reference (portrait).
    assert out.height > out.width


def test_a_sequential_set_keeps_every_frame(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=3, enable_sequential=True)
    job = run_to_success(job, client, wired)
    assert job.images_stored == job.usage_image_count == 3
    assert list(job.outputs.values_list("index", flat=True)) == [0, 1, 2]
    assert not job.partial


def test_moderation_failure_fails_the_job_with_the_providers_reason(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:moderation] a cat")
    assert submit.job_submit(job_id=job.pk, client=client) == "failed"
    job.refresh_from_db()
    assert job.status == S.FAILED and job.error_code == "DataInspectionFailed" and job.error_message


def test_a_failed_task_ends_failed_with_its_code(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:task_failed] a cat")
    submit.job_submit(job_id=job.pk, client=client)
    wired.clock.advance(60)
    job = poll(job, client)
    assert job.status == S.FAILED and job.error_code.startswith("InternalError")


def test_server_errors_on_submit_are_retried_then_fail_without_creating_tasks(alice, wired, client, settings, django_capture_on_commit_callbacks):
    settings.WAN_SUBMIT_MAX_ATTEMPTS = 2
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:http500] a cat")
    assert submit.job_submit(job_id=job.pk, client=client) == "retry"
    job.refresh_from_db()
    assert job.status == S.QUEUED and "Waiting to retry" in job.error_message
    assert submit.job_submit(job_id=job.pk, client=client) == "failed"
    job.refresh_from_db()
    assert job.status == S.FAILED and job.error_code == "InternalError" and job.submit_attempts == 2
    assert wired.stats()["tasks_created"] == 0


def test_a_lost_answer_is_matched_with_its_task_at_once_and_not_resent(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:drop] a cat")
    with django_capture_on_commit_callbacks(execute=False):
        assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    job.refresh_from_db()
    [task] = wired.server.state.tasks.values()
    assert job.status == S.SUBMITTED and job.task_id == task.task_id
    assert [e.action for e in job.events.all()] == ["adopted"]
    assert submit.job_submit(job_id=job.pk, client=client) == "not-queued"
    assert wired.stats()["tasks_created"] == 1


def test_partial_success_keeps_what_came_and_says_so(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:partial] cats", n=4)
    job = run_to_success(job, client, wired)
    assert job.images_stored == job.usage_image_count == 2
    assert job.partial and "2 of 4 images" in job.error_message


def test_an_expired_result_url_ends_expired(alice, start_emulator, settings, media, django_capture_on_commit_callbacks):
    # Phases of zero seconds keep the emulator's clock on the real one that expiry is judged by.
    instant = start_emulator(pending_seconds=0, running_seconds=0)
    settings.DASHSCOPE_BASE_URL = instant.url
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:expired_url] a cat")
    with WanClient(api_key=provider.api_key(), base_url=instant.url) as client:
        submit.job_submit(job_id=job.pk, client=client)
        poll(job, client)
    assert job_download(job_id=job.pk) == "expired"
    job.refresh_from_db()
    assert job.status == S.EXPIRED and job.outputs.count() == 0
    assert "expired" in job.error_message


def test_a_rejected_key_pauses_submissions_instead_of_failing_jobs(alice, wired, settings, django_capture_on_commit_callbacks):
    settings.DASHSCOPE_API_KEY = "sk-wrong"
    settings.WAN_EMULATOR = False
    job = new_job(alice, django_capture_on_commit_callbacks)
    with WanClient(api_key="sk-wrong", base_url=wired.url, sleep=lambda s: None) as wrong:
        assert submit.job_submit(job_id=job.pk, client=wrong) == "paused"
        job.refresh_from_db()
        assert job.status == S.QUEUED
        account = ProviderAccount.objects.get(api_key_id=job.api_key_id)
        assert account.pause_code == "InvalidApiKey" and account.paused_until > job.created_at
        # While paused, the next attempt waits without calling the provider.
        assert submit.job_submit(job_id=job.pk, client=wrong) == "paused"
    browser = Client()
    browser.force_login(alice)
    banner = browser.get("/").content.decode()
    assert "Generation is paused: the provider refused the API key" in banner
    assert "Queued jobs are kept" in banner


def test_the_concurrency_limit_makes_jobs_wait_their_turn(alice, wired, client, settings, django_capture_on_commit_callbacks):
    settings.WAN_MAX_CONCURRENT_TASKS = 1
    settings.WAN_SUBMITS_PER_SECOND = 100
    first = new_job(alice, django_capture_on_commit_callbacks)
    second = new_job(alice, django_capture_on_commit_callbacks)
    assert submit.job_submit(job_id=first.pk, client=client) == "submitted"
    assert submit.job_submit(job_id=second.pk, client=client) == "throttled"
    second.refresh_from_db()
    assert second.status == S.QUEUED and second.next_attempt_at is not None
    wired.clock.advance(60)
    poll(first, client)
    assert submit.job_submit(job_id=second.pk, client=client) == "submitted"


def test_a_queued_job_is_canceled_locally(alice, wired, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    job = job_cancel(job=job)
    assert job.status == S.CANCELED and wired.stats()["tasks_created"] == 0


def test_a_pending_task_is_canceled_at_the_provider(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    submit.job_submit(job_id=job.pk, client=client)
    job.refresh_from_db()
    job = job_cancel(job=job)
    assert job.status == S.CANCELED
    assert wired.task(job.task_id)["output"]["task_status"] == "CANCELED"


def test_a_running_task_cannot_be_canceled(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    submit.job_submit(job_id=job.pk, client=client)
    wired.clock.advance(2.5)
    job = poll(job, client)
    assert job.status == S.RUNNING
    with pytest.raises(CannotCancel, match="running task cannot be canceled"):
        job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == S.RUNNING


def test_the_recovery_sweep_keeps_exactly_one_schedule_of_itself(db):
    from django_q.models import Schedule

    from studio.pipeline.schedule import SWEEP, ensure_sweep_schedule

    Schedule.objects.all().delete()
    ensure_sweep_schedule()
    Schedule.objects.create(name=SWEEP, func="studio.pipeline.tasks.sweep", schedule_type=Schedule.MINUTES, minutes=1)
    ensure_sweep_schedule()

    schedules = Schedule.objects.filter(name=SWEEP)
    assert schedules.count() == 1
    assert schedules.get().func == "studio.pipeline.tasks.sweep"
    assert schedules.get().repeats == -1


def test_a_submit_whose_worker_died_is_adopted_from_the_providers_task_list(alice, wired, client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from studio.pipeline.jobs import body_for_job
    from studio.pipeline.recovery import sweep

    job = new_job(alice, django_capture_on_commit_callbacks, prompt="a cat")
    # The worker marked it, its POST created the task, and it died before storing the task id.
    just_now = timezone.now() - timedelta(seconds=1)
    Job.objects.filter(pk=job.pk).update(status=S.SUBMITTING, submitting_at=just_now, lease_until=just_now)
    client.submit(body_for_job(job))

    with django_capture_on_commit_callbacks(execute=False):
        assert sweep(client=client)["adopted"] == 1
    job.refresh_from_db()
    assert job.status == S.SUBMITTED and job.task_id and job.finished_at is None
    wired.clock.advance(60)
    assert poll(job, client).status == S.DOWNLOADING
    assert job_download(job_id=job.pk) == "succeeded"
    assert wired.stats()["tasks_created"] == 1


def test_a_submit_interrupted_before_reaching_the_provider_is_sent_again(alice, wired, client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from studio.pipeline.recovery import sweep

    job = new_job(alice, django_capture_on_commit_callbacks, prompt="a cat")
    long_ago = timezone.now() - timedelta(minutes=5)
    Job.objects.filter(pk=job.pk).update(status=S.SUBMITTING, submitting_at=long_ago, lease_until=long_ago)

    with django_capture_on_commit_callbacks(execute=False):
        assert sweep(client=client)["resent"] == 1
    job.refresh_from_db()
    assert job.status == S.QUEUED and "sending again" in job.error_message
    assert run_to_success(job, client, wired).status == S.SUCCEEDED
    assert wired.stats()["tasks_created"] == 1


def test_a_429_from_the_provider_backs_off_without_creating_a_task(alice, wired, client, settings, django_capture_on_commit_callbacks):
    from django.utils import timezone

    settings.WAN_SUBMITS_PER_SECOND = 100.0
    wired.server.update_config({"max_submissions_per_second": 1, "retry_after_seconds": 7})
    first, second = (new_job(alice, django_capture_on_commit_callbacks, prompt=f"a cat {i}") for i in (1, 2))
    assert submit.job_submit(job_id=first.pk, client=client) == "submitted"
    assert submit.job_submit(job_id=second.pk, client=client) == "retry"

    second.refresh_from_db()
    assert second.status == S.QUEUED and second.error_message.startswith("Waiting to retry")
    assert (second.next_attempt_at - timezone.now()).total_seconds() > 6, "Retry-After is honoured"
    assert wired.stats()["tasks_created"] == 1


def test_a_truncated_download_is_retried_and_says_why(alice, wired, client, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:truncated_download] a cat")
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    wired.clock.advance(60)
    assert poll(job, client).status == S.DOWNLOADING

    assert job_download(job_id=job.pk) == "retry"
    job.refresh_from_db()
    assert job.status == S.DOWNLOADING and job.outputs.count() == 0
    assert job.error_message.startswith("Download will be retried")


def test_the_poller_gives_its_worker_back_when_other_tasks_wait(alice, wired, client, django_capture_on_commit_callbacks):
    from django_q.tasks import async_task

    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    async_task("studio.pipeline.tasks.download_job", job.pk)  # e.g. a download behind the poller

    report = follow.follow_jobs(run_seconds=60, client=client)

    assert report.ran and report.yielded, "a run ends early instead of holding the only worker"
    job.refresh_from_db()
    assert job.status == S.SUBMITTED, "the task is still followed by the next run"


def queued_messages(func: str) -> int:
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    return sum(1 for m in OrmQ.objects.all() if SignedPackage.loads(m.payload)["func"] == func)


def test_only_one_poller_is_queued_however_many_jobs_are_submitted(alice, wired, client, django_capture_on_commit_callbacks):
    from studio.pipeline import tasks

    for _ in range(3):
        tasks.ensure_follower()
    assert queued_messages("studio.pipeline.tasks.follow_provider") == 1

    # The queued poller runs, finishes and releases: the next submit may queue one again.
    report = follow.follow_jobs(run_seconds=0.1, client=client)
    assert report.ran
    tasks.ensure_follower()
    assert queued_messages("studio.pipeline.tasks.follow_provider") == 2


def test_a_poller_only_queries_with_what_other_task_calls_left_of_the_accounts_second(alice, wired, client, django_capture_on_commit_callbacks):
    import time

    from django.utils import timezone

    from studio.pipeline import query_budget

    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    Job.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    # The previous run, a sweep or /healthz, in any process, used the whole second.
    used = query_budget.take(n=20)
    assert used.count == 20
    query_budget.release(used)

    assert follow.follow_jobs(run_seconds=0.4, client=client).queries == 0
    time.sleep(1.1)
    assert follow.follow_jobs(run_seconds=0.4, client=client).queries == 1


def test_a_finished_task_gets_one_download_doorbell(alice, wired, client, django_capture_on_commit_callbacks):
    from studio.pipeline import dispatch

    job = new_job(alice, django_capture_on_commit_callbacks)
    assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    wired.clock.advance(60)
    with django_capture_on_commit_callbacks(execute=False) as rung:
        assert poll(job, client).status == S.DOWNLOADING
        dispatch.ring_due()
    assert len(rung) == 1, "ring_due does not ring again right after the poller did"


def test_past_their_typical_time_the_longest_overdue_tasks_are_polled_first(alice, wired, client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    old_recent, young_overdue = (new_job(alice, django_capture_on_commit_callbacks) for _ in range(2))
    Job.objects.filter(pk=old_recent.pk).update(
        status=S.RUNNING, task_id="t-old", submitted_at=now - timedelta(minutes=10), next_attempt_at=now - timedelta(seconds=1)
    )
    Job.objects.filter(pk=young_overdue.pk).update(
        status=S.RUNNING, task_id="t-young", submitted_at=now - timedelta(minutes=2), next_attempt_at=now - timedelta(seconds=20)
    )
    assert [row[1] for row in follow.due_jobs(provider.api_key_id(), 1, now)] == ["t-young"]


def test_with_one_worker_the_poller_yields_to_a_download_the_cluster_already_fetched(alice, wired, client, settings, django_capture_on_commit_callbacks):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 1}
    polled, done = (new_job(alice, django_capture_on_commit_callbacks, prompt=p) for p in ("slow", "done"))
    for job in (polled, done):
        assert submit.job_submit(job_id=job.pk, client=client) == "submitted"
    Job.objects.filter(pk=done.pk).update(status=S.DOWNLOADING)  # its download message is in the worker's hands

    report = follow.follow_jobs(run_seconds=60, client=client)

    assert report.yielded, "the only worker is given back to the waiting download"
