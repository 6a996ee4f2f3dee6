"""Fixtures for tests that drive the studio's pipeline against the emulator (a pytest plugin,
registered in conftest, so test modules name these fixtures without importing them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio.pipeline import provider
from studio.wan.client import WanClient


@pytest.fixture
def wired(settings, emulator, media):
    """The studio pointed at a fresh emulator, storing files in a private media directory."""
    settings.DASHSCOPE_BASE_URL = emulator.url
    settings.WAN_EMULATOR = True
    return emulator


@pytest.fixture
def wan(wired) -> Iterator[WanClient]:
    """A client on the studio's API key (as the pipeline, or another program using the key, has)."""
    with WanClient(api_key=provider.api_key(), base_url=wired.url, sleep=lambda s: None) as c:
        yield c
