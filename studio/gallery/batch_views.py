"""A batch's page (its progress while it runs, its jobs' images, a ZIP of them all) and the list
of the team's batches. Another team's batch is a 404, as for an unknown id."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from studio.accounts import teams
from studio.gallery.file_views import _for_zip, _zip_response
from studio.pipeline.batches import batch_progress
from studio.pipeline.budgets import ENDED_STATUSES
from studio.pipeline.models import Batch, JobStatus, OutputImage

BATCHES_PER_PAGE = 25


def batch_for_user(user, batch_id: int) -> Batch:
    return get_object_or_404(Batch.objects.visible_to(user).select_related("team", "owner"), pk=batch_id)


def batch_zip_filename(batch: Batch) -> str:
    return f"wan-batch-{batch.pk}.zip"


def batch_outputs(batch: Batch):
    """Every stored image of the batch's jobs that are in the gallery (succeeded, not in the trash)."""
    return OutputImage.objects.filter(job__batch=batch, job__status=JobStatus.SUCCEEDED, job__deleted_at__isnull=True)


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    if team is None:
        return render(request, "accounts/no_team.html", status=404)
    batches = (
        Batch.objects.filter(team=team)
        .select_related("owner")
        .annotate(
            total=Count("jobs"),
            ended=Count("jobs", filter=Q(jobs__status__in=ENDED_STATUSES)),
            failed=Count("jobs", filter=Q(jobs__status__in=(JobStatus.FAILED, JobStatus.EXPIRED))),
        )
        .order_by("-created_at", "-id")
    )
    page = Paginator(batches, BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "batches/list.html", {"team": team, "page": page})


@require_GET
def batch_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = batch_for_user(request.user, batch_id)
    progress = batch_progress(batch)
    jobs = batch.jobs.filter(deleted_at__isnull=True).order_by("pk").prefetch_related("outputs")
    context = {"batch": batch, "progress": progress, "jobs": jobs}
    if request.htmx:
        # The last answer swaps in the finished state and tells htmx to stop asking (286).
        response = render(request, "batches/batch.html#live", context)
        if progress.finished:
            return HttpResponseStopPolling(response.content)
        return response
    return render(request, "batches/batch.html", context)


def batch_zip_response(batch: Batch) -> StreamingHttpResponse:
    """Every stored image of the batch and a manifest, streamed (the page's link and the API's)."""
    return _zip_response(list(_for_zip(batch_outputs(batch))), batch_zip_filename(batch))


@require_GET
def batch_zip(request: HttpRequest, batch_id: int) -> StreamingHttpResponse:
    return batch_zip_response(batch_for_user(request.user, batch_id))

