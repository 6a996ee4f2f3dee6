"""Production settings pass Django's deployment checklist and send the security headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    # Only what production would set: nothing inherited from the test run or the shell.
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DEBUG="0",
        SECRET_KEY="prod-" + "k" * 60,
        ALLOWED_HOSTS="studio.example",
        STUDIO_DATA_DIR=str(tmp_path),
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def settings_value(env: dict[str, str], expr: str) -> str:
    code = f"from django.conf import settings; print({expr})"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure_and_hsts_is_configurable(tmp_path):
    env = production_env(tmp_path, SECURE_HSTS_SECONDS="31536000")
    values = settings_value(
        env,
        "settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.SECURE_PROXY_SSL_HEADER, "
        "settings.STORAGES['staticfiles']['BACKEND']",
    )
    assert values == (
        "True True True 31536000 None whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_trusting_a_tls_proxy_is_opt_in(tmp_path):
    env = production_env(tmp_path, SECURE_PROXY_SSL_HEADER="1")
    assert settings_value(env, "settings.SECURE_PROXY_SSL_HEADER") == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_collectstatic_builds_hashed_files_that_whitenoise_serves(tmp_path):
    env = production_env(tmp_path)
    result = manage(env, "collectstatic", "--noinput")
    assert result.returncode == 0, result.stderr
    manifest = tmp_path / "staticfiles" / "staticfiles.json"
    assert manifest.exists()
    # Served by the app itself, with a long cache lifetime for the hashed name.
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from django.templatetags.static import static\n"
        "url = static('css/studio.css')\n"
        "r = Client().get(url, HTTP_HOST='studio.example', secure=True)\n"
        "print(url, r.status_code, r.headers.get('Cache-Control'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    url, status, cache_control = result.stdout.split(maxsplit=2)
    assert url.startswith("/static/css/studio.") and url != "/static/css/studio.css"
    assert status == "200"
    assert "max-age=315360000" in cache_control


def test_every_page_carries_the_content_security_policy(client, db):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
