"""The editor page and its htmx endpoints. Thin: the work is in drafts, compose and palette."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from studio.accounts import teams
from studio.editor import compose, drafts, palette_actions, presenters, refusals, uploads
from studio.editor.models import Draft
from studio.gallery import region_comments
from studio.numbers import parse_whole
from studio.pipeline.budgets import BudgetExceeded
from studio.pipeline.jobs import RequestRefused, job_create
from studio.pipeline.models import Job

RECENT_JOBS = 12


@require_GET
def editor(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    if team is None:
        return render(request, "accounts/no_team.html")
    draft = Draft.current_for(request.user)
    jobs = Job.objects.filter(owner=request.user, team=team, deleted_at__isnull=True).order_by("-created_at")[:RECENT_JOBS]
    context = {**presenters.editor_context(draft), "jobs": jobs, "previous_draft": draft.previous}
    return render(request, "editor/editor.html", context)


@require_POST
@refusals.answered_in_editor
def draft_open(request: HttpRequest, draft_id: int) -> HttpResponse:
    """Back to another of the person's drafts; the one left (saved first, as the form held it) is
    offered as the way back in turn. Drafts are personal: anyone else's is a 404."""
    wanted = get_object_or_404(Draft, pk=draft_id, owner=request.user)
    leaving = drafts.draft_save(Draft.current_for(request.user), request.POST)
    drafts.draft_open(draft=wanted, leaving=leaving)
    messages.success(request, gettext("Your previous draft is open again; the one you left is kept, one click away."))
    if request.htmx:
        return HttpResponseClientRedirect(reverse("editor:editor"))
    return redirect("editor:editor")


@require_POST
@refusals.answered_in_editor
def save(request: HttpRequest) -> HttpResponse:
    draft = Draft.current_for(request.user)
    before, model_before = presenters.layout_key(draft), draft.model
    drafts.draft_save(draft, request.POST)
    changed = presenters.layout_key(draft) != before
    # The prompt is redrawn (for its limits) only on a model switch, never under someone typing.
    return _render_parts(request, draft, changed=changed, model_changed=draft.model != model_before)


@require_POST
@refusals.answered_in_editor
def references_upload(request: HttpRequest) -> HttpResponse:
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    added, refused = drafts.references_add(draft, request.FILES.getlist("references"))
    status = 422 if refused and not added else 200
    return _render_parts(request, draft, changed=True, refused=refused, status=status)


@require_GET
def reference_image(request: HttpRequest, ref_id: int) -> FileResponse:
    ref = get_object_or_404(Draft.current_for(request.user).references, pk=ref_id)
    return FileResponse(ref.file.open("rb"), content_type=ref.mime)


@require_POST
@refusals.answered_in_editor
def reference_remove(request: HttpRequest, ref_id: int) -> HttpResponse:
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    get_object_or_404(draft.references, pk=ref_id)
    drafts.reference_remove(draft, ref_id)
    return _render_parts(request, draft, changed=True)


@require_POST
def reference_mask(request: HttpRequest, ref_id: int) -> HttpResponse:
    ref = get_object_or_404(Draft.current_for(request.user).references, pk=ref_id)
    try:
        drafts.reference_mask_save(ref, request.FILES.get("mask"))
    except uploads.UploadRefused as exc:
        return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)


@require_GET
def reference_mask_image(request: HttpRequest, ref_id: int) -> FileResponse:
    ref = get_object_or_404(Draft.current_for(request.user).references.exclude(mask=""), pk=ref_id)
    return FileResponse(ref.mask.open("rb"), content_type="image/png")


@require_POST
@refusals.answered_in_editor
def reference_move(request: HttpRequest, ref_id: int) -> HttpResponse:
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    get_object_or_404(draft.references, pk=ref_id)
    drafts.reference_move(draft, ref_id, -1 if request.POST.get("direction") == "earlier" else 1)
    return _render_parts(request, draft, changed=True)


@require_POST
@refusals.answered_in_editor
def references_reorder(request: HttpRequest) -> HttpResponse:
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    ids = [i for i in map(parse_whole, request.POST.get("order", "").split(",")) if i is not None]
    drafts.references_reorder(draft, ids)
    return _render_parts(request, draft, changed=True)


@require_POST
@refusals.answered_in_editor
def palette_action(request: HttpRequest, action: str) -> HttpResponse:
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    problem = palette_actions.apply(draft, action, request.POST)
    context = presenters.editor_context(draft)
    context["palette_message"] = problem
    return render(request, "editor/_palette.html", context, status=422 if problem else 200)


@require_POST
@refusals.answered_in_editor
def generate(request: HttpRequest) -> HttpResponse:
    team = teams.require_team(request)
    draft = drafts.draft_save(Draft.current_for(request.user), request.POST)
    composed = compose.compose(draft)
    if not composed.ok:
        return _refused(request, composed.errors)
    try:
        job = job_create(owner=request.user, team=team, request=composed.request, references=composed.references)
    except RequestRefused as exc:
        return _refused(request, compose.field_errors(exc.problems, len(composed.references)))
    except BudgetExceeded as exc:
        # Billing: the team's monthly budget cannot cover this job's most; nothing was saved.
        if not request.htmx:
            messages.error(request, exc.message)
            return redirect("editor:editor")
        return _refused(request, [compose.FieldError(gettext("Budget"), exc.message)])
    # A draft started from a review comment: the comment learns which job answers it.
    region_comments.comment_link_job(draft=draft, job=job)
    if not request.htmx:
        messages.success(request, gettext("Job queued."))
        return redirect("editor:editor")
    return render(request, "editor/_generate_result.html", {"job": job, "new_job": True})


def _refused(request: HttpRequest, errors: list[compose.FieldError]) -> HttpResponse:
    if not request.htmx:
        for error in errors:
            messages.error(request, str(error))
        return redirect("editor:editor")
    return render(request, "editor/_generate_result.html", {"errors": errors}, status=422)


def _render_parts(
    request: HttpRequest, draft: Draft, *, changed: bool, model_changed: bool = False, refused=(), status: int = 200
) -> HttpResponse:
    """The summary, plus (out of band) every part whose layout depends on what just changed."""
    context = {
        **presenters.editor_context(draft),
        "refused": refused,
        "oob": True,
        "changed": changed,
        "model_changed": model_changed,
    }
    return render(request, "editor/_parts.html", context, status=status)
