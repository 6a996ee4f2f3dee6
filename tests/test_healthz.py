"""/healthz: database, broker, storage and provider reachability for monitors, with no secrets."""

from __future__ import annotations

import socket

import pytest


SECRET_KEY_MARKER = "sk-healthz-secret-0123456789"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def real_provider(settings, start_emulator):
    """The studio configured as with a real key, pointed at an emulator that accepts that key."""
    server = start_emulator(api_keys=frozenset({SECRET_KEY_MARKER}))
    settings.DASHSCOPE_API_KEY = SECRET_KEY_MARKER
    settings.WAN_EMULATOR = False
    settings.DASHSCOPE_BASE_URL = server.url
    return server


def test_healthz_needs_no_login_and_says_ok_for_each_part(client, db, real_provider, media):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "healthy": True,
        "database": {"status": "ok"},
        "broker": {"status": "ok"},
        "storage": {"status": "ok"},
        "provider": {"status": "ok"},
    }


def test_in_emulator_mode_the_provider_is_reported_as_the_emulator(client, db, settings, media):
    settings.DASHSCOPE_API_KEY = ""
    settings.WAN_EMULATOR = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["provider"]["status"] == "emulator"


def test_an_unreachable_provider_makes_it_unhealthy_without_revealing_the_url_or_key(client, db, settings, media):
    settings.DASHSCOPE_API_KEY = SECRET_KEY_MARKER
    settings.WAN_EMULATOR = False
    settings.DASHSCOPE_BASE_URL = f"http://127.0.0.1:{closed_port()}/api/v1?key={SECRET_KEY_MARKER}"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["healthy"] is False
    assert body["provider"] == {"status": "error", "reason": "unreachable (ConnectError)"}
    assert body["database"] == {"status": "ok"}
    text = response.content.decode()
    assert SECRET_KEY_MARKER not in text
    assert "127.0.0.1" not in text


def test_a_refused_key_is_reported_as_such(client, db, settings, real_provider, media):
    settings.DASHSCOPE_API_KEY = "sk-not-the-right-one"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["provider"] == {"status": "error", "reason": "the provider refused the API key (401)"}


def test_the_probe_is_a_task_query_of_the_account_and_never_waits_for_one(client, db, real_provider, media):
    import time

    from studio.pipeline import query_budget
    from studio.pipeline.models import TaskQueryWindow

    assert client.get("/healthz").json()["provider"] == {"status": "ok"}
    assert TaskQueryWindow.objects.get(account="default").taken == 1
    queries = real_provider.stats()["task_queries"]

    # The poller (or anything else) holds every query of this second: the probe is skipped at once.
    assert query_budget.take(n=20).count == 19, "the probe's slot is still in the window"
    started = time.monotonic()
    response = client.get("/healthz")

    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    assert response.json()["provider"] == {
        "status": "skipped",
        "reason": "the account's task queries of this second are in use",
    }
    assert TaskQueryWindow.objects.get(account="default").taken == 20
    assert real_provider.stats()["task_queries"] == queries, "nothing was sent"
