"""Wan Studio settings: one file, read from the environment (README lists every variable).

Defaults work on a laptop: SQLite, django-q2's ORM broker and files under var/. No secret is
committed: without SECRET_KEY a development key is generated into var/ (DEBUG only).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from studio.wan.capabilities import REGION_BASE_URLS, RESULT_HOSTS

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("STUDIO_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off the studio refuses to start without one: "
            "set SECRET_KEY to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # A per-checkout development key, generated once; never a fixed string in the repository.
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "studio.accounts",
    "studio.front",
    "studio.pipeline",
    "studio.editor",
    "studio.gallery",
    "studio.billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every studio page is behind login; the few public views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.front.context_processors.studio",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and the queue workers share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not memory, so the queue clusters that end-to-end tests start can share it; one
    # per test run, so two runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
# Gallery files are served through access-checked views, never from a public URL.
MEDIA_URL = "/media-not-public/"

# --- The provider --------------------------------------------------------------------------
# Without DASHSCOPE_API_KEY the studio talks to its own emulator (make run starts it), so it
# works with no account and no internet. The key is only ever read here and by the client.
DASHSCOPE_API_KEY = env_str("DASHSCOPE_API_KEY")
WAN_EMULATOR = not DASHSCOPE_API_KEY
WAN_EMULATOR_HOST = env_str("WAN_EMULATOR_HOST", "127.0.0.1")
WAN_EMULATOR_PORT = env_int("WAN_EMULATOR_PORT", 8001, minimum=1)
WAN_EMULATOR_API_KEY = "sk-emulator"
DASHSCOPE_REGION = env_choice("DASHSCOPE_REGION", "singapore", sorted(REGION_BASE_URLS))
if WAN_EMULATOR:
    DASHSCOPE_BASE_URL = env_str(
        "DASHSCOPE_BASE_URL", f"http://{WAN_EMULATOR_HOST}:{WAN_EMULATOR_PORT}/api/v1"
    )
else:
    DASHSCOPE_BASE_URL = env_str("DASHSCOPE_BASE_URL", REGION_BASE_URLS[DASHSCOPE_REGION])
WAN_TIMEOUT_SECONDS = env_float("WAN_TIMEOUT_SECONDS", 60.0, minimum=1.0)
# Result images are downloaded only from these exact host names (never a substring match).
WAN_RESULT_HOSTS = env_list(
    "WAN_RESULT_HOSTS",
    list(RESULT_HOSTS) + ([WAN_EMULATOR_HOST] if WAN_EMULATOR else []),
)

# --- The queue -----------------------------------------------------------------------------
# django-q2 with its ORM broker: the job row and its queue message commit in one transaction.
Q_CLUSTER = {
    "name": "studio",
    "orm": "default",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    # A task may run this long before the worker is recycled.
    "timeout": env_int("Q_TIMEOUT", 120, minimum=1),
    # The ORM broker hands a task out again after `retry` seconds unless it was acknowledged, so
    # retry must be longer than timeout or a task still running would be delivered twice.
    "retry": env_int("Q_RETRY", 180, minimum=2),
    # Queue tasks are doorbells: the job row holds the truth and the recovery sweep resumes any
    # job whose doorbell was lost, so a failed delivery is not repeated by the broker.
    "max_attempts": 1,
    # A missed sweep is not worth running many times over after downtime.
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "poll": 0.5,
    "label": "Queue",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- The pipeline --------------------------------------------------------------------------
# Per API key and model: submissions per second and provider tasks in flight at once. The
# studio waits when a limit binds instead of hammering the provider into HTTP 429.
WAN_SUBMITS_PER_SECOND = env_float("WAN_SUBMITS_PER_SECOND", 2.0, minimum=0.1)
WAN_MAX_CONCURRENT_TASKS = env_int("WAN_MAX_CONCURRENT_TASKS", 10, minimum=1)
# Overrides per model, e.g. WAN_MODEL_LIMITS='{"wan2.7-image-pro": {"concurrent": 4}}'.
WAN_MODEL_LIMITS = json.loads(env_str("WAN_MODEL_LIMITS", "{}") or "{}")
# Task queries per second per API key (the account's limit is 20).
WAN_TASK_QUERIES_PER_SECOND = env_float("WAN_TASK_QUERIES_PER_SECOND", 20.0, minimum=0.1)
# Submissions answered with a server error are tried this many times in all.
WAN_SUBMIT_MAX_ATTEMPTS = env_int("WAN_SUBMIT_MAX_ATTEMPTS", 3, minimum=1)
# How long a worker may hold a job it is submitting or downloading before the sweep resumes it.
WAN_LEASE_SECONDS = env_int("WAN_LEASE_SECONDS", int(WAN_TIMEOUT_SECONDS) + 30, minimum=5)
# Submissions stay paused this long after the provider rejects the key or the account.
WAN_PAUSE_SECONDS = env_int("WAN_PAUSE_SECONDS", 300, minimum=1)
# One poller run lasts this long before it hands over to the next (a fresh queue task).
WAN_FOLLOW_RUN_SECONDS = env_float("WAN_FOLLOW_RUN_SECONDS", 50.0, minimum=1.0)
# Largest result image accepted (a 4096*4096 PNG is well under this).
WAN_RESULT_MAX_BYTES = env_int("WAN_RESULT_MAX_BYTES", 80 * 1024 * 1024, minimum=1024)
WAN_THUMBNAIL_SIDE = 512
# Unit price per generated image, by model and region, over the documented ones in
# studio/wan/capabilities.py, e.g. WAN_UNIT_PRICES='{"wan2.7-image": {"beijing": "0.2"}}'.
WAN_UNIT_PRICES = json.loads(env_str("WAN_UNIT_PRICES", "{}") or "{}")
