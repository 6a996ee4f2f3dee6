"""Who is calling: a personal token (no CSRF: nothing a browser sends by itself) or the browser's
session (CSRF checked, as for every form), each scoped to one team."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from studio.accounts.models import Team
from studio.accounts.teams import active_team
from studio.api import rate_limit
from studio.api.models import ApiToken
from studio.api.tokens import token_find


@dataclass(frozen=True)
class Caller:
    """What every endpoint acts as: a user within one team (a token's, or the session's active team)."""

    user: object
    team: Team
    token: ApiToken | None = None


class TokenAuth(HttpBearer):
    openapi_description = "A personal API token (Settings → API tokens), sent as `Authorization: Bearer ws_…`."

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        found = token_find(token)
        if found is None:
            return None
        # Keyed by the digest, not the row id: a deleted token's id may be reused, its count must not be.
        rate_limit.admit(request, f"token:{found.digest[:20]}")
        return Caller(user=found.user, team=found.team, token=found)


class TeamSession(SessionAuth):
    """The signed-in browser, acting in its active team; writes need the CSRF token."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        if "HTTP_AUTHORIZATION" in request.META:
            # A request that names a token stands or falls by it: a revoked or mistyped token is a
            # 401 even from a browser that is also signed in, never a quiet fall-back to the session.
            return None
        user = super().authenticate(request, key)
        if user is None:
            return None
        team = active_team(request)
        if team is None:
            return None
        # The browser's calls are limited per person (all their tabs together).
        rate_limit.admit(request, f"user:{user.pk}")
        return Caller(user=user, team=team)


AUTH = [TokenAuth(), TeamSession()]
