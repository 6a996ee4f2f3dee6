"""/api/v1/ endpoints: webhooks. A team admin's business only: a token of a teammate without the
admin role is refused (403); another team's endpoint is not found (404).

Reference: Standard Webhooks (https://www.standardwebhooks.com/) for the secret and signatures.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictStr

from studio.accounts import teams
from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.numbers import parse_whole
from studio.webhooks import endpoints
from studio.webhooks.events import EVENT_TYPES
from studio.webhooks.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])
DELIVERIES_LISTED = 50


class EndpointIn(Schema):
    url: StrictStr = Field(max_length=endpoints.URL_MAX, description="Where to POST events: http(s), a public address unless the operator allows a private one.")
    description: StrictStr = Field("", max_length=endpoints.DESCRIPTION_MAX)
    event_types: list[StrictStr] = Field(default_factory=list, max_length=len(EVENT_TYPES), description=f"Any of {', '.join(EVENT_TYPES)}; empty for all.")


def _admin(request: HttpRequest):
    caller = request.auth
    if not teams.can_administer(teams.membership_of(caller.user, caller.team)):
        raise ApiError(403, "forbidden", "Only a team admin manages webhooks.")
    return caller.team


def _endpoint(team, webhook_id: str) -> WebhookEndpoint:
    pk = parse_whole(webhook_id)
    found = WebhookEndpoint.objects.filter(team=team, pk=pk).first() if pk is not None else None
    if found is None:
        raise not_found("webhook endpoint")
    return found


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def endpoint_json(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict:
    data = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types or list(EVENT_TYPES),
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": _stamp(endpoint.created_at),
    }
    if with_secret:
        data["secret"] = endpoint.secret
    return data


def delivery_json(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "msg_id": delivery.message.msg_id,
        "event_type": delivery.message.event_type,
        "status": delivery.status,
        "attempts": [
            {
                "number": a.number,
                "started_at": _stamp(a.started_at),
                "duration_ms": a.duration_ms,
                "response_status": a.response_status,
                "error": a.error,
                "ok": a.ok,
            }
            for a in delivery.attempt_log.all()
        ],
        "next_attempt_at": _stamp(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "created_at": _stamp(delivery.created_at),
        "payload": delivery.message.payload,
    }


@router.get("/webhooks", summary="The team's webhook endpoints (team admins)")
def list_webhooks(request: HttpRequest) -> dict:
    team = _admin(request)
    return {"webhooks": [endpoint_json(e) for e in WebhookEndpoint.objects.filter(team=team)]}


@router.post("/webhooks", summary="Register an endpoint; the answer carries its signing secret", response={201: dict})
def create_webhook(request: HttpRequest, body: EndpointIn) -> Status:
    team = _admin(request)
    try:
        endpoint = endpoints.endpoint_create(
            team=team, url=body.url, description=body.description, event_types=body.event_types, by=request.auth.user
        )
    except endpoints.EndpointProblem as problem:
        path = f"body.{problem.field}"
        if problem.field == "event_types":
            bad = next((i for i, t in enumerate(body.event_types) if t not in EVENT_TYPES), None)
            path += f"[{bad}]" if bad is not None else ""
        raise invalid([Problem(path, problem.message)]) from problem
    return Status(201, endpoint_json(endpoint, with_secret=True))


@router.get("/webhooks/{webhook_id}", summary="One endpoint, with its signing secret")
def get_webhook(request: HttpRequest, webhook_id: str) -> dict:
    return endpoint_json(_endpoint(_admin(request), webhook_id), with_secret=True)


@router.delete("/webhooks/{webhook_id}", summary="Remove an endpoint and its deliveries", response={204: None})
def delete_webhook(request: HttpRequest, webhook_id: str) -> Status:
    endpoints.endpoint_delete(endpoint=_endpoint(_admin(request), webhook_id))
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", summary="The endpoint's latest deliveries, each with its attempts")
def list_deliveries(request: HttpRequest, webhook_id: str) -> dict:
    endpoint = _endpoint(_admin(request), webhook_id)
    deliveries = endpoint.deliveries.select_related("message").prefetch_related("attempt_log").order_by("-created_at", "-pk")
    return {"deliveries": [delivery_json(d) for d in deliveries[:DELIVERIES_LISTED]]}
