"""Shared pytest fixtures for the emulator tests: a real emulator on an ephemeral port.

A pytest plugin (conftest's pytest_plugins): test modules name `emulator` or `start_emulator`
without importing them.
The emulator runs in a background thread with a fake clock, so task lifecycles, link expiry and
throttling windows are driven by `emulator.clock.advance(seconds)` — never by sleeping.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from studio.wan_emulator.server import EmulatorConfig, EmulatorServer

API_KEY = "sk-emulator"
SYNC_PATH = "/services/aigc/multimodal-generation/generation"
ASYNC_PATH = "/services/aigc/image-generation/generation"
ASYNC_HEADERS = {"X-DashScope-Async": "enable"}


class FakeClock:
    """A clock the emulator reads and tests move by hand; starts at the real time."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Emulator:
    server: EmulatorServer
    clock: FakeClock
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def generate(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(SYNC_PATH, json=body)

    def submit(self, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(ASYNC_PATH, json=body, headers=ASYNC_HEADERS)

    def submit_ok(self, body: dict[str, Any]) -> str:
        response = self.submit(body)
        assert response.status_code == 200, response.text
        return str(response.json()["output"]["task_id"])

    def task(self, task_id: str) -> dict[str, Any]:
        response = self.http.get(f"/tasks/{task_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def task_list(self, api_key: str = API_KEY, **params: object) -> dict[str, Any]:
        """GET /tasks with these query parameters, as `api_key`; the answer must be a 200."""
        response = self.http.get("/tasks", params=params, headers={"Authorization": f"Bearer {api_key}"})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def finish(self, task_id: str) -> dict[str, Any]:
        """Move the clock past the task's phases and return its final answer."""
        config = self.server.config
        self.clock.advance(config.pending_seconds + config.running_seconds)
        return self.task(task_id)

    def image_urls(self, body: dict[str, Any]) -> list[str]:
        """Generate synchronously and return the result links."""
        response = self.generate(body)
        assert response.status_code == 200, response.text
        return image_urls(response.json())

    def download(self, url: str) -> bytes:
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, response.text
        return response.content

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(self.server.root_url + "/emulator/stats").json())

    def configure(self, **changes: object) -> httpx.Response:
        return httpx.post(self.server.root_url + "/emulator/config", json=changes)


def image_urls(answer: dict[str, Any]) -> list[str]:
    content = answer["output"]["choices"][0]["message"]["content"]
    return [item["image"] for item in content]


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., Emulator]]:
    """A factory: start_emulator(**EmulatorConfig fields) -> a started Emulator, stopped at the end."""
    started: list[Emulator] = []

    def start(**settings: Any) -> Emulator:
        clock = FakeClock()
        settings.setdefault("pending_seconds", 2.0)
        settings.setdefault("running_seconds", 3.0)
        server = EmulatorServer(EmulatorConfig(clock=clock, **settings)).start()
        http = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        )
        started.append(Emulator(server, clock, http))
        return started[-1]

    yield start
    for emulator in started:
        emulator.http.close()
        emulator.server.shutdown()


@pytest.fixture
def emulator(start_emulator: Callable[..., Emulator]) -> Emulator:
    """An emulator with the default key: PENDING for 2 s, RUNNING for 3 s of fake time."""
    return start_emulator()


def body(
    prompt: str = "A flower shop with a wooden door",
    *,
    model: str = "wan2.7-image",
    images: Sequence[str] = (),
    **parameters: Any,
) -> dict[str, Any]:
    """A request body as the reference writes it: images first, then the text."""
    content: list[dict[str, Any]] = [{"image": image} for image in images]
    content.append({"text": prompt})
    parameters.setdefault("size", "1K")
    parameters.setdefault("n", 1)
    return {
        "model": model,
        "input": {"messages": [{"role": "user", "content": content}]},
        "parameters": parameters,
    }


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")
