from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

# One Playwright for the whole session (browser and page fixtures).
pytest_plugins = ("tests.browser",)


@pytest.fixture
def alice(db):
    """Alice owns work in the studio."""
    return get_user_model().objects.create_user("alice", password="alice-password-1")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob(db):
    """Bob is Alice's teammate."""
    return get_user_model().objects.create_user("bob", password="bob-password-1")


@pytest.fixture
def media(settings, tmp_path):
    """A private media directory for files the test stores."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pytest_sessionstart(session) -> None:
    # The test database is a file shared with the queue clusters some tests start. A run that
    # was killed can leave its WAL beside a fresh file, which SQLite reports as a disk I/O error.
    from django.conf import settings

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{test_name}{suffix}").unlink(missing_ok=True)
