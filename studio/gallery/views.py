"""The gallery's pages: the grid, an image, a reference file, the boards. Thin: see queries and presenters.

Another team's image, job or board is a 404 everywhere (pages, partials, files), never a 403:
the answer must not tell an outsider that the id exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from studio.accounts import teams
from studio.accounts.access import image_for_user, reference_for_user
from studio.gallery import curation, file_views, presenters, queries, trash
from studio.gallery.filters import FilterForm
from studio.gallery.models import BOARD_NAME_MAX_CHARS, Board
from studio.pipeline.models import Job

# References are stored re-encoded as one of these; anything else is served as opaque bytes.
REFERENCE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/bmp"})


def _no_team(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/no_team.html", status=404)


# The id of the part of the grid page that the filters replace as they change.
RESULTS_TARGET = "gallery-results"


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    if team is None:
        return _no_team(request)
    # A history restore (Back after a filter change) needs the whole page, like a first visit.
    partial = request.htmx and not request.htmx.history_restore_request
    form = FilterForm(request.GET, team=team)
    if not form.is_valid():
        context = {"form": form, "problems": form.problems(), "page": None}
        if partial:
            # 422 is swapped (base.html's htmx config): the message shows where the results were.
            return render(request, "gallery/index.html#results", context, status=422)
        return render(request, "gallery/index.html", context, status=400)
    filters = form.filters()
    page = queries.grid_page(team, request.user, filters)
    can_administer = teams.can_administer(teams.active_membership(request))
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "team": team,
        "can_administer": can_administer,
        "boards": form.boards,  # the board bar: already read for the filter's choices
    }
    if partial and request.htmx.target == RESULTS_TARGET:
        return render(request, "gallery/index.html#results", context)
    if partial:
        # The scroll sentinel asks for the next page: only its tiles and the next sentinel.
        return render(request, "gallery/index.html#grid-page", context)
    context["undo_job"] = _just_deleted(request)
    return render(request, "gallery/index.html", context)


def _just_deleted(request: HttpRequest) -> Job | None:
    """The job this person deleted from an image page a moment ago (offered once, with Undo)."""
    job_id = request.session.pop(file_views.UNDO_SESSION_KEY, None)
    if not isinstance(job_id, int):
        return None
    return Job.objects.visible_to(request.user, trash=True).filter(pk=job_id, deleted_by=request.user).first()


@require_GET
def image(request: HttpRequest, output_id: int) -> HttpResponse:
    output = image_for_user(request.user, output_id)
    membership = teams.membership_of(request.user, output.job.team_id)
    context = presenters.image_context(output, request.user, membership)
    context["can_trash"] = trash.can_trash(output.job, request.user, membership)
    return render(request, "gallery/image.html", context)


@require_GET
def reference(request: HttpRequest, job_id: int, position: int) -> FileResponse:
    ref = reference_for_user(request.user, job_id, position)
    content_type = ref.mime if ref.mime in REFERENCE_TYPES else "application/octet-stream"
    response = FileResponse(ref.file.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def reference_mask(request: HttpRequest, job_id: int, position: int) -> FileResponse:
    # The mask painted on a reference (wanx2.1 mask editing), behind the reference's own check.
    ref = reference_for_user(request.user, job_id, position)
    if not ref.mask:
        raise Http404("This reference was sent without a mask.")
    response = FileResponse(ref.mask.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET", "POST"])
def boards(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    if team is None:
        return _no_team(request)
    problem = ""
    if request.method == "POST":
        try:
            board = curation.board_create(team=team, name=request.POST.get("name", ""), by=request.user)
        except curation.CurationInvalid as exc:
            problem = str(exc)
        else:
            messages.success(request, _("Board “%(board)s” created.") % {"board": board.name})
            return redirect("gallery:boards")
    team_boards = Board.objects.filter(team=team).select_related("created_by").annotate(image_count=Count("items"))
    return render(
        request,
        "gallery/boards.html",
        {
            "team": team,
            "boards": team_boards,
            "problem": problem,
            "name": request.POST.get("name", ""),
            "name_max": BOARD_NAME_MAX_CHARS,
        },
        status=422 if problem else 200,
    )
