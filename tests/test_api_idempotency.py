"""Idempotency-Key as Stripe honours it: the same key and body replay the first answer; another
body with the key is refused; a twin arriving while the first runs gets 409; answers that are
refusals of the request itself are not kept; keys are kept 24 hours."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.accounting.models import LedgerEntry
from studio.api.idempotency import idempotency_purge
from studio.api.models import ApiReference, IdempotencyKey
from studio.pipeline.models import Job, JobStatus
from tests.api_job_helpers import (  # noqa: F401 (fixtures)
    Api,
    emulator_stats,
    emulator_timing,
    fast_emulator,
    http_api,
    problems,
    secret_for,
    studio_url,
)
from tests.cluster import wait_for
from tests.images import png_bytes

MODEL = "wan2.7-image"
KEY = {"Idempotency-Key": "order-7f3a"}


@pytest.fixture
def api(client, alice, media):
    return Api(client, secret_for(alice))


def job_body(prompt: str = "A lighthouse at dawn", **changes) -> dict:
    return {"model": MODEL, "prompt": prompt, "size": "1K", "n": 1, "seed": 7, **changes}


@pytest.mark.django_db
def test_the_same_key_and_body_replay_the_first_answer(api):
    first = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # The same JSON spelled differently is the same request.
    again = api.post("/api/v1/jobs", raw='{"n":1, "seed":7, "size":"1K", "prompt":"A lighthouse at dawn", "model":"wan2.7-image"}', headers=KEY)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_naming_the_header(api):
    api.post("/api/v1/jobs", job_body(), headers=KEY)
    refused = api.post("/api/v1/jobs", job_body("Another prompt"), headers=KEY)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "idempotency_mismatch"
    assert list(problems(refused)) == ["header.Idempotency-Key"]
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_a_key_is_per_team(api, client, mallory, media):
    api.post("/api/v1/jobs", job_body(), headers=KEY)
    theirs = Api(client, secret_for(mallory, "Harbour")).post("/api/v1/jobs", job_body(), headers=KEY)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert Job.objects.count() == 2


@pytest.mark.django_db
def test_a_request_refused_as_invalid_is_not_kept(api):
    assert api.post("/api/v1/jobs", job_body(n=99), headers=KEY).status_code == 422  # the gate's refusal
    assert api.post("/api/v1/jobs", job_body(n="1"), headers=KEY).status_code == 422  # the schema's
    corrected = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected


@pytest.mark.django_db
def test_a_budget_refusal_is_an_answer_and_is_replayed(api, lighthouse):
    from studio.accounting.models import TeamBudget

    TeamBudget.objects.create(team=lighthouse, monthly_images=0, monthly_amount=None, currency="USD")
    first = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert first.status_code == 402
    again = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert (again.status_code, again["Idempotent-Replayed"], again.json()) == (402, "true", first.json())


@pytest.mark.django_db
def test_a_twin_while_the_first_is_running_gets_409(api):
    assert api.post("/api/v1/jobs", job_body(), headers=KEY).status_code == 201
    # As the row stands while the first request is still at work: inserted, not yet answered.
    IdempotencyKey.objects.update(status=None, response=None)
    running = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "in_progress" and running["Retry-After"] == "1"
    assert Job.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_kept_24_hours(api):
    first = api.post("/api/v1/jobs", job_body(), headers=KEY).json()
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    assert api.post("/api/v1/jobs", job_body(), headers=KEY).json() == first
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    later = api.post("/api/v1/jobs", job_body(), headers=KEY)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert later.json()["id"] != first["id"]


@pytest.mark.django_db
def test_the_purge_deletes_expired_keys_only(api, lighthouse):
    api.post("/api/v1/jobs", job_body(), headers=KEY)
    api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "fresh"})
    IdempotencyKey.objects.filter(key=KEY["Idempotency-Key"]).update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 256, "tab\there"])
def test_a_bad_key_is_refused_naming_the_header(api, key):
    refused = api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": key})
    assert refused.status_code == 422
    assert list(problems(refused)) == ["header.Idempotency-Key"]
    assert Job.objects.count() == 0


@pytest.mark.django_db
def test_a_reference_by_url_is_fetched_once_per_key(api, settings):
    from tests.http_script_server import ScriptServer, answer

    settings.OUTGOING_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with ScriptServer() as server:
        server.script(answer(200, png_bytes(400, 300)))
        body = {"url": server.url + "/cat.png"}
        first = api.post("/api/v1/references", body, headers=KEY)
        again = api.post("/api/v1/references", body, headers=KEY)
        assert len(server.requests) == 1
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert ApiReference.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_job_one_task_one_charge(alice, studio_url, fast_emulator):
    prompt = f"Twelve at once #{uuid.uuid4().hex[:8]}"
    body = job_body(prompt)
    secret = secret_for(alice)
    answers: list = []
    start = threading.Barrier(8)

    def send():
        with http_api(studio_url, secret) as http:
            start.wait()
            answers.append(http.post("/jobs", json=body, headers={"Idempotency-Key": "twelve"}))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    made = [a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers]
    assert len(made) == 1
    job_id = made[0].json()["id"]
    assert {a.json()["id"] for a in answers if a.status_code == 201} == {job_id}
    for a in answers:
        if a.status_code == 409:
            assert a.json()["error"]["code"] == "in_progress"
    with http_api(studio_url, secret) as http:
        # A retry after the first answered is a replay, not a second job.
        assert http.post("/jobs", json=body, headers={"Idempotency-Key": "twelve"}).json()["id"] == job_id
    wait_for(lambda: Job.objects.get(pk=job_id).status in (JobStatus.SUCCEEDED, JobStatus.FAILED), timeout=60, what="the job")
    assert Job.objects.get(pk=job_id).status == JobStatus.SUCCEEDED
    assert Job.objects.filter(prompt=prompt).count() == 1
    assert emulator_stats(fast_emulator)["by_prompt"] == {prompt: 1}, "one provider task"
    charges = LedgerEntry.objects.filter(job_id=job_id)
    assert charges.count() == 1 and charges.get().image_count == 1


@pytest.mark.django_db
def test_a_key_whose_first_request_died_is_taken_over_by_the_retry(api):
    # A process killed mid-request committed neither a job nor an answer: only the key's row.
    first = api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "died"})
    row = IdempotencyKey.objects.get(key="died")
    Job.objects.all().delete()
    IdempotencyKey.objects.filter(pk=row.pk).update(status=None, response=None, completed_at=None)
    # Recent: the first request may still be running.
    assert api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "died"}).status_code == 409
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    retried = api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "died"})
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert retried.json()["id"] != first.json()["id"]
    assert Job.objects.count() == 1
    # And from then on it is an ordinary saved answer.
    assert api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "died"})["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_dead_key_is_not_taken_over_by_another_request(api):
    api.post("/api/v1/jobs", job_body(), headers={"Idempotency-Key": "died"})
    IdempotencyKey.objects.filter(key="died").update(status=None, response=None, created_at=timezone.now() - timedelta(minutes=3))
    other = api.post("/api/v1/jobs", job_body("Something else"), headers={"Idempotency-Key": "died"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_mismatch"
