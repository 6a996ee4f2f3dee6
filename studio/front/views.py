from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.accounts import teams
from studio.front import dashboard, health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard of the active team; htmx polls only the running-jobs part while any run."""
    team = teams.active_team(request)
    if team is None:
        # Not a 404 as elsewhere: the home page is where a new person lands and learns what to do.
        return render(request, "front/home.html", {"board": None})
    if request.htmx:
        return render(request, "front/home.html#in-flight", {"in_flight": dashboard.in_flight_for(team=team, user=request.user)})
    board = dashboard.dashboard_for(team=team, user=request.user)
    membership = teams.active_membership(request)
    context = {"board": board, "in_flight": board.in_flight, "can_review": teams.can_review(membership)}
    return render(request, "front/home.html", context)


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when every dependency answers, 503 otherwise."""
    healthy, checks = health.report()
    return JsonResponse({"healthy": healthy, **checks}, status=200 if healthy else 503)
