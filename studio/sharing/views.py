"""The team's side of share links: create one, list the team's links, revoke one.

Another team's image, job, board or link is a 404, the same as an unknown id; a teammate whose
role may not share gets a 403 (studio.sharing.services says who may).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.accounts import teams
from studio.accounts.access import image_for_user, job_for_user
from studio.gallery.models import Board
from studio.numbers import parse_whole
from studio.sharing import selectors, services
from studio.sharing.models import EXPIRY_DEFAULT_DAYS, EXPIRY_MAX_DAYS, ShareKind, ShareLink


def _target_for_user(user, what: str):
    """`what` is "image:<id>", "job:<id>" or "board:<id>": the object, looked up as its own pages do."""
    kind, _, raw_id = what.partition(":")
    object_id = parse_whole(raw_id)
    if kind not in ShareKind.values or object_id is None:
        return None, None
    if kind == ShareKind.IMAGE:
        return kind, image_for_user(user, object_id)
    if kind == ShareKind.JOB:
        return kind, job_for_user(user, object_id, in_gallery=True)
    return kind, get_object_or_404(Board.objects.filter(team__in=teams.visible_teams(user)), pk=object_id)


def _team_id(kind: str, target) -> int:
    return target.job.team_id if kind == ShareKind.IMAGE else target.team_id


def _form_page(request: HttpRequest, *, what: str, kind, target, problem: str = "", status: int = 200) -> HttpResponse:
    context = {
        "what": what,
        "kind": kind,
        "target": target,
        "problem": problem,
        "expiry_default": request.POST.get("expires_in_days", EXPIRY_DEFAULT_DAYS),
        "expiry_max": EXPIRY_MAX_DAYS,
        "include_prompt": request.POST.get("include_prompt") == "on",
        "may_comment": request.POST.get("may_comment") == "on",
    }
    return render(request, "sharing/new.html", context, status=status)


def _plain(message: str, status: int) -> HttpResponse:
    # Plain text, never HTML: a refusal may quote what was posted.
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
def share_new(request: HttpRequest) -> HttpResponse:
    """GET ?what=board:3: the form alone. POST: make the link and show its address, once."""
    what = (request.POST if request.method == "POST" else request.GET).get("what", "")
    kind, target = _target_for_user(request.user, what)
    if target is None:
        return _plain(_("What to share: “image:<id>”, “job:<id>” or “board:<id>” of your team."), 400)
    membership = teams.membership_of(request.user, _team_id(kind, target))
    if not services.may_share(membership):
        return _plain(_("Only members and admins of the team create share links; reviewers cannot."), 403)
    if request.method == "GET":
        return _form_page(request, what=what, kind=kind, target=target)
    try:
        days = services.parse_expiry_days(request.POST.get("expires_in_days", ""))
        created = services.share_create(
            membership=membership,
            kind=kind,
            target=target,
            expires_in_days=days,
            include_prompt=request.POST.get("include_prompt") == "on",
            may_comment=request.POST.get("may_comment") == "on",
            by=request.user,
        )
    except services.ShareInvalid as exc:
        return _form_page(request, what=what, kind=kind, target=target, problem=str(exc), status=422)
    url = request.build_absolute_uri(f"/s/{created.token}/")
    response = render(request, "sharing/created.html", {"link": created.link, "url": url}, status=201)
    # The address exists only in this answer: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def share_list(request: HttpRequest) -> HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    context = {
        "team": membership.team,
        "links": selectors.team_links(membership.team_id),
        "can_share": services.may_share(membership),
    }
    return render(request, "sharing/links.html", context)


@require_POST
def share_revoke(request: HttpRequest, link_id: int) -> HttpResponse:
    link = get_object_or_404(ShareLink.objects.filter(team__in=teams.visible_teams(request.user)), pk=link_id)
    try:
        services.share_revoke(membership=teams.membership_of(request.user, link.team_id), link=link, by=request.user)
    except services.ShareRefused as exc:
        return _plain(str(exc), 403)
    messages.success(request, _("Link revoked: its address now answers “not found”."))
    return redirect("sharing:list")
