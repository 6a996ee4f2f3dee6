"""The team's webhook pages: endpoints, their secret, test events, deliveries and attempts.

Team admins only. To anyone else — a teammate without the role, another team — the pages do not
exist (404): an endpoint's URL and secret are the admin's business, and a 404 tells an outsider
nothing. Thin: the services are in studio.webhooks.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studio.accounts import teams
from studio.webhooks import delivery, endpoints, events, selectors
from studio.webhooks.events import EVENT_TYPES


def _admin_team(request: HttpRequest):
    membership = teams.active_membership(request)
    if not teams.can_administer(membership):
        raise Http404("Only a team admin manages webhooks.")
    return membership.team


@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _admin_team(request))


def _list_page(request: HttpRequest, team, *, problem: endpoints.EndpointProblem | None = None, status: int = 200) -> HttpResponse:
    context = {
        "team": team,
        "endpoints": selectors.endpoints_of(team),
        "event_types": EVENT_TYPES,
        "problem": problem,
        "typed": request.POST if problem else {},
        "chosen": request.POST.getlist("event_types") if problem else [],
    }
    return render(request, "webhooks/endpoints.html", context, status=status)


@require_POST
def endpoint_add(request: HttpRequest) -> HttpResponse:
    team = _admin_team(request)
    try:
        endpoint = endpoints.endpoint_create(
            team=team,
            url=request.POST.get("url", ""),
            description=request.POST.get("description", ""),
            event_types=request.POST.getlist("event_types"),
            by=request.user,
        )
    except endpoints.EndpointProblem as problem:
        return _list_page(request, team, problem=problem, status=422)
    messages.success(request, _("Endpoint added. Copy its signing secret below to verify what the studio sends."))
    return redirect("webhooks:endpoint", endpoint.pk)


def _endpoint_page(request: HttpRequest, endpoint, *, reveal: bool = False) -> HttpResponse:
    context = {"endpoint": endpoint, "deliveries": selectors.deliveries_of(endpoint), "reveal": reveal}
    return render(request, "webhooks/endpoint.html", context)


@require_GET
def endpoint_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    return _endpoint_page(request, selectors.endpoint_of(_admin_team(request), endpoint_id))


@require_POST
def endpoint_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    # Shown on demand, by POST: the secret stays out of URLs, history and caches.
    return _endpoint_page(request, selectors.endpoint_of(_admin_team(request), endpoint_id), reveal=True)


@require_POST
def endpoint_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = endpoints.endpoint_rotate_secret(endpoint=selectors.endpoint_of(_admin_team(request), endpoint_id))
    messages.success(request, _("A new secret was made; the old one no longer signs anything. Update your receiver."))
    return _endpoint_page(request, endpoint, reveal=True)


@require_POST
def endpoint_active(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_of(_admin_team(request), endpoint_id)
    active = request.POST.get("active") == "1"
    endpoints.endpoint_set_active(endpoint=endpoint, active=active)
    messages.success(request, _("Endpoint enabled.") if active else _("Endpoint disabled: it gets no new events."))
    return redirect("webhooks:endpoint", endpoint.pk)


@require_POST
def endpoint_ping(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_of(_admin_team(request), endpoint_id)
    sent = events.emit_ping(endpoint=endpoint)
    messages.success(request, _("A test event (ping) is on its way; its delivery is listed below."))
    return redirect("webhooks:delivery", endpoint.pk, sent.pk)


@require_POST
def endpoint_remove(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_of(_admin_team(request), endpoint_id)
    endpoints.endpoint_delete(endpoint=endpoint)
    messages.success(request, _("Endpoint removed with its deliveries."))
    return redirect("webhooks:list")


@require_GET
def delivery_page(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_of(_admin_team(request), endpoint_id)
    found = selectors.delivery_of(endpoint, delivery_id)
    context = {"endpoint": endpoint, "delivery": found, "attempts": found.attempt_log.all()}
    return render(request, "webhooks/delivery.html", context)


@require_POST
def delivery_retry(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    endpoint = selectors.endpoint_of(_admin_team(request), endpoint_id)
    delivery.delivery_retry_now(delivery=selectors.delivery_of(endpoint, delivery_id))
    messages.success(request, _("The delivery will be attempted again now."))
    return redirect("webhooks:delivery", endpoint.pk, delivery_id)
