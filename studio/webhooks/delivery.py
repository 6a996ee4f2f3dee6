"""Delivering one message to one endpoint, with the database as the truth.

An attempt first claims the delivery with a conditional update (still pending, still at the
attempt count it read, due): two workers rung for the same delivery never send the same attempt
twice. The claim pushes `next_attempt_at` past the request's timeout, so a worker killed mid-send
leaves a delivery the minute sweep finds due again: it is then sent once more. Standard Webhooks
allows that duplicate — the consumer dedupes by `webhook-id`, which stays the message's id.

The attempt is logged before the request goes out (like a healthchecks "sending" row) and its
outcome written after, so even a killed attempt is visible. A delivery runs in its own queue task,
never in a job's transaction: an endpoint that keeps failing only accumulates failed deliveries.

Reference: Standard Webhooks, spec/standard-webhooks.md ("Signature scheme", "Retry schedule").
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from studio.egress import EgressRefused, EgressRules
from studio.webhooks import ringing
from studio.webhooks.events import PING
from studio.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage

log = logging.getLogger(__name__)
D = DeliveryStatus

# The wait before each attempt: the first at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
# and no attempt later than a day after the first.
RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
GIVE_UP_AFTER = timedelta(hours=24)
# An endpoint whose every delivery failed for this long is disabled (Svix does the same).
DEAD_AFTER = timedelta(days=5)
DEAD_REASON = "Disabled by the studio: every delivery failed for 5 days. Fix the receiver, then enable it."
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# A claimed attempt is presumed dead (its worker killed) after this long, and is sent again.
CLAIM = timedelta(seconds=60)
BODY_KEPT = 500
USER_AGENT = "WanStudio-Webhooks/1"
DISABLED = "Not sent: the endpoint is disabled. Enable it, then retry."
INTERRUPTED = "The worker stopped before the answer was recorded; the delivery is sent again."


class Attempted(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    NOT_DUE = "not_due"  # someone else claimed it, it is done, or its time has not come


@dataclass(frozen=True)
class Answer:
    ok: bool
    status: int | None = None
    body: str = ""
    error: str = ""


def delivery_attempt(*, delivery_id: int) -> Attempted:
    """Claim the delivery if it is due, send it once, and record the outcome."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return Attempted.NOT_DUE
    delivery, attempt = claimed
    began = time.monotonic()
    if delivery.endpoint.active or delivery.message.event_type == PING:
        answer = send(delivery.endpoint, delivery.message)
    else:
        answer = Answer(ok=False, error=DISABLED)
    attempt.duration_ms = round((time.monotonic() - began) * 1000)
    attempt.ok, attempt.response_status = answer.ok, answer.status
    attempt.response_body, attempt.error = answer.body[:BODY_KEPT], answer.error[:BODY_KEPT]
    return _record(delivery, attempt)


def _claim(delivery_id: int) -> tuple[WebhookDelivery, WebhookAttempt] | None:
    now = timezone.now()
    due = WebhookDelivery.objects.filter(pk=delivery_id, status=D.PENDING, next_attempt_at__lte=now)
    seen = due.values_list("attempts", flat=True).first()
    if seen is None:
        return None
    if sending(now) >= settings.WEBHOOK_MAX_SENDING:
        # Left due: the attempt that finishes next rings it (`_ring_next`), else the sweep does.
        return None
    with transaction.atomic():
        if not due.filter(attempts=seen).update(
            attempts=F("attempts") + 1,
            next_attempt_at=now + CLAIM,
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(now)),
        ):
            return None
        delivery = WebhookDelivery.objects.select_related("endpoint", "message").get(pk=delivery_id)
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, started_at=now, error=INTERRUPTED)
    return delivery, attempt


def send(endpoint: WebhookEndpoint, message: WebhookMessage) -> Answer:
    """POST the signed message; a 2xx answer is a delivery. Never raises: the reason is the answer."""
    body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False)
    stamp = timezone.now()
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(message.msg_id, stamp, body),
    }
    rules = EgressRules.from_settings()
    try:
        rules.check(endpoint.url)
        # No redirects: a 3xx is an answer (not a delivery), never a second request elsewhere.
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
            with client.stream("POST", endpoint.url, content=body.encode(), headers=headers) as response:
                rules.check_peer(response)
                text = _first_bytes(response)
    except EgressRefused as exc:
        return Answer(ok=False, error=f"Not sent: {exc}.")
    except httpx.TimeoutException:
        return Answer(ok=False, error=f"No answer within {TIMEOUT.read:.0f} seconds.")
    except httpx.HTTPError as exc:
        return Answer(ok=False, error=f"Could not connect: {type(exc).__name__}: {exc}"[:BODY_KEPT])
    ok = 200 <= response.status_code < 300
    error = "" if ok else f"The endpoint answered {response.status_code}; only a 2xx answer counts as delivered."
    if 300 <= response.status_code < 400:
        error += " Redirects are not followed."
    return Answer(ok=ok, status=response.status_code, body=text, error=error)


def _first_bytes(response: httpx.Response) -> str:
    kept = b""
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= BODY_KEPT:
            break
    return kept[:BODY_KEPT].decode("utf-8", errors="replace")


def sending(now: datetime) -> int:
    """How many attempts are being sent right now (claimed, outcome not yet recorded). A soft
    limit: two workers may both see room for one more; that is still a bounded number."""
    return _claims_holding(now).count()


def _claims_holding(now: datetime):
    # The latest attempt of a pending delivery, outcome not recorded, its claim not lapsed.
    return WebhookAttempt.objects.filter(
        error=INTERRUPTED, number=F("delivery__attempts"), delivery__status=D.PENDING, delivery__next_attempt_at__gt=now
    )


def _ring_next() -> None:
    # A slot is free again: hand it to the delivery that has waited longest.
    first = WebhookDelivery.objects.filter(status=D.PENDING, next_attempt_at__lte=timezone.now())
    pk = first.order_by("next_attempt_at").values_list("pk", flat=True).first()
    if pk is not None:
        ringing.ring(pk)


def _record(delivery: WebhookDelivery, attempt: WebhookAttempt) -> Attempted:
    if not WebhookDelivery.objects.filter(pk=delivery.pk).exists():
        return Attempted.NOT_DUE  # the admin removed the endpoint while it was being sent
    outcome = _save_outcome(delivery, attempt)
    _ring_next()
    return outcome


def _save_outcome(delivery: WebhookDelivery, attempt: WebhookAttempt) -> Attempted:
    now = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=D.PENDING, attempts=attempt.number)
    with transaction.atomic():
        attempt.save()
        if attempt.ok:
            mine.update(status=D.DELIVERED, finished_at=now)
            return Attempted.DELIVERED
        disabled = attempt.error == DISABLED
        when = None if disabled else next_attempt_after(attempt.number, first=delivery.first_attempt_at or attempt.started_at, now=now)
        if when is None:
            mine.update(status=D.FAILED, finished_at=now)
            log.info("webhook delivery %s failed for good after %s attempts", delivery.pk, attempt.number)
            _disable_if_dead(delivery.endpoint_id, now)
            return Attempted.FAILED
        # Rung when due by the minute sweep, or sooner by an attempt that frees a sending slot.
        mine.update(next_attempt_at=when)
    return Attempted.RETRYING


def _disable_if_dead(endpoint_id: int, now: datetime) -> None:
    """Disable an endpoint whose deliveries have all failed for DEAD_AFTER: it is gone, and
    keeping on sending to it only piles up failures. An admin enables it again on its page."""
    since = now - DEAD_AFTER
    mine = WebhookDelivery.objects.filter(endpoint_id=endpoint_id)
    if mine.filter(status=D.DELIVERED, finished_at__gt=since).exists():
        return
    if not mine.filter(status=D.FAILED, first_attempt_at__lte=since).exists():
        return
    if WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(active=False, disabled_reason=DEAD_REASON):
        log.warning("webhook endpoint %s disabled: nothing delivered for %s", endpoint_id, DEAD_AFTER)


def next_attempt_after(attempts: int, *, first: datetime, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed ones, or None once the day is over."""
    wait = RETRY_SCHEDULE[attempts] if attempts < len(RETRY_SCHEDULE) else RETRY_SCHEDULE[-1]
    when = now + wait
    return None if when > first + GIVE_UP_AFTER else when


def delivery_retry_now(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """An admin's "retry now": a pending delivery is due at once; a failed one gets a fresh day."""
    now = timezone.now()
    if delivery.status == D.FAILED:
        WebhookDelivery.objects.filter(pk=delivery.pk, status=D.FAILED).update(
            status=D.PENDING, next_attempt_at=now, first_attempt_at=None, finished_at=None
        )
    elif delivery.status == D.PENDING and not _in_flight(delivery, now):
        WebhookDelivery.objects.filter(pk=delivery.pk, status=D.PENDING, attempts=delivery.attempts).update(
            next_attempt_at=now
        )
    ringing.ring(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _in_flight(delivery: WebhookDelivery, now: datetime) -> bool:
    # An attempt whose claim still holds is being sent right now: let it finish.
    return _claims_holding(now).filter(delivery=delivery).exists()


def ring_due(limit: int = 200) -> int:
    """Ring every pending delivery whose time has come (the minute sweep calls this). A second
    message for a delivery already rung does nothing: the claim takes it once."""
    due = WebhookDelivery.objects.filter(status=D.PENDING, next_attempt_at__lte=timezone.now())
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for pk in ids:
        ringing.ring(pk)
    return len(ids)
