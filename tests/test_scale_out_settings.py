"""The environment picks each engine: PostgreSQL, Redis as the broker, S3 for files; unset, the embedded ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE_OUT_VARIABLES = ("DATABASE_URL", "REDIS_URL", "S3_", "AWS_")


def engines(tmp_path: Path, **env: str) -> dict:
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'db': settings.DATABASES['default'], 'q': settings.Q_CLUSTER, "
        "'storages': settings.STORAGES}, default=str))"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(SCALE_OUT_VARIABLES)}
    full_env.update(env, DJANGO_SETTINGS_MODULE="studio.settings", STUDIO_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_variables_the_studio_is_embedded(tmp_path):
    got = engines(tmp_path)
    assert got["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert got["q"]["orm"] == "default" and "redis" not in got["q"]
    assert got["storages"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_database_url_selects_postgresql(tmp_path):
    got = engines(tmp_path, DATABASE_URL="postgres://studio:pw@db.internal:5432/studio")
    assert got["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert (got["db"]["HOST"], got["db"]["PORT"], got["db"]["NAME"]) == ("db.internal", 5432, "studio")


def test_redis_url_makes_redis_the_broker_instead_of_the_database(tmp_path):
    got = engines(tmp_path, REDIS_URL="redis://queue.internal:6379/0")
    assert got["q"]["redis"] == "redis://queue.internal:6379/0"
    assert "orm" not in got["q"]


def test_s3_bucket_stores_files_privately_in_s3_with_signed_expiring_urls(tmp_path):
    got = engines(
        tmp_path,
        S3_BUCKET="studio-media",
        S3_ENDPOINT_URL="https://s3.example.test",
        S3_REGION="eu-central-1",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="not-a-real-secret",
    )
    storage = got["storages"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "studio-media"
    assert options["endpoint_url"] == "https://s3.example.test"
    assert options["region_name"] == "eu-central-1"
    assert options["querystring_auth"] is True and options["querystring_expire"] == 300
    assert options["default_acl"] is None, "objects must stay private"
    # One fixed name per stored file: a store retried after a crash replaces its own leftover.
    assert options["file_overwrite"] is True
    # Static files are not the gallery's business: they keep their own storage.
    assert "staticfiles" in got["storages"]
