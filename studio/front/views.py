from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from studio.front import health


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "front/home.html")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when every dependency answers, 503 otherwise."""
    healthy, checks = health.report()
    return JsonResponse({"healthy": healthy, **checks}, status=200 if healthy else 503)
