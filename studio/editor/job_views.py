"""A job's live card, its cancel and retry buttons and its images. Another team's job is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from studio.accounts.access import job_for_user
from studio.editor import job_cards
from studio.editor.labels import field_errors
from studio.pipeline.budgets import BudgetExceeded
from studio.pipeline.jobs import CannotCancel, RequestRefused, job_cancel
from studio.pipeline.retry import CannotRetry, job_retry


@require_GET
def job_card(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id)
    card = job_cards.card_for(job)
    # A waiting card polls every second with the version it shows: while nothing it shows has
    # changed the answer is an empty 204, which htmx leaves unswapped (the clock ticks in the
    # browser). Chosen over server-sent events, which cost less per second but hold one of
    # gunicorn's few sync workers per waiting tab (figures: tests/bench/job_card_updates.py).
    if card.waiting and request.GET.get("v") == card.version:
        return HttpResponse(status=204)
    return render(request, "editor/_job_card.html", {"job": job, "card": card})


@require_POST
def job_cancel_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id)
    try:
        job = job_cancel(job=job)
    except CannotCancel as exc:
        job.refresh_from_db()
        return render(request, "editor/_job_card.html", {"job": job, "cancel_refused": str(exc)})
    return render(request, "editor/_job_card.html", {"job": job})


@require_POST
def job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id)
    try:
        new_job = job_retry(job=job, owner=request.user)
    except CannotRetry as exc:
        return _retry_refused(request, job, str(exc))
    except RequestRefused as exc:
        why = "; ".join(str(e) for e in field_errors(exc.problems, job.references.count()))
        return _retry_refused(request, job, gettext("Not sent again: today's rules refuse these settings (%(why)s).") % {"why": why})
    except BudgetExceeded as exc:
        return _retry_refused(request, job, exc.message)
    if not request.htmx:
        messages.success(request, gettext("Job %(id)s sent again as job %(new)s.") % {"id": job.pk, "new": new_job.pk})
        return redirect("editor:editor")
    return render(request, "editor/_job_retried.html", {"job": job, "new_job": new_job})


def _retry_refused(request: HttpRequest, job, message: str) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect("editor:editor")
    # 422: the one 4xx the page's htmx config swaps, so the card shows why on the spot.
    return render(request, "editor/_job_card.html", {"job": job, "retry_refused": message}, status=422)


@require_GET
def job_image(request: HttpRequest, job_id: int, index: int, kind: str) -> FileResponse:
    output = job_for_user(request.user, job_id).outputs.filter(index=index).first()
    if output is None:
        raise Http404("No such image")
    field = output.thumbnail if kind == "thumb" else output.file
    response = FileResponse(field.open("rb"), content_type="image/webp" if kind == "thumb" else "image/png")
    # Stored results never change: let the browser keep them.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
