"""Calling the JSON API from Django's test client with a personal token, as a script would."""

from __future__ import annotations

import json as jsonlib

from studio.api.tokens import token_create


def secret_for(user, team=None, name: str = "test script") -> str:
    team = team or user.teams.order_by("pk").first()
    return token_create(user=user, team=team, name=name).secret


def call(client, method: str, path: str, secret: str | None = None, *, json=None, body: bytes | str | None = None, **extra):
    """One API request; `json` is sent as a JSON body, `body` as raw bytes (for malformed ones)."""
    headers = dict(extra)
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    send = getattr(client, method.lower())
    if json is not None:
        return send(path, data=jsonlib.dumps(json), content_type="application/json", **headers)
    if body is not None:
        return send(path, data=body, content_type="application/json", **headers)
    return send(path, **headers)
