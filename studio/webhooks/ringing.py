"""Queue messages that tell a worker to attempt one delivery.

A message carries only the delivery id; it may be lost or arrive twice. The attempt claims the
delivery with a conditional update (studio.webhooks.delivery), so a second message does nothing
and a lost one is rung again by the minute sweep. The webhooks room sits below the pipeline, so it
rings its own doorbell rather than the pipeline's (studio.pipeline.dispatch).
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task

TASK = "studio.webhooks.tasks.deliver_webhook"
GROUP = "webhook"


def ring(delivery_id: int) -> None:
    """Queue an attempt once the current transaction (if any) has committed."""
    transaction.on_commit(lambda: enqueue(delivery_id))


def enqueue(delivery_id: int) -> None:
    async_task(TASK, delivery_id, group=GROUP)
