"""Reads of a team's webhooks: one get-or-404 per model, scoped to the team (another team's
endpoint or delivery is the same 404 as an unknown id)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from studio.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


def endpoints_of(team) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(team=team).annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def endpoint_of(team, endpoint_id: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, team=team, pk=endpoint_id)


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = RECENT_DELIVERIES) -> QuerySet[WebhookDelivery]:
    return endpoint.deliveries.select_related("message").order_by("-created_at", "-pk")[:limit]


def delivery_of(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    return get_object_or_404(WebhookDelivery.objects.select_related("message", "endpoint"), endpoint=endpoint, pk=delivery_id)
