"""One view per thing a person does to an image: review it, comment, star, put it on a board,
and the review queue that walks the team's unreviewed images.

Each answers htmx with the part of the page it changed, and a plain form post with a redirect.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studio.accounts import teams
from studio.accounts.access import image_for_user
from studio.accounts.models import Membership
from studio.gallery import comment_presenters, curation, presenters, queries, region_comments, review
from studio.gallery.models import Board, ReviewState
from studio.numbers import parse_whole
from studio.pipeline.models import OutputImage

PAGE = "gallery/image.html"


def _image(request: HttpRequest, output_id: int) -> tuple[OutputImage, Membership | None]:
    output = image_for_user(request.user, output_id)
    return output, teams.membership_of(request.user, output.job.team_id)


def _answer(request: HttpRequest, output: OutputImage, partial: str, context: dict, *, problem: str = "") -> HttpResponse:
    if not request.htmx:
        if problem:
            messages.error(request, problem)
        return redirect("gallery:image", output.pk)
    return render(request, f"{PAGE}#{partial}", {**context, "problem": problem}, status=422 if problem else 200)


@require_POST
def image_review(request: HttpRequest, output_id: int) -> HttpResponse:
    output, membership = _image(request, output_id)
    problem = ""
    try:
        review.image_review_set(
            image=output,
            by=request.user,
            membership=membership,
            state=request.POST.get("state", ""),
            note=request.POST.get("note", ""),
        )
    except review.ReviewRefused as exc:
        return HttpResponseForbidden(str(exc))
    except review.ReviewInvalid as exc:
        problem = str(exc)
    return _answer(request, output, "review", presenters.review_context(output, membership), problem=problem)


@require_POST
def image_comment(request: HttpRequest, output_id: int) -> HttpResponse:
    output, membership = _image(request, output_id)
    problem = ""
    try:
        boxes = region_comments.parse_boxes(request.POST, width=output.width, height=output.height)
        curation.comment_add(image=output, author=request.user, text=request.POST.get("text", ""), boxes=boxes)
    except (curation.CurationInvalid, region_comments.RegionInvalid) as exc:
        problem = str(exc)
    context = comment_presenters.comments_context(output, request.user, membership)
    if problem:
        context["text"] = request.POST.get("text", "")
        context["box_slots"] = comment_presenters.box_slots(request.POST)
    return _answer(request, output, "comments", context, problem=problem)


@require_POST
def image_star(request: HttpRequest, output_id: int) -> HttpResponse:
    output, _membership = _image(request, output_id)
    starred = curation.star_toggle(image=output, user=request.user)
    if request.htmx and request.POST.get("where") == "grid":
        # A tile's star in the grid: its own small button, not the image page's.
        output.starred = starred
        return render(request, "gallery/index.html#tile-star", {"output": output})
    return _answer(request, output, "star", {"image": output, "starred": starred})


@require_POST
def image_boards(request: HttpRequest, output_id: int) -> HttpResponse:
    output, _membership = _image(request, output_id)
    board_id = parse_whole(request.POST.get("board", ""))
    board = Board.objects.filter(team_id=output.job.team_id, pk=board_id).first() if board_id is not None else None
    problem = ""
    if board is None:
        problem = _("board: choose one of the boards of this team.")
    elif request.POST.get("action") == "remove":
        curation.board_remove(board=board, image=output)
    else:
        curation.board_add(board=board, image=output, by=request.user)
    return _answer(request, output, "boards", presenters.boards_context(output), problem=problem)


# --- The review queue -------------------------------------------------------------------------


def _queue_context(
    membership, after=None, *, current=None, problem: str = "", done: OutputImage | None = None, undone: bool = False
) -> dict[str, object]:
    team = membership.team
    if current is None:
        current = queries.queue_next(team, after)
    remaining = queries.review_queue(team).count()
    return {
        "current": current,
        "remaining": remaining,
        "can_review": teams.can_review(membership),
        "team": team,
        "actions": presenters.QUEUE_ACTIONS,
        "problem": problem,
        # Reached the end after skipping some: offer to start again from the oldest.
        "at_end": after is not None and current is None and remaining > 0,
        # What the last key did, for the status line (with Undo after a review).
        "done": done,
        "done_label": ReviewState(review.state_of(done)).label if done is not None else "",
        "undone": undone,
    }


@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    after = None
    after_id = request.GET.get("after", "")
    if after_id:
        # "Next" names the image just seen; like any image id, it must be one of the team's.
        if parse_whole(after_id) is None:
            raise Http404("No such image")
        after = image_for_user(request.user, parse_whole(after_id))
        if after.job.team_id != membership.team_id:
            raise Http404("No such image in this team's queue")
    template = "gallery/review_queue.html#queue-card" if request.htmx else "gallery/review_queue.html"
    return render(request, template, _queue_context(membership, after))


@require_POST
def review_queue_set(request: HttpRequest, output_id: int) -> HttpResponse:
    output, membership = _image(request, output_id)
    try:
        review.image_review_set(image=output, by=request.user, membership=membership, state=request.POST.get("state", ""))
    except review.ReviewRefused as exc:
        return HttpResponseForbidden(str(exc))
    except review.ReviewInvalid as exc:
        context = _queue_context(membership, current=output, problem=str(exc))
        return render(request, "gallery/review_queue.html#queue-card", context, status=422)
    if not request.htmx:
        return redirect(f"{reverse('gallery:review_queue')}?after={output.pk}")
    return render(request, "gallery/review_queue.html#queue-step", _queue_context(membership, output, done=output))


@require_POST
def review_queue_undo(request: HttpRequest, output_id: int) -> HttpResponse:
    """The status line's Undo: the review just made is taken back and the image is shown again."""
    output, membership = _image(request, output_id)
    try:
        review.image_review_undo(image=output, by=request.user, membership=membership)
    except review.ReviewRefused as exc:
        return HttpResponseForbidden(str(exc))
    except review.ReviewInvalid as exc:
        context = _queue_context(membership, current=output, problem=str(exc))
        return render(request, "gallery/review_queue.html#queue-card", context, status=422)
    if not request.htmx:
        messages.success(
            request, _("Review of image %(n)s of job %(job)s undone.") % {"n": output.index + 1, "job": output.job_id}
        )
        return redirect("gallery:review_queue")
    context = _queue_context(membership, current=output, done=output, undone=True)
    return render(request, "gallery/review_queue.html#queue-step", context)
