from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

# Fixtures every test module may name without importing them: one Playwright for the whole
# session (browser, page), the emulator, the pipeline wired to it, and real database, broker and
# storage servers.
pytest_plugins = ("tests.browser", "tests.emulator_fixtures", "tests.pipeline_fixtures", "tests.servers")


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Real password hashing costs about a second per user made; the login tests still use passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _member(username: str, team_name: str, role: str):
    from studio.accounts.models import Membership, Team

    user = get_user_model().objects.create_user(username, password=f"{username}-password-1")
    team, _ = Team.objects.get_or_create(name=team_name)
    Membership.objects.create(user=user, team=team, role=role)
    return user


@pytest.fixture
def alice(db):
    """Alice is the admin of the team Lighthouse and owns work in the studio."""
    return _member("alice", "Lighthouse", "admin")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob(db):
    """Bob is Alice's teammate, a member of Lighthouse."""
    return _member("bob", "Lighthouse", "member")


@pytest.fixture
def rita(db):
    """Rita reviews for Lighthouse."""
    return _member("rita", "Lighthouse", "reviewer")


@pytest.fixture
def mallory(db):
    """Mallory is in another team, Harbour: she must never see Lighthouse's work."""
    return _member("mallory", "Harbour", "admin")


@pytest.fixture
def lighthouse(alice):
    return alice.teams.get(name="Lighthouse")


@pytest.fixture
def media(settings, tmp_path):
    """A private media directory for files the test stores."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pytest_sessionstart(session) -> None:
    # The test database is a file shared with the queue clusters some tests start. A run that
    # was killed can leave its WAL beside a fresh file, which SQLite reports as a disk I/O error.
    from django.conf import settings

    # The pages are tested in both languages: the catalogs must be compiled (make test does it
    # too; this covers a bare `pytest`). Only catalogs newer than their .mo are rewritten.
    from studio.front.management.commands.compile_catalogs import compile_catalogs

    compile_catalogs()

    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{test_name}{suffix}").unlink(missing_ok=True)
