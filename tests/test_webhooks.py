"""Webhooks in one process: events written with the job's end, signed deliveries to a real
loopback receiver, the retry schedule, the egress rules, and the admin's pages and API.

The queue is not running here: each test attempts deliveries itself (`delivery_attempt`), and
moves `next_attempt_at` rather than waiting out a backoff step.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from studio.api.tokens import token_create
from studio.pipeline import submit, transitions
from studio.pipeline.jobs import job_cancel
from studio.pipeline.models import JobStatus
from studio.pipeline.store import job_download
from studio.webhooks import delivery as hooks
from studio.webhooks.endpoints import EndpointProblem, endpoint_create
from studio.webhooks.events import emit
from studio.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from tests.pipeline_helpers import new_job, poll
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db
S = JobStatus
LOOPBACK = ["127.0.0.1/32"]


@pytest.fixture
def loopback_allowed(settings):
    settings.OUTGOING_ALLOWED_NETWORKS = LOOPBACK


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def hook(alice, lighthouse, loopback_allowed, receiver) -> WebhookEndpoint:
    return endpoint_create(team=lighthouse, url=receiver.url, by=alice)


def attempt(delivery: WebhookDelivery) -> str:
    return hooks.delivery_attempt(delivery_id=delivery.pk).value


def make_due(delivery: WebhookDelivery) -> None:
    # Time shifting instead of sleeping out a backoff step.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def failed_job(owner, capture):
    job = new_job(owner, capture)
    transitions.move(job.pk, S.QUEUED, S.FAILED, error_code="Boom", error_message="It broke.")
    return job


# --- events are written with the job's end ----------------------------------------------------


def test_a_failed_job_emits_job_failed_to_each_subscribed_endpoint(alice, lighthouse, hook, django_capture_on_commit_callbacks):
    only_success = endpoint_create(team=lighthouse, url=hook.url, event_types=["job.succeeded"])
    job = failed_job(alice, django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get()
    assert message.event_type == "job.failed" and message.team == lighthouse
    assert message.msg_id.startswith("msg_")
    assert message.payload["type"] == "job.failed"
    assert message.payload["data"]["job"]["id"] == job.pk
    assert message.payload["data"]["job"]["error"] == {"code": "Boom", "message": "It broke."}
    assert [d.endpoint for d in WebhookDelivery.objects.all()] == [hook]
    assert not only_success.deliveries.exists()


def test_a_move_that_rolls_back_leaves_no_event(alice, hook, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    with pytest.raises(RuntimeError), transaction.atomic():
        transitions.move(job.pk, S.QUEUED, S.FAILED)
        raise RuntimeError("the worker died before the commit")
    job.refresh_from_db()
    assert job.status == S.QUEUED
    assert not WebhookMessage.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_move_that_lost_the_race_emits_nothing(alice, hook, django_capture_on_commit_callbacks):
    job = failed_job(alice, django_capture_on_commit_callbacks)
    assert not transitions.move(job.pk, S.QUEUED, S.FAILED)
    assert WebhookMessage.objects.count() == 1


def test_a_canceled_job_emits_job_canceled(alice, hook, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    job_cancel(job=job)
    assert WebhookMessage.objects.get().payload["data"]["job"]["status"] == "canceled"


def test_a_disabled_endpoint_and_another_team_get_nothing(alice, mallory, hook, django_capture_on_commit_callbacks):
    harbour = endpoint_create(team=mallory.teams.get(), url=hook.url)
    hook.active = False
    hook.save()
    failed_job(alice, django_capture_on_commit_callbacks)
    assert not WebhookMessage.objects.exists()
    assert not harbour.deliveries.exists()


def test_a_succeeded_job_announces_its_stored_images_and_cost(alice, hook, wired, wan, receiver, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, n=2)
    assert submit.job_submit(job_id=job.pk, client=wan) == "submitted"
    wired.clock.advance(60)
    poll(job, wan)
    assert not WebhookMessage.objects.exists(), "nothing is announced before the images are stored"
    assert job_download(job_id=job.pk) == "succeeded"
    data = WebhookMessage.objects.get().payload["data"]["job"]
    images = list(job.outputs.order_by("index"))
    assert data["status"] == "succeeded" and data["model"] == job.model
    assert data["images"] == [{"id": i.pk, "url": f"/api/v1/images/{i.pk}/file", "width": i.width, "height": i.height} for i in images]
    charge = job.ledger_entries.get()
    assert data["cost"] == {"amount": format(charge.cost.normalize(), "f"), "currency": charge.currency}
    assert attempt(WebhookDelivery.objects.get()) == "delivered"
    assert json.loads(receiver.received[0].body)["data"]["job"]["images"] == data["images"]


def test_emit_refuses_an_unknown_event_type(lighthouse):
    with pytest.raises(ValueError):
        emit(team_id=lighthouse.pk, type="job.exploded", data={})


# --- delivery -----------------------------------------------------------------------------------


def test_a_delivery_is_signed_the_standard_webhooks_way(alice, hook, receiver, django_capture_on_commit_callbacks):
    failed_job(alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert attempt(delivery) == "delivered"
    got = receiver.received[0]
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == delivery.message.msg_id
    payload = Webhook(hook.secret).verify(got.body, got.headers)
    assert payload == delivery.message.payload
    with pytest.raises(Exception):
        Webhook("whsec_" + "QUJD" * 8).verify(got.body, got.headers)
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    logged = WebhookAttempt.objects.get()
    assert logged.ok and logged.response_status == 200 and logged.response_body == "answered 200" and not logged.error


def test_the_secret_is_standard_webhooks_form():
    secret = WebhookEndpoint(url="https://example.com").secret
    assert secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24


def test_failures_are_retried_on_the_schedule_and_each_attempt_is_logged(alice, lighthouse, loopback_allowed, django_capture_on_commit_callbacks):
    with Receiver(500, 503, then=200) as flaky:
        endpoint_create(team=lighthouse, url=flaky.url)
        failed_job(alice, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        before = timezone.now()
        assert attempt(delivery) == "retrying"
        delivery.refresh_from_db()
        assert timedelta(seconds=4) < delivery.next_attempt_at - before < timedelta(seconds=7)
        assert attempt(delivery) == "not_due", "not before its time"
        make_due(delivery)
        assert attempt(delivery) == "retrying"
        delivery.refresh_from_db()
        assert timedelta(minutes=4) < delivery.next_attempt_at - before < timedelta(minutes=6)
        make_due(delivery)
        assert attempt(delivery) == "delivered"
        assert flaky.count() == 3
        assert len({r.headers["webhook-id"] for r in flaky.received}) == 1, "one message id across retries"
    logged = list(delivery.attempt_log.values_list("number", "response_status", "ok"))
    assert logged == [(1, 500, False), (2, 503, False), (3, 200, True)]
    assert "500" in delivery.attempt_log.first().error


def test_the_schedule_gives_up_a_day_after_the_first_attempt():
    first = timezone.now()
    waits = []
    when, n = first, 0
    while when is not None:
        n += 1
        nxt = hooks.next_attempt_after(n, first=first, now=when)
        if nxt is not None:
            waits.append(nxt - when)
        when = nxt
    assert waits == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5), timedelta(hours=10)]
    assert hooks.next_attempt_after(1, first=first - timedelta(hours=24), now=first) is None


def test_a_delivery_past_its_day_fails_for_good(alice, lighthouse, loopback_allowed, django_capture_on_commit_callbacks):
    with Receiver(then=500) as broken:
        endpoint_create(team=lighthouse, url=broken.url)
        failed_job(alice, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(first_attempt_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=58))
        assert attempt(delivery) == "failed"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.finished_at


def test_loopback_is_refused_unless_allowed_and_the_attempt_says_why(alice, lighthouse, settings, receiver, django_capture_on_commit_callbacks):
    settings.OUTGOING_ALLOWED_NETWORKS = LOOPBACK
    endpoint_create(team=lighthouse, url=receiver.url)
    settings.OUTGOING_ALLOWED_NETWORKS = []  # the operator withdrew the permission since
    failed_job(alice, django_capture_on_commit_callbacks)
    assert attempt(WebhookDelivery.objects.get()) == "retrying"
    assert receiver.count() == 0, "nothing was sent"
    logged = WebhookAttempt.objects.get()
    assert not logged.ok and logged.response_status is None
    assert "127.0.0.1" in logged.error and "private or local" in logged.error


def test_a_redirect_is_not_followed(alice, lighthouse, loopback_allowed, django_capture_on_commit_callbacks):
    with Receiver(307, then=200) as moved:
        endpoint_create(team=lighthouse, url=moved.url)
        failed_job(alice, django_capture_on_commit_callbacks)
        assert attempt(WebhookDelivery.objects.get()) == "retrying"
        assert moved.count() == 1
    assert "Redirects are not followed" in WebhookAttempt.objects.get().error


def test_two_workers_rung_for_one_delivery_send_it_once(alice, hook, receiver, django_capture_on_commit_callbacks):
    failed_job(alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    claimed = hooks._claim(delivery.pk)
    assert claimed is not None
    assert hooks._claim(delivery.pk) is None, "the second claim finds the attempt taken"
    assert attempt(delivery) == "not_due"
    assert receiver.count() == 0


def test_no_more_deliveries_are_sent_at_once_than_allowed(alice, hook, receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_SENDING = 1
    failed_job(alice, django_capture_on_commit_callbacks)
    failed_job(alice, django_capture_on_commit_callbacks)
    first, second = WebhookDelivery.objects.order_by("pk")
    assert hooks._claim(first.pk) is not None
    assert attempt(second) == "not_due", "the one sending slot is taken"
    with django_capture_on_commit_callbacks(execute=False) as rung:
        sent = first.attempt_log.get()
        sent.ok, sent.response_status, sent.error = True, 200, ""
        hooks._record(first, sent)
    assert len(rung) == 1, "the freed slot rings the waiting delivery"
    assert attempt(second) == "delivered"


def test_an_attempt_whose_worker_died_is_sent_again_after_its_claim_lapses(alice, hook, receiver, django_capture_on_commit_callbacks):
    failed_job(alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    hooks._claim(delivery.pk)  # ... and the worker is killed before it records anything
    assert hooks.ring_due() == 0, "the claim still holds"
    make_due(delivery)
    assert hooks.ring_due() == 1
    assert attempt(delivery) == "delivered"
    assert list(delivery.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]
    assert delivery.attempt_log.first().error == hooks.INTERRUPTED


def test_a_disabled_endpoints_pending_delivery_is_not_sent(alice, hook, receiver, django_capture_on_commit_callbacks):
    failed_job(alice, django_capture_on_commit_callbacks)
    WebhookEndpoint.objects.filter(pk=hook.pk).update(active=False)
    assert attempt(WebhookDelivery.objects.get()) == "failed"
    assert receiver.count() == 0


# --- endpoints: validated at save -----------------------------------------------------------------


def test_a_private_address_is_refused_at_save_with_the_reason(lighthouse):
    with pytest.raises(EndpointProblem) as refused:
        endpoint_create(team=lighthouse, url="http://127.0.0.1:9/hooks")
    assert refused.value.field == "url" and "private or local" in refused.value.message
    with pytest.raises(EndpointProblem, match="http"):
        endpoint_create(team=lighthouse, url="ftp://example.com/x")
    with pytest.raises(EndpointProblem, match="Unknown event type"):
        endpoint_create(team=lighthouse, url="http://93.184.215.14/x", event_types=["job.exploded"])


# --- pages ------------------------------------------------------------------------------------------


def test_the_admin_adds_an_endpoint_sees_its_secret_on_demand_and_rotates_it(alice_client, lighthouse, receiver, loopback_allowed):
    page = alice_client.get("/accounts/team/webhooks/")
    assert page.status_code == 200 and b"Add an endpoint" in page.content
    added = alice_client.post("/accounts/team/webhooks/add", {"url": receiver.url, "description": "CI", "event_types": ["job.succeeded"]})
    endpoint = WebhookEndpoint.objects.get()
    assert added.status_code == 302 and added["Location"] == f"/accounts/team/webhooks/{endpoint.pk}"
    assert endpoint.event_types == ["job.succeeded"] and endpoint.team == lighthouse
    shown = alice_client.get(f"/accounts/team/webhooks/{endpoint.pk}")
    assert endpoint.secret.encode() not in shown.content, "hidden until asked for"
    revealed = alice_client.post(f"/accounts/team/webhooks/{endpoint.pk}/secret")
    assert endpoint.secret.encode() in revealed.content
    alice_client.post(f"/accounts/team/webhooks/{endpoint.pk}/rotate")
    old = endpoint.secret
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


def test_a_loopback_url_is_refused_on_the_page_with_the_reason(alice_client):
    refused = alice_client.post("/accounts/team/webhooks/add", {"url": "http://127.0.0.1:8000/hooks"})
    assert refused.status_code == 422
    assert "private or local address" in refused.content.decode()
    assert 'value="http://127.0.0.1:8000/hooks"' in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_ping_disable_and_retry_now_from_the_pages(alice_client, hook, receiver):
    pinged = alice_client.post(f"/accounts/team/webhooks/{hook.pk}/ping")
    delivery = WebhookDelivery.objects.get()
    assert delivery.message.event_type == "ping"
    assert pinged["Location"] == f"/accounts/team/webhooks/{hook.pk}/deliveries/{delivery.pk}"
    assert attempt(delivery) == "delivered"
    page = alice_client.get(pinged["Location"]).content.decode()
    assert "Delivered" in page and "answered 200" in page
    alice_client.post(f"/accounts/team/webhooks/{hook.pk}/active", {"active": "0"})
    hook.refresh_from_db()
    assert not hook.active
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    alice_client.post(f"/accounts/team/webhooks/{hook.pk}/deliveries/{delivery.pk}/retry")
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at <= timezone.now()
    assert attempt(delivery) == "delivered", "a ping reaches even a disabled endpoint"


def test_a_teammate_without_the_admin_role_and_an_outsider_get_404(client, bob, mallory, hook):
    client.force_login(bob)
    assert client.get("/accounts/team/webhooks/").status_code == 404
    assert client.get(f"/accounts/team/webhooks/{hook.pk}").status_code == 404
    client.force_login(mallory)
    assert client.get("/accounts/team/webhooks/").status_code == 200
    for path in ("", "/secret", "/rotate", "/ping", "/delete"):
        method = client.get if path == "" else client.post
        assert method(f"/accounts/team/webhooks/{hook.pk}{path}").status_code == 404
    assert client.get(f"/accounts/team/webhooks/{10**30}").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()


# --- API --------------------------------------------------------------------------------------------


def api(client, method, path, secret, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if body is not None:
        kwargs.update(data=body if isinstance(body, str) else json.dumps(body), content_type="application/json")
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def test_the_api_registers_lists_shows_and_removes_endpoints(client, alice, lighthouse, receiver, loopback_allowed):
    secret = token_create(user=alice, team=lighthouse, name="hooks").secret
    made = api(client, "post", "/webhooks", secret, {"url": receiver.url, "event_types": ["job.failed"]})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["job.failed"]
    listed = api(client, "get", "/webhooks", secret).json()["webhooks"]
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    assert api(client, "get", f"/webhooks/{body['id']}", secret).json()["secret"] == body["secret"]
    emit(team_id=lighthouse.pk, type="job.failed", data={"job": {"id": 1}})
    attempt(WebhookDelivery.objects.get())
    deliveries = api(client, "get", f"/webhooks/{body['id']}/deliveries", secret).json()["deliveries"]
    assert deliveries[0]["status"] == "delivered" and deliveries[0]["attempts"][0]["response_status"] == 200
    assert api(client, "delete", f"/webhooks/{body['id']}", secret).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_bad_input_with_the_field_path(client, alice, lighthouse):
    secret = token_create(user=alice, team=lighthouse, name="hooks").secret
    cases = [
        ({"url": "http://127.0.0.1/x"}, "body.url", "private or local"),
        ({"url": 12}, "body.url", ""),
        ({"url": "https://93.184.215.14/x", "event_types": ["job.failed", "nope"]}, "body.event_types[1]", "Unknown"),
        ({"url": "https://93.184.215.14/x", "event_types": "job.failed"}, "body.event_types", ""),
        ({"url": "https://example.com/" + "x" * 600}, "body.url", ""),
    ]
    for body, path, words in cases:
        answer = api(client, "post", "/webhooks", secret, body)
        assert answer.status_code == 422, (body, answer.content)
        problem = answer.json()["error"]["problems"][0]
        assert problem["path"] == path and words in problem["message"], problem
    assert api(client, "post", "/webhooks", secret, "{not json").status_code == 400
    assert api(client, "get", "/webhooks/١٢", secret).status_code == 404
    assert api(client, "get", f"/webhooks/{10**30}", secret).status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_the_api_is_for_admins_of_the_team_only(client, alice, bob, mallory, lighthouse, hook):
    member = token_create(user=bob, team=lighthouse, name="bob").secret
    assert api(client, "get", "/webhooks", member).status_code == 403
    assert api(client, "post", "/webhooks", member, {"url": "https://93.184.215.14/x"}).status_code == 403
    outsider = token_create(user=mallory, team=mallory.teams.get(), name="m").secret
    assert api(client, "get", "/webhooks", outsider).json() == {"webhooks": []}
    for method, path in (("get", ""), ("delete", ""), ("get", "/deliveries")):
        assert api(client, method, f"/webhooks/{hook.pk}{path}", outsider).status_code == 404
    assert client.get("/api/v1/webhooks").status_code == 401
    assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()


def test_the_webhook_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/webhooks", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/{webhook_id}/deliveries"} <= set(schema["paths"])


def test_an_endpoint_removed_while_its_delivery_is_sent_is_simply_gone(alice, hook, django_capture_on_commit_callbacks):
    failed_job(alice, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    _, sent = hooks._claim(delivery.pk)
    hook.delete()
    sent.ok, sent.error = True, ""
    assert hooks._record(delivery, sent) == hooks.Attempted.NOT_DUE
    assert not WebhookAttempt.objects.exists()


def test_an_endpoint_failing_everything_for_five_days_is_disabled_with_the_reason(alice, lighthouse, alice_client, loopback_allowed, django_capture_on_commit_callbacks):
    with Receiver(then=500) as dead:
        endpoint = endpoint_create(team=lighthouse, url=dead.url)
        failed_job(alice, django_capture_on_commit_callbacks)
        old = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=old.pk).update(first_attempt_at=timezone.now() - timedelta(days=5, hours=1))
        assert attempt(old) == "failed"
    endpoint.refresh_from_db()
    assert not endpoint.active and "5 days" in endpoint.disabled_reason
    assert endpoint.disabled_reason in alice_client.get(f"/accounts/team/webhooks/{endpoint.pk}").content.decode()
    alice_client.post(f"/accounts/team/webhooks/{endpoint.pk}/active", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_reason == ""


def test_one_success_in_five_days_keeps_an_endpoint_enabled(alice, lighthouse, loopback_allowed, django_capture_on_commit_callbacks):
    with Receiver(200, then=500) as flaky:
        endpoint = endpoint_create(team=lighthouse, url=flaky.url)
        failed_job(alice, django_capture_on_commit_callbacks)
        assert attempt(WebhookDelivery.objects.get()) == "delivered"
        failed_job(alice, django_capture_on_commit_callbacks)
        later = WebhookDelivery.objects.filter(status="pending").get()
        WebhookDelivery.objects.filter(pk=later.pk).update(first_attempt_at=timezone.now() - timedelta(days=6))
        assert attempt(later) == "failed"
    endpoint.refresh_from_db()
    assert endpoint.active
