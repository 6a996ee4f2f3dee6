"""Creating, finding and revoking API tokens (services: `token_<action>(*, ...)`).

A token is `ws_` + 40 random URL-safe characters. Only its SHA-256 is stored, so a leaked
database does not leak working tokens; SHA-256 (not a slow password hash) is enough because the
secret has 240 bits of randomness, and every API request must look it up quickly.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from studio.accounts.teams import ADMIN_ROLES
from studio.api.models import ApiToken

PREFIX = "ws_"
# last_used_at is written at most this often per token, so reads do not all become writes.
LAST_USED_EVERY = timedelta(seconds=60)


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown to its owner once


def token_create(*, user, team, name: str, expires_at: datetime | None = None) -> NewToken:
    secret = PREFIX + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user, team=team, name=name.strip()[:100] or "token", prefix=secret[:10], digest=digest_of(secret), expires_at=expires_at
    )
    return NewToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def tokens_revocable_by(user) -> QuerySet[ApiToken]:
    """The tokens `user` may revoke: their own, and every token of a team they administer."""
    admin_teams = user.memberships.filter(role__in=ADMIN_ROLES).values("team_id")
    return ApiToken.objects.filter(Q(user=user) | Q(team_id__in=admin_teams)).select_related("user", "team")


def token_find(secret: str) -> ApiToken | None:
    """The usable token with this secret, its owner still a member of its team; None otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = ApiToken.objects.usable().select_related("user", "team").filter(digest=digest_of(secret)).first()
    if token is None or not token.user.is_active or not token.team.memberships.filter(user=token.user).exists():
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
