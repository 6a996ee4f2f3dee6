"""Calling the API as a script does: a personal token, JSON or multipart bodies (test client)."""

from __future__ import annotations

import json

from studio.api.models import ApiReference
from studio.api.tokens import token_create
from tests.images import png_upload


def secret_for(user, team_name: str = "Lighthouse") -> str:
    return token_create(user=user, team=user.teams.get(name=team_name), name="script").secret


class Api:
    """The Django test client with a bearer token."""

    def __init__(self, client, secret: str) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str, **params):
        return self.client.get(path, params, **self.auth)

    def post(self, path: str, body: object = None, *, headers: dict | None = None, raw: bytes | str | None = None):
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(path, data, content_type="application/json", **self.auth, **extra)

    def upload(self, path: str, file, **fields):
        return self.client.post(path, {"file": file, **fields}, **self.auth)

    def reference(self, width: int = 480, height: int = 320, colour: str = "#2a6f97") -> int:
        answer = self.upload("/api/v1/references", png_upload("ref.png", width, height, colour))
        assert answer.status_code == 201, answer.content
        return answer.json()["id"]


def problems(answer) -> dict[str, str]:
    """{path: message} of an error answer."""
    return {p["path"]: p["message"] for p in answer.json()["error"]["problems"]}


def stored_reference_count(team) -> int:
    return ApiReference.objects.filter(team=team).count()
