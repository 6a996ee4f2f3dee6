"""Boards from the grid: each tile's "Add to board" menu, a board made inline from it, and the
board bar that images are dropped on. htmx answers with the menu (or the bar); a toast says what happened.

Another team's image or board is a 404 or a refusal naming the field, as on the image page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from studio.accounts import teams
from studio.accounts.access import image_for_user
from studio.gallery import curation
from studio.gallery.models import BOARD_NAME_MAX_CHARS, Board
from studio.numbers import parse_whole
from studio.pipeline.models import OutputImage

MENU = "gallery/index.html#board-menu"


def _menu_context(image: OutputImage, *, problem: str = "", name: str = "") -> dict[str, object]:
    on = set(image.board_items.values_list("board_id", flat=True))
    boards = [(board, board.pk in on) for board in Board.objects.filter(team_id=image.job.team_id)]
    return {"image": image, "menu_boards": boards, "problem": problem, "name": name, "name_max": BOARD_NAME_MAX_CHARS}


def _toast(request: HttpRequest, response: HttpResponse, message: str) -> HttpResponse:
    if not request.htmx:
        # A plain form post (no JavaScript yet, or none at all): back to the gallery, with the news.
        messages.success(request, message)
        return redirect("gallery:index")
    return trigger_client_event(response, "gallery-toast", {"message": message})


@require_http_methods(["GET", "POST"])
def board_menu(request: HttpRequest, output_id: int) -> HttpResponse:
    """GET: the menu of one image. POST board=<id>&action=add|remove: put it on a board or take it off."""
    image = image_for_user(request.user, output_id)
    if request.method == "GET":
        return render(request, MENU, _menu_context(image))
    board_id = parse_whole(request.POST.get("board", ""))
    board = Board.objects.filter(team_id=image.job.team_id, pk=board_id).first() if board_id is not None else None
    if board is None:
        return render(request, MENU, _menu_context(image, problem=_("board: choose one of the boards of this team.")), status=422)
    names = {"n": image.index + 1, "job": image.job_id, "board": board.name}
    if request.POST.get("action") == "remove":
        curation.board_remove(board=board, image=image)
        message = _("Image %(n)s of job %(job)s removed from “%(board)s”.") % names
    else:
        curation.board_add(board=board, image=image, by=request.user)
        message = _("Image %(n)s of job %(job)s added to “%(board)s”.") % names
    return _toast(request, render(request, MENU, _menu_context(image)), message)


@require_POST
def board_new(request: HttpRequest, output_id: int) -> HttpResponse:
    """The menu's small form: make a board and put this image on it in one step."""
    image = image_for_user(request.user, output_id)
    name = request.POST.get("name", "")
    try:
        board = curation.board_create(team=image.job.team, name=name, by=request.user)
    except curation.CurationInvalid as exc:
        return render(request, MENU, _menu_context(image, problem=str(exc), name=name), status=422)
    curation.board_add(board=board, image=image, by=request.user)
    response = _toast(request, render(request, MENU, _menu_context(image)), _("Board “%(board)s” created with this image.") % {"board": board.name})
    # The board bar above the grid lists the new board too (a drop target from now on).
    return trigger_client_event(response, "boards-changed")


@require_GET
def board_bar(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    if team is None:
        return render(request, "accounts/no_team.html", status=404)
    return render(request, "gallery/index.html#board-bar", {"boards": Board.objects.filter(team=team)})
