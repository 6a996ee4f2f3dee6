"""Emitting events, outbox style: `emit` writes the message and one pending delivery per endpoint
that wants it in the caller's transaction, and rings the delivery only once that commits.

So a rolled-back change leaves no event, and a committed one always has its rows: a crash after
the commit at worst loses the ring, and the sweep (`delivery.ring_due`) rings it later.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from studio.webhooks import ringing
from studio.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookMessage

# What an endpoint may subscribe to; `ping` is the test event an admin sends by hand.
EVENT_TYPES = ("job.succeeded", "job.failed", "job.canceled", "batch.finished")
PING = "ping"


def emit(*, team_id: int | None, type: str, data: dict) -> WebhookMessage | None:
    """Record event `type` for every active endpoint of the team that subscribed to it.

    Call it inside the transaction that makes the change the event tells of. Returns the message,
    or None when no endpoint wants it (nothing is stored then).
    """
    if type not in EVENT_TYPES and type != PING:
        raise ValueError(f"unknown webhook event type {type!r}")
    if team_id is None:
        return None
    endpoints = [e for e in WebhookEndpoint.objects.filter(team_id=team_id, active=True) if e.wants(type)]
    if not endpoints:
        return None
    return _store(team_id=team_id, type=type, data=data, endpoints=endpoints)


def emit_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event to one endpoint, whatever it subscribed to (and even while disabled)."""
    message = _store(team_id=endpoint.team_id, type=PING, data={"endpoint": {"id": endpoint.pk}}, endpoints=[endpoint])
    return message.deliveries.get()


def _store(*, team_id: int, type: str, data: dict, endpoints: list[WebhookEndpoint]) -> WebhookMessage:
    now = timezone.now()
    payload = {"type": type, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    with transaction.atomic():
        message = WebhookMessage.objects.create(team_id=team_id, event_type=type, payload=payload, created_at=now)
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(endpoint=e, message=message, next_attempt_at=now, created_at=now) for e in endpoints]
        )
        for delivery in deliveries:
            ringing.ring(delivery.pk)
    return message
