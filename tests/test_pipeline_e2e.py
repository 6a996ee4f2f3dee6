"""The whole pipeline with real django-q2 clusters in real processes and the emulator over HTTP.

Workers are SIGKILLed in the middle of a submit, a poll and a download; every job must still
complete with exactly one provider task and every image stored exactly once.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from studio.pipeline.models import Job, JobStatus
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.cluster import Cluster, cluster_env, wait_for
from tests.pipeline_helpers import make_job, png_reference

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = JobStatus


@pytest.fixture
def emulator():
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.5, running_seconds=1.0)).start()
    yield server
    server.shutdown()


@pytest.fixture
def clusters(emulator, media, tmp_path):
    started: list[Cluster] = []

    def start(**env: str) -> Cluster:
        cluster = Cluster(cluster_env(emulator.url, **env), tmp_path / f"cluster-{len(started)}.log")
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


def status_of(job: Job) -> str:
    return Job.objects.values_list("status", flat=True).get(pk=job.pk)


def stats(emulator: EmulatorServer) -> dict:
    import httpx

    return httpx.get(emulator.root_url + "/emulator/stats").json()


def assert_completed_once(job: Job, emulator: EmulatorServer, prompt: str) -> None:
    job.refresh_from_db()
    assert job.status == S.SUCCEEDED, (job.status, job.error_code, job.error_message)
    assert stats(emulator)["by_prompt"].get(prompt) == 1, "exactly one provider task"
    stored = sorted(job.outputs.values_list("index", flat=True))
    assert stored == list(range(job.usage_image_count)) == list(range(job.images_stored))
    files = sorted(p.name for p in (Path(settings.MEDIA_ROOT) / "outputs" / str(job.pk)).iterdir())
    assert files == [f"{i}.png" for i in stored], "every image stored once, no stray copies"


def unique(prompt: str) -> str:
    return f"{prompt} #{uuid.uuid4().hex[:8]}"


def test_a_job_runs_through_the_queue_to_stored_images(alice, emulator, clusters):
    clusters()
    prompt = unique("A lighthouse at dawn")
    job = make_job(alice, prompt, n=2)
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED), timeout=60, what="the job to finish")
    assert_completed_once(job, emulator, prompt)


def test_an_edit_with_boxes_and_palette_runs_through_the_queue(alice, emulator, clusters):
    clusters()
    prompt = unique("Put image 1 into the box of image 2")
    refs = [png_reference(400, 300), png_reference(300, 400, "#884422", boxes=[(20, 30, 200, 300)])]
    job = make_job(alice, prompt, references=refs, color_palette=[("#112233", 6000), ("#445566", 2500), ("#778899", 1500)])
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED), timeout=60, what="the job to finish")
    assert_completed_once(job, emulator, prompt)


def test_a_worker_killed_while_submitting_leaves_exactly_one_provider_task(alice, emulator, clusters):
    emulator.update_config({"submit_latency_seconds": 3.0})
    first = clusters()
    prompt = unique("Killed in submit")
    job = make_job(alice, prompt)
    wait_for(lambda: stats(emulator)["by_prompt"].get(prompt), timeout=30, what="the provider to create the task")
    assert status_of(job) == S.SUBMITTING
    first.kill()
    emulator.update_config({"submit_latency_seconds": 0.0})
    clusters()
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED, S.UNKNOWN_OUTCOME), timeout=120, what="recovery")
    assert_completed_once(job, emulator, prompt)


def test_a_worker_killed_while_polling_is_resumed(alice, emulator, clusters):
    emulator.update_config({"running_seconds": 4.0})
    first = clusters()
    prompt = unique("Killed in poll")
    job = make_job(alice, prompt)
    wait_for(lambda: status_of(job) == S.RUNNING, timeout=30, what="the task to run")
    first.kill()
    clusters()
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED), timeout=120, what="recovery")
    assert_completed_once(job, emulator, prompt)


def test_a_worker_killed_while_downloading_is_resumed(alice, emulator, clusters):
    first = clusters()
    prompt = unique("[fault:slow_download] Killed in download")
    job = make_job(alice, prompt, n=2)
    wait_for(lambda: status_of(job) == S.DOWNLOADING, timeout=30, what="the download to start")
    first.kill()
    clusters()
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED, S.EXPIRED), timeout=120, what="recovery")
    assert_completed_once(job, emulator, prompt)


def test_a_sync_only_model_runs_through_the_queue(alice, emulator, clusters):
    # z-image-turbo answers with its image at once: the submit worker rings the download itself.
    clusters()
    prompt = unique("A neon street in the rain")
    job = make_job(alice, prompt, model="z-image-turbo", n=None, size="1024*1024")
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED), timeout=60, what="the job to finish")
    job.refresh_from_db()
    assert job.status == S.SUCCEEDED, (job.error_code, job.error_message)
    assert stats(emulator)["sync_by_prompt"].get(prompt) == 1 and stats(emulator)["by_prompt"].get(prompt) is None
    assert job.images_stored == job.usage_image_count == 1 and job.task_id is None


def test_an_interleaved_answer_runs_through_the_queue(alice, emulator, clusters):
    clusters()
    prompt = unique("A three-step guide to latte art")
    job = make_job(alice, prompt, model="wan2.6-image", n=None, size="1024*1024", enable_interleave=True, max_images=3)
    wait_for(lambda: status_of(job) in (S.SUCCEEDED, S.FAILED), timeout=60, what="the job to finish")
    assert_completed_once(job, emulator, prompt)
    assert [part.get("text", "").startswith("Step") for part in job.output_parts] == [True, False] * 3
