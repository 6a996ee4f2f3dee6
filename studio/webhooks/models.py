"""Webhook endpoints a team registers, the events (messages) the studio emits, one delivery per
endpoint and message, and every attempt at a delivery.

Reference: Standard Webhooks (https://www.standardwebhooks.com/, spec/standard-webhooks.md) — a
message has one id (`webhook-id`) however often it is sent; the consumer dedupes by it.
"""

from __future__ import annotations

import base64
import json
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

SECRET_PREFIX = "whsec_"
# The spec asks for 24 to 64 random bytes; 32 like most senders.
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


class WebhookEndpoint(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=120, default=new_secret)
    # Empty: every event type (studio.webhooks.events.EVENT_TYPES).
    event_types = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    # Why the studio disabled it by itself (every delivery failing for days); empty otherwise.
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        # A ping is always delivered: it is how an admin checks the endpoint at all.
        return event_type == "ping" or not self.event_types or event_type in self.event_types


class WebhookMessage(models.Model):
    """One event, written in the same transaction as the change it tells of (an outbox row)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="webhook_messages")
    msg_id = models.CharField(max_length=40, unique=True, default=new_message_id)
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def payload_text(self) -> str:
        return json.dumps(self.payload, indent=2, ensure_ascii=False)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One message to one endpoint: pending until an attempt gets a 2xx, failed after 24 hours."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt is due; while an attempt runs, when its claim lapses.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "message"], name="one_delivery_per_endpoint")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    @property
    def event_type(self) -> str:
        return self.message.event_type

    @property
    def msg_id(self) -> str:
        return self.message.msg_id


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The first bytes of the answer, or why nothing was sent or no answer came.
    response_body = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    ok = models.BooleanField(default=False)

    class Meta:
        ordering = ["number", "pk"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")]
