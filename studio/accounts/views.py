"""The team page (members, invites, roles) and the team switcher. Thin: see teams.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from studio.accounts import teams
from studio.accounts.members import members_of
from studio.accounts.models import Membership, Role
from studio.numbers import parse_whole


def team_page(request: HttpRequest) -> HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    return _team_page(request, membership)


def _team_page(request: HttpRequest, membership: Membership, *, invite_problem: str = "", status: int = 200) -> HttpResponse:
    context = {
        "membership": membership,
        "members": members_of(membership.team),
        "roles": Role.choices,
        "is_admin": teams.can_administer(membership),
        "invite_problem": invite_problem,
        "invite_username": request.POST.get("username", "") if invite_problem else "",
    }
    return render(request, "accounts/team.html", context, status=status)


def _admin_membership(request: HttpRequest) -> Membership | HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    if not teams.can_administer(membership):
        return HttpResponseForbidden(_("Only a team admin can change members."))
    return membership


@require_POST
def member_invite(request: HttpRequest) -> HttpResponse:
    admin = _admin_membership(request)
    if isinstance(admin, HttpResponse):
        return admin
    try:
        added = teams.member_add(team=admin.team, username=request.POST.get("username", ""), role=request.POST.get("role", Role.MEMBER))
    except teams.MembershipError as exc:
        # The form again, with what was typed and why it was refused next to the field.
        return _team_page(request, admin, invite_problem=str(exc), status=422)
    names = {"user": added.user.username, "team": admin.team.name, "role": added.get_role_display().lower()}
    messages.success(request, _("%(user)s joined %(team)s as %(role)s.") % names)
    return redirect("team")


@require_POST
def member_change(request: HttpRequest, membership_id: int) -> HttpResponse:
    admin = _admin_membership(request)
    if isinstance(admin, HttpResponse):
        return admin
    target = get_object_or_404(Membership.objects.select_related("user", "team"), pk=membership_id, team=admin.team)
    try:
        if request.POST.get("action") == "remove":
            teams.member_remove(membership=target)
            messages.success(request, _("%(user)s was removed from %(team)s.") % {"user": target.user.username, "team": admin.team.name})
        else:
            teams.member_set_role(membership=target, role=request.POST.get("role", ""))
            names = {"user": target.user.username, "role": target.get_role_display().lower()}
            messages.success(request, _("%(user)s is now %(role)s.") % names)
    except teams.MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("team")


@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    team_id = request.POST.get("team", "")
    team = teams.switch_team(request, parse_whole(team_id) or -1)
    messages.success(request, _("Now working in %(team)s.") % {"team": team.name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return redirect(target)
