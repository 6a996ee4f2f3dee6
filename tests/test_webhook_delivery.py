"""Webhook delivery through real django-q2 clusters in real processes, to a real loopback
receiver (explicitly allowed with OUTGOING_ALLOWED_NETWORKS), with the emulator over HTTP.

Backoff steps are not waited out: the test moves a delivery's `next_attempt_at` and rings the
due ones (what the minute sweep does), so each retry happens at once.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from studio.pipeline.models import Job, JobStatus
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from studio.webhooks import delivery as hooks
from studio.webhooks.endpoints import endpoint_create
from studio.webhooks.models import WebhookDelivery
from tests.cluster import Cluster, cluster_env, wait_for
from tests.pipeline_helpers import make_job
from tests.webhook_receiver import HOLD, Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = JobStatus
LOOPBACK = "127.0.0.1/32"


@pytest.fixture
def emulator():
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.2, running_seconds=0.5)).start()
    yield server
    server.shutdown()


@pytest.fixture
def clusters(emulator, media, tmp_path, settings):
    settings.OUTGOING_ALLOWED_NETWORKS = [LOOPBACK]
    started: list[Cluster] = []

    def start() -> Cluster:
        env = cluster_env(emulator.url, OUTGOING_ALLOWED_NETWORKS=LOOPBACK)
        cluster = Cluster(env, tmp_path / f"cluster-{len(started)}.log")
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


def ended(*jobs: Job) -> bool:
    return Job.objects.filter(pk__in=[j.pk for j in jobs], status__in=[S.SUCCEEDED, S.FAILED]).count() == len(jobs)


def unique(prompt: str) -> str:
    return f"{prompt} #{uuid.uuid4().hex[:8]}"


def shift_and_ring(delivery: WebhookDelivery) -> None:
    """The next backoff step is due now; ring it as the sweep would."""
    WebhookDelivery.objects.filter(pk=delivery.pk, status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    hooks.ring_due()


def test_a_succeeded_job_is_delivered_once_with_a_valid_signature(alice, lighthouse, clusters):
    with Receiver() as receiver:
        endpoint = endpoint_create(team=lighthouse, url=receiver.url)
        clusters()
        job = make_job(alice, unique("A lighthouse at dawn"), n=2)
        wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists(), timeout=90, what="the delivery")
        assert receiver.count() == 1
        got = receiver.received[0]
    event = Webhook(endpoint.secret).verify(got.body, got.headers)
    job.refresh_from_db()
    assert job.status == S.SUCCEEDED
    assert event["type"] == "job.succeeded" and event["data"]["job"]["id"] == job.pk
    assert len(event["data"]["job"]["images"]) == 2 == job.outputs.count()
    assert WebhookDelivery.objects.get().attempts == 1


def test_a_receiver_failing_twice_gets_three_logged_attempts_while_jobs_keep_flowing(alice, lighthouse, clusters):
    with Receiver(500, 500, then=200) as receiver:
        # Only failures are announced, so the jobs made meanwhile send nothing to this receiver.
        endpoint_create(team=lighthouse, url=receiver.url, event_types=["job.failed"])
        clusters()
        first = make_job(alice, unique("[fault:task_failed] First"))
        wait_for(lambda: receiver.count() == 1, timeout=90, what="the first attempt")
        delivery = WebhookDelivery.objects.get()
        wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).attempt_log.filter(response_status=500).count() == 1, what="attempt 1 logged")
        # While the delivery waits for its next step, other jobs still run to the end.
        others = [make_job(alice, unique(f"Meanwhile {i}")) for i in range(2)]
        wait_for(lambda: ended(*others), timeout=90, what="the other jobs")
        assert Job.objects.filter(pk__in=[o.pk for o in others], status=S.SUCCEEDED).count() == 2
        for expected in (2, 3):
            shift_and_ring(delivery)
            wait_for(
                lambda: delivery.attempt_log.filter(number=expected).exclude(error=hooks.INTERRUPTED).exists(),
                timeout=60,
                what=f"attempt {expected} logged",
            )
        wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered", timeout=30, what="delivered")
        firsts = [r for r in receiver.received if json.loads(r.body)["data"]["job"]["id"] == first.pk]
    assert len(firsts) == 3 and len({r.headers["webhook-id"] for r in firsts}) == 1
    assert list(delivery.attempt_log.values_list("number", "response_status", "ok")) == [(1, 500, False), (2, 500, False), (3, 200, True)]


def test_an_endpoint_that_always_fails_does_not_delay_other_jobs(alice, lighthouse, clusters):
    with Receiver(then=500) as broken:
        endpoint_create(team=lighthouse, url=broken.url)
        clusters()
        started = time.monotonic()
        jobs = [make_job(alice, unique(f"Batch {i}")) for i in range(6)]
        wait_for(lambda: ended(*jobs), timeout=120, what="every job")
        took = time.monotonic() - started
        # Every failure retried at once: the worst an endpoint can do, and jobs still finish.
        for _ in range(3):
            for d in WebhookDelivery.objects.filter(status="pending"):
                shift_and_ring(d)
        wait_for(lambda: broken.count() >= 6, timeout=60, what="the deliveries to be tried")
    assert Job.objects.filter(pk__in=[j.pk for j in jobs], status=S.SUCCEEDED).count() == 6
    assert not WebhookDelivery.objects.filter(status="delivered").exists()
    print(f"6 jobs ended in {took:.1f}s while their endpoint failed every delivery")


def test_an_endpoint_that_hangs_holds_at_most_its_share_of_the_workers(alice, lighthouse, clusters, settings):
    # Two workers, so at most one sends webhooks (WEBHOOK_MAX_SENDING); each send waits out the
    # 10 s timeout, and jobs run on the other worker meanwhile.
    assert settings.WEBHOOK_MAX_SENDING == 1
    with Receiver(then=HOLD) as hanging:
        endpoint_create(team=lighthouse, url=hanging.url)
        clusters()
        first = make_job(alice, unique("Before the hang"))
        assert hanging.holding.wait(90), "a delivery is hanging"
        started = time.monotonic()
        jobs = [make_job(alice, unique(f"During the hang {i}")) for i in range(4)]
        wait_for(lambda: ended(first, *jobs), timeout=60, what="every job")
        took = time.monotonic() - started
        assert WebhookDelivery.objects.filter(status="pending").count() >= 4, "the deliveries are still waiting their turn"
        assert hanging.count() <= 2
    print(f"4 jobs ended in {took:.1f}s while every delivery hung for the 10 s timeout")


def test_a_worker_killed_mid_delivery_delivers_after_restart(alice, lighthouse, clusters):
    with Receiver(HOLD, then=200) as receiver:
        endpoint_create(team=lighthouse, url=receiver.url)
        first = clusters()
        make_job(alice, unique("Killed while delivering"))
        assert receiver.holding.wait(90), "the delivery reached the receiver"
        first.kill()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempt_log.get().error == hooks.INTERRUPTED
        # The dead attempt's claim lapses (moved, not waited out); a fresh worker's start sweep rings it.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        clusters()
        wait_for(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered", timeout=90, what="redelivery")
        assert receiver.count() == 2
        assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert list(delivery.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]
