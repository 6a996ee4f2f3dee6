"""django-q2 entry point: a thin doorbell taking a delivery id (studio.webhooks.ringing)."""

from __future__ import annotations

from studio.webhooks import delivery


def deliver_webhook(delivery_id: int) -> str:
    # The queue stores a task's result: a plain string reads back whatever the code becomes.
    return delivery.delivery_attempt(delivery_id=delivery_id).value
