"""What leaves or re-enters the gallery: downloads, ZIPs, reuse in the editor, and the trash.

Thin views: access checks here, the work in zips, reuse and trash. Another team's image or job
is a 404 (as for an unknown id); a teammate without the needed role gets a 403.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from studio.accounts import teams
from studio.accounts.access import image_for_user, job_for_user
from studio.gallery import reuse, trash, zips
from studio.numbers import parse_whole
from studio.pipeline.models import Job, OutputImage

log = logging.getLogger(__name__)

# The job just deleted with a plain form post, for the gallery's Undo toast (read once).
UNDO_SESSION_KEY = "gallery_undo_job"


def _plain(message: str, status: int) -> HttpResponse:
    # Plain text, never HTML: a refusal may quote what was posted.
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _for_zip(outputs):
    # The manifest reads each job's author and references: fetched once, not per image.
    return (
        outputs.select_related("job", "job__owner")
        .prefetch_related("job__references")
        .order_by("-job__created_at", "-job_id", "index")
    )


# --- files -----------------------------------------------------------------------------------


@require_GET
def download(request: HttpRequest, output_id: int) -> FileResponse:
    output = image_for_user(request.user, output_id)
    try:
        handle = output.file.open("rb")
    except FileNotFoundError:
        log.error("job %s image %s: stored file %s is missing", output.job_id, output.index, output.file.name)
        raise Http404("The stored file of this image is missing; an admin can run `manage.py gallery verify`.") from None
    response = FileResponse(handle, as_attachment=True, filename=zips.image_filename(output), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def job_zip(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    job = job_for_user(request.user, job_id, in_gallery=True)
    outputs = list(_for_zip(OutputImage.objects.filter(job=job)))
    return _zip_response(outputs, zips.job_zip_filename(job))


@require_POST
def selection_zip(request: HttpRequest) -> HttpResponse:
    raw = request.POST.getlist("images")
    ids: list[int] = []
    for value in raw:
        image_id = parse_whole(value)
        if image_id is None:
            return _plain(_("Images: “%(value)s” is not an image id.") % {"value": value[:20]}, 400)
        ids.append(image_id)
    ids = list(dict.fromkeys(ids))
    if not ids:
        return _plain(_("Images: select at least one image to download."), 400)
    if len(ids) > zips.SELECTION_MAX_IMAGES:
        most = zips.SELECTION_MAX_IMAGES
        text = _("Images: %(n)s selected; a ZIP holds at most %(most)s. Download them in parts.")
        return _plain(text % {"n": len(ids), "most": most}, 400)
    outputs = list(_for_zip(OutputImage.objects.visible_to(request.user).filter(pk__in=ids)))
    if len(outputs) != len(ids):
        # One image the person may not see spoils the whole request: no partial archive.
        raise Http404("No such image")
    return _zip_response(outputs, zips.selection_zip_filename())


def _zip_response(outputs: list[OutputImage], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(zips.stream_zip(zips.entries_for(outputs)), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- back to the editor ----------------------------------------------------------------------


@require_POST
def reuse_settings(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id, in_gallery=True)
    reuse.draft_from_job(job=job, owner=request.user)
    messages.success(request, _("A new draft with the settings and references of job %(job)s.") % {"job": job.pk})
    return redirect("editor:editor")


@require_POST
def use_as_reference(request: HttpRequest, output_id: int) -> HttpResponse:
    output = image_for_user(request.user, output_id)
    new_draft = request.POST.get("draft") == "new"
    try:
        reuse.output_to_draft(output=output, owner=request.user, new_draft=new_draft)
    except reuse.ReferenceRefused as exc:
        # Back where the person clicked: nothing changed, and the message says which limit.
        messages.error(request, _("Not added to your draft: %(why)s") % {"why": exc})
        return redirect("gallery:image", output.pk)
    names = {"n": output.index + 1, "job": output.job_id}
    if new_draft:
        messages.success(request, _("Image %(n)s of job %(job)s added to a new draft as a reference.") % names)
    else:
        messages.success(request, _("Image %(n)s of job %(job)s added to your draft as a reference.") % names)
    return redirect("editor:editor")


# --- the trash -------------------------------------------------------------------------------


@require_POST
def job_delete(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id, in_gallery=True)
    try:
        trash.job_trash(job=job, by=request.user, membership=teams.membership_of(request.user, job.team_id))
    except trash.TrashRefused as exc:
        return _plain(str(exc), 403)
    if request.htmx:
        # The grid hides the job's tiles and offers Undo in its toast, without leaving the page.
        response = render(request, "gallery/_toast_trash.html", {"job": job, "deleted": True})
        return trigger_client_event(response, "job-trashed", {"job": job.pk}, after="settle")
    # From the image page: the gallery opens with the same toast, so Undo is one key away there too.
    request.session[UNDO_SESSION_KEY] = job.pk
    return redirect("gallery:index")


@require_POST
def job_undo_delete(request: HttpRequest, job_id: int) -> HttpResponse:
    """The toast's Undo: the job comes back from the trash as it was."""
    job = job_for_user(request.user, job_id, trash=True)
    try:
        trash.job_undo_trash(job=job, by=request.user, membership=teams.membership_of(request.user, job.team_id))
    except trash.TrashRefused as exc:
        return _plain(str(exc), 403)
    if request.htmx:
        response = render(request, "gallery/_toast_trash.html", {"job": job, "deleted": False})
        return trigger_client_event(response, "job-restored", {"job": job.pk}, after="settle")
    messages.success(request, _("Job %(job)s is back in the gallery.") % {"job": job.pk})
    return redirect("gallery:index")


@require_GET
def trash_list(request: HttpRequest) -> HttpResponse:
    return _trash_page(request)


def _trash_page(request: HttpRequest, *, problem: str = "", problem_job: int | None = None) -> HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    if not teams.can_administer(membership):
        return render(request, "gallery/trash.html", {"team": membership.team, "refused": True}, status=403)
    context = {
        "team": membership.team,
        "jobs": trash.trashed_jobs(membership.team),
        "problem": problem,
        "problem_job": problem_job,
        "confirmation": trash.PURGE_CONFIRMATION,
    }
    return render(request, "gallery/trash.html", context, status=422 if problem else 200)


@require_POST
def job_restore(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id, trash=True)
    try:
        trash.job_restore(job=job, membership=teams.membership_of(request.user, job.team_id))
    except trash.TrashRefused as exc:
        return _plain(str(exc), 403)
    messages.success(request, _("Job %(job)s restored to the gallery.") % {"job": job.pk})
    return redirect("gallery:trash")


@require_POST
def job_purge(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_for_user(request.user, job_id, trash=True)
    try:
        purged = trash.job_purge(
            job=job, membership=teams.membership_of(request.user, job.team_id), confirm=request.POST.get("confirm", "")
        )
    except trash.TrashRefused as exc:
        return _plain(str(exc), 403)
    except trash.PurgeUnconfirmed as exc:
        return _trash_page(request, problem=str(exc), problem_job=job.pk)
    except Job.DoesNotExist:
        raise Http404("This job is no longer in the trash.") from None
    message = _("Job %(job)s purged: %(images)s images and %(files)s stored files deleted.") % {
        "job": purged.job_id,
        "images": purged.images,
        "files": purged.files_removed,
    }
    if purged.job_row_kept:
        message += " " + _("Its billing record is kept.")
    messages.success(request, message)
    return redirect("gallery:trash")
