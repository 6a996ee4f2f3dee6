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


# --- Real HTTP: the live server, the emulator and a queue cluster in its own process. ---

import httpx  # noqa: E402
import pytest  # noqa: E402

from studio.wan_emulator.server import EmulatorConfig, EmulatorServer  # noqa: E402
from tests.cluster import Cluster, cluster_env  # noqa: E402


@pytest.fixture
def fast_emulator():
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.3, running_seconds=0.5)).start()
    yield server
    server.shutdown()


@pytest.fixture
def studio_url(live_server, fast_emulator, media, tmp_path):
    """The studio served over HTTP, its queue worked by a real cluster against the emulator."""
    cluster = Cluster(cluster_env(fast_emulator.url), tmp_path / "cluster.log")
    yield live_server.url
    cluster.stop()


def emulator_stats(emulator: EmulatorServer) -> dict:
    return httpx.get(emulator.root_url + "/emulator/stats").json()


def http_api(base_url: str, secret: str) -> httpx.Client:
    return httpx.Client(base_url=base_url + "/api/v1", headers={"Authorization": f"Bearer {secret}"}, timeout=30)
