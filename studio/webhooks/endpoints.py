"""A team's webhook endpoints: add, rotate the secret, disable or enable, remove.

The URL is checked with the egress rules when it is saved, so an admin learns at once that a
private or loopback address is refused (and why) rather than from failed deliveries later; each
attempt checks again, since what a name resolves to can change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from studio.egress import EgressRefused, EgressRules
from studio.webhooks.events import EVENT_TYPES
from studio.webhooks.models import WebhookEndpoint, new_secret

URL_MAX = 500
DESCRIPTION_MAX = 200
# Enough for every service a team runs; more is more likely a script gone wrong.
ENDPOINTS_PER_TEAM = 20


@dataclass(frozen=True)
class EndpointProblem(ValueError):
    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def endpoint_create(*, team, url: str, description: str = "", event_types: Iterable[str] = (), by=None) -> WebhookEndpoint:
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise EndpointProblem("description", f"The description is {len(description)} characters; at most {DESCRIPTION_MAX}.")
    types = check_event_types(event_types)
    # Last: it may look the host up.
    url = check_url(url)
    with transaction.atomic():
        if WebhookEndpoint.objects.select_for_update().filter(team=team).count() >= ENDPOINTS_PER_TEAM:
            raise EndpointProblem("url", f"A team has at most {ENDPOINTS_PER_TEAM} webhook endpoints; remove one first.")
        return WebhookEndpoint.objects.create(team=team, url=url, description=description, event_types=types, created_by=by)


def check_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise EndpointProblem("url", "Give the URL the studio should send events to.")
    if len(url) > URL_MAX:
        raise EndpointProblem("url", f"The URL is {len(url)} characters; at most {URL_MAX}.")
    try:
        EgressRules.from_settings().check(url)
    except EgressRefused as exc:
        raise EndpointProblem("url", f"This URL is refused: {exc}.") from exc
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    types = list(dict.fromkeys(event_types))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise EndpointProblem("event_types", f"Unknown event type {unknown[0]!r}; choose from {', '.join(EVENT_TYPES)}.")
    return types


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    # Pending deliveries are signed at each attempt, so they carry the new secret from now on.
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


def endpoint_set_active(*, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    endpoint.active = active
    endpoint.disabled_reason = ""
    endpoint.save(update_fields=["active", "disabled_reason"])
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()
