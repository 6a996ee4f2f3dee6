"""Which team a person is working in, and what their role there lets them do.

Every job and image belongs to one team. A person with several teams picks the active one (kept
in the session); everything they create goes to it. Isolation is by membership: code that looks
up a team's object for a user goes through `visible_teams` or `membership_of`, and answers 404
when the user is not a member.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from studio.accounts.models import Membership, Role, Team

SESSION_KEY = "active_team_id"
# What each role may do, from the least to the most trusted.
REVIEW_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
ADMIN_ROLES = frozenset({Role.ADMIN})


def visible_teams(user) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).order_by("name")


def membership_of(user, team: Team | int | None) -> Membership | None:
    if team is None or not user.is_authenticated:
        return None
    team_id = team.pk if isinstance(team, Team) else team
    return Membership.objects.filter(user=user, team_id=team_id).select_related("team").first()


def active_membership(request: HttpRequest) -> Membership | None:
    """The membership of the team the person works in now: the one chosen, else their first."""
    cached = getattr(request, "_active_membership", False)
    if cached is not False:
        return cached
    user = request.user
    membership = membership_of(user, request.session.get(SESSION_KEY)) if user.is_authenticated else None
    if membership is None and user.is_authenticated:
        membership = Membership.objects.filter(user=user).select_related("team").order_by("team__name").first()
    request._active_membership = membership
    return membership


def active_team(request: HttpRequest) -> Team | None:
    membership = active_membership(request)
    return membership.team if membership else None


def require_team(request: HttpRequest) -> Team:
    """The active team, or 404 for a person in no team (they have nothing to see)."""
    team = active_team(request)
    if team is None:
        raise Http404("You are not a member of any team yet.")
    return team


def switch_team(request: HttpRequest, team_id: int) -> Team:
    membership = membership_of(request.user, team_id)
    if membership is None:
        raise Http404("No such team")
    request.session[SESSION_KEY] = membership.team_id
    request._active_membership = membership
    return membership.team


def can_review(membership: Membership | None) -> bool:
    return membership is not None and membership.role in REVIEW_ROLES


def can_administer(membership: Membership | None) -> bool:
    return membership is not None and membership.role in ADMIN_ROLES


def team_create(*, name: str, admin) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    return team


class MembershipError(ValueError):
    """A change to a team's members that would break it (e.g. remove its last admin)."""


def member_add(*, team: Team, username: str, role: str = Role.MEMBER) -> Membership:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise MembershipError(_("There is no user called “%(name)s”.") % {"name": username.strip()})
    if role not in Role.values:
        raise MembershipError(_("“%(role)s” is not a role (member, reviewer or admin).") % {"role": role})
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created:
        raise MembershipError(_("%(user)s is already in %(team)s.") % {"user": user.username, "team": team.name})
    return membership


def member_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise MembershipError(_("“%(role)s” is not a role (member, reviewer or admin).") % {"role": role})
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def member_remove(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _keep_an_admin(membership)
    membership.delete()


def _keep_an_admin(leaving: Membership) -> None:
    others = Membership.objects.filter(team_id=leaving.team_id, role=Role.ADMIN).exclude(pk=leaving.pk)
    if not others.exists():
        raise MembershipError(_("%(team)s needs at least one admin.") % {"team": leaving.team.name})
