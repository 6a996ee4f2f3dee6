"""The environment readers behind settings.py: a bad value stops the studio with its name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_json_object


def test_an_unset_json_object_is_empty(monkeypatch):
    monkeypatch.delenv("WAN_MODEL_LIMITS", raising=False)
    assert env_json_object("WAN_MODEL_LIMITS") == {}


def test_a_json_object_is_read(monkeypatch):
    monkeypatch.setenv("WAN_MODEL_LIMITS", '{"wan2.7-image-pro": {"concurrent": 4}}')
    assert env_json_object("WAN_MODEL_LIMITS") == {"wan2.7-image-pro": {"concurrent": 4}}


@pytest.mark.parametrize("raw", ["{oops", "[1]", '"text"'])
def test_anything_but_a_json_object_is_refused_by_name(monkeypatch, raw):
    monkeypatch.setenv("WAN_UNIT_PRICES", raw)
    with pytest.raises(ImproperlyConfigured, match="WAN_UNIT_PRICES must be a JSON object"):
        env_json_object("WAN_UNIT_PRICES")
