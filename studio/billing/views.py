"""The billing dashboard, its reconciliation and the ledger export: staff only. Read only, but for
reading the provider's task list on demand."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studio.accounts.models import Team
from studio.accounting.models import TeamBudget
from studio.billing import dashboard, export, reconcile
from studio.billing.filters import PERIODS, BadFilter, Filters, parse_filters
from studio.pipeline import budgets
from studio.pipeline.provider_tasks import READABLE_FOR, provider_tasks_refresh
from studio.wan.capabilities import MODELS


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # Anonymous visitors never get here: LoginRequiredMiddleware sends them to the login page.
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied(_("Billing is for staff."))
        return view(request, *args, **kwargs)

    return wrapped


def _filters_or_error(request: HttpRequest) -> tuple[Filters | None, BadFilter | None]:
    try:
        return parse_filters(request.GET), None
    except BadFilter as exc:
        return None, exc


def _choices(filters: Filters | None) -> dict[str, object]:
    return {
        "filters": filters,
        "periods": PERIODS,
        "teams": Team.objects.order_by("name"),
        "models": list(MODELS.values()),
        "users": get_user_model().objects.filter(jobs__isnull=False).distinct().order_by("username"),
        "query": urlencode(filters.query()) if filters else "",
    }


@require_GET
@staff_only
def dashboard_view(request: HttpRequest) -> HttpResponse:
    filters, error = _filters_or_error(request)
    context = _choices(filters)
    if error:
        return render(request, "billing/dashboard.html", {**context, "error": error}, status=400)
    assert filters is not None
    statuses = [budgets.budget_status(b) for b in TeamBudget.objects.select_related("team").order_by("team__name")]
    context.update(numbers=dashboard.numbers_for(filters), budgets=statuses)
    return render(request, "billing/dashboard.html", context)


@require_GET
@staff_only
def reconciliation_view(request: HttpRequest) -> HttpResponse:
    filters, error = _filters_or_error(request)
    context = _choices(filters)
    if error:
        return render(request, "billing/reconciliation.html", {**context, "error": error}, status=400)
    assert filters is not None
    context["reconciliation"] = reconcile.reconcile(filters)
    return render(request, "billing/reconciliation.html", context)


@require_POST
@staff_only
def read_provider_view(request: HttpRequest) -> HttpResponse:
    """Read the provider's task list and usage for the last 24 hours (all it keeps), then go back."""
    now = timezone.now()
    report = provider_tasks_refresh(start=now - READABLE_FOR, end=now)
    (messages.success if report.ok else messages.error)(request, report.summary())
    # Back to the same filters, re-parsed so only known parameters go into the address.
    try:
        query = urlencode(parse_filters(QueryDict(request.POST.get("query", ""))).query())
    except BadFilter:
        query = ""
    return redirect(reverse("billing:reconciliation") + (f"?{query}" if query else ""))


@require_GET
@staff_only
def ledger_csv(request: HttpRequest) -> HttpResponse:
    filters, error = _filters_or_error(request)
    if error:
        return HttpResponse(f"{error.field}: {error.message}\n", status=400, content_type="text/plain; charset=utf-8")
    assert filters is not None
    name = f"ledger-{filters.first_day.isoformat()}-{filters.last_day.isoformat()}.csv"
    response = StreamingHttpResponse(
        export.csv_rows(dashboard.ledger_entries(filters)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
