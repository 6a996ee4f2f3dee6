"""Settings come from the environment; bad values and a missing SECRET_KEY fail loudly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _settings_value(env: dict[str, str], expr: str) -> subprocess.CompletedProcess[str]:
    code = f"from django.conf import settings; print({expr})"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "DEBUG", "SECRET_KEY"))}
    full_env.update(env, DJANGO_SETTINGS_MODULE="studio.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error(tmp_path):
    result = _settings_value({"DEBUG": "0", "STUDIO_DATA_DIR": str(tmp_path)}, "settings.DEBUG")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_off_with_secret_key_starts(tmp_path):
    result = _settings_value(
        {"DEBUG": "0", "SECRET_KEY": "x" * 50, "STUDIO_DATA_DIR": str(tmp_path)}, "settings.DEBUG"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_a_bad_boolean_names_the_variable(tmp_path):
    result = _settings_value({"DEBUG": "maybe", "STUDIO_DATA_DIR": str(tmp_path)}, "settings.DEBUG")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("singapore", "https://dashscope-intl.aliyuncs.com/api/v1"),
        ("beijing", "https://dashscope.aliyuncs.com/api/v1"),
    ],
)
def test_region_selects_the_documented_endpoint(tmp_path, region, url):
    result = _settings_value(
        {"DASHSCOPE_API_KEY": "sk-test", "DASHSCOPE_REGION": region, "STUDIO_DATA_DIR": str(tmp_path)},
        "settings.DASHSCOPE_BASE_URL, settings.WAN_EMULATOR",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [url, "False"]


def test_base_url_override_wins(tmp_path):
    result = _settings_value(
        {
            "DASHSCOPE_API_KEY": "sk-test",
            "DASHSCOPE_BASE_URL": "http://127.0.0.1:9/api/v1",
            "STUDIO_DATA_DIR": str(tmp_path),
        },
        "settings.DASHSCOPE_BASE_URL",
    )
    assert result.stdout.strip() == "http://127.0.0.1:9/api/v1"


def test_without_an_api_key_the_studio_points_at_its_emulator(tmp_path):
    result = _settings_value({"STUDIO_DATA_DIR": str(tmp_path)}, "settings.DASHSCOPE_BASE_URL, settings.WAN_EMULATOR")
    assert result.stdout.split() == ["http://127.0.0.1:8001/api/v1", "True"]


def test_database_url_selects_postgres(tmp_path):
    result = _settings_value(
        {"DATABASE_URL": "postgres://u:p@db.example:5433/studio", "STUDIO_DATA_DIR": str(tmp_path)},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['PORT']",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "5433"]
