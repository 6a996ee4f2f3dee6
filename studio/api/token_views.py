"""The pages for personal API tokens: a person's own tokens (make, list, revoke), and a team
admin's view of every token of the team.

A token's secret is in exactly one answer, the one to the POST that made it (never stored, never
cached, never in a redirect's session). A token the person may not revoke is a 404, as for an
unknown id: a teammate's tokens are none of a member's business.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.accounts import teams
from studio.api.models import ApiToken
from studio.api.token_forms import TokenForm
from studio.api.tokens import token_create, token_revoke, tokens_revocable_by


def _list_page(request: HttpRequest, form: TokenForm, *, status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).select_related("team")
    return render(request, "api/tokens.html", {"form": form, "tokens": tokens}, status=status)


@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    team = teams.active_team(request)
    return _list_page(request, TokenForm(user=request.user, initial={"team": team.pk if team else None}))


@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _list_page(request, form, status=422)
    created = token_create(user=request.user, team=form.cleaned_data["team"], name=form.cleaned_data["name"], expires_at=form.expires_at())
    response = render(request, "api/token_created.html", {"token": created.token, "secret": created.secret}, status=201)
    # The secret exists only in this answer: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET: "Revoke this token?"; POST: revoke it (its owner, or an admin of its team)."""
    token = get_object_or_404(tokens_revocable_by(request.user), pk=token_id)
    back = request.POST.get("back") or request.GET.get("back") or ""
    if request.method == "GET":
        return render(request, "api/token_revoke.html", {"token": token, "back": back if back == "team" else ""})
    token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” revoked: requests with it are refused from now on.") % {"name": token.name})
    return redirect("team_api_tokens" if back == "team" else "api_tokens")


@require_GET
def team_tokens(request: HttpRequest) -> HttpResponse:
    membership = teams.active_membership(request)
    if membership is None:
        return render(request, "accounts/no_team.html", status=404)
    if not teams.can_administer(membership):
        return render(request, "api/team_tokens.html", {"team": membership.team, "refused": True}, status=403)
    tokens = ApiToken.objects.filter(team=membership.team).select_related("user")
    return render(request, "api/team_tokens.html", {"team": membership.team, "tokens": tokens})
