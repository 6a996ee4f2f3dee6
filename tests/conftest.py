from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model


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
