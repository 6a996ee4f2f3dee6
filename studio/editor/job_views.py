"""A job's live card, its cancel button and its images. Another team's job is a 404."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from studio.accounts.access import job_for_user
from studio.pipeline.jobs import CannotCancel, job_cancel


@require_GET
def job_card(request: HttpRequest, job_id: int) -> HttpResponse:
    return render(request, "editor/_job_card.html", {"job": job_for_user(request.user, job_id)})


@require_POST
def job_cancel_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id)
    try:
        job = job_cancel(job=job)
    except CannotCancel as exc:
        job.refresh_from_db()
        return render(request, "editor/_job_card.html", {"job": job, "cancel_refused": str(exc)})
    return render(request, "editor/_job_card.html", {"job": job})


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
