"""Wan Studio settings: one file, read from the environment (README lists every variable).

Defaults work on a laptop: SQLite, django-q2's ORM broker and files under var/. No secret is
committed: without SECRET_KEY a development key is generated into var/ (DEBUG only).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from studio.env import env_bool, env_choice, env_float, env_int, env_json_object, env_list, env_str
from studio.wan.capabilities import MODELS, REGION_BASE_URLS, RESULT_HOSTS

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
# Outgoing requests made for users (reference image URLs, webhooks) go to public addresses only;
# private, loopback and link-local networks listed here (CIDR) are allowed too. studio/egress.py
OUTGOING_ALLOWED_NETWORKS = env_list("OUTGOING_ALLOWED_NETWORKS", [])
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
    "ninja",
    "studio.accounts",
    "studio.front",
    "studio.accounting",
    "studio.webhooks",
    "studio.pipeline",
    "studio.editor",
    "studio.gallery",
    "studio.billing",
    "studio.sharing",
    "studio.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # whitenoise serves collectstatic's output from the app processes, with no separate file server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The CSP header (SECURE_CSP below) goes on every response, so the pages are built to satisfy it.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before anything reads the body (CSRF reads request.POST): refuse oversized uploads unread.
    "studio.front.request_limits.RequestLimitsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the language cookie or Accept-Language; a signed-in user's saved choice
    # replaces it below, once the user is known.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The profile's language (then the session's) beats the browser's header: studio.accounts.language.
    "studio.accounts.language.UserLanguageMiddleware",
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
                "django.template.context_processors.i18n",
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

# English and Simplified Chinese; the browser's Accept-Language picks one until the person chooses
# (studio.accounts.language). Dates, numbers and money follow the language (Django's own formats).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "studio" / "locale"]
# The cookie outlives a logout, so the login page keeps the last language chosen in this browser.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
# Made here so whitenoise never warns that it is missing before the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
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
    # The admin's name for django-q2's tables (translated in studio.pipeline.apps).
    "label": "Queue",
}
# Webhook deliveries being sent at once, studio-wide: however slow an endpoint is, the other
# workers stay free for jobs (studio.webhooks.delivery).
WEBHOOK_MAX_SENDING = env_int("WEBHOOK_MAX_SENDING", max(1, Q_CLUSTER["workers"] // 2), minimum=1)

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
WAN_MODEL_LIMITS = env_json_object("WAN_MODEL_LIMITS")
# Calls to the task endpoints (a task's query, the task list, cancel) per second per Alibaba
# Cloud account, from every process sharing this database (studio.pipeline.query_budget).
# Reference: https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks — 20 QPS
# per account, all its RAM users and keys included.
WAN_TASK_QUERIES_PER_SECOND = env_float("WAN_TASK_QUERIES_PER_SECOND", 20.0, minimum=0.1)
# The account the configured key belongs to: keys configured with the same name share the budget
# above. One name for all by default (see studio.pipeline.query_budget for why).
WAN_ACCOUNT = env_str("WAN_ACCOUNT", "default").strip() or "default"
if len(WAN_ACCOUNT) > 64:
    raise ImproperlyConfigured(f"WAN_ACCOUNT must be at most 64 characters; got {len(WAN_ACCOUNT)}")
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
WAN_UNIT_PRICES = env_json_object("WAN_UNIT_PRICES")

# --- Scale-out engines: broker and file storage (README: "Running on several machines") ------
# Each engine is chosen by one variable and left at the embedded default when it is unset:
# DATABASE_URL (above) for PostgreSQL, REDIS_URL for the broker, S3_BUCKET for the gallery's files.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Redis only rings doorbells, and delivers each at most once (a message fetched by a worker
    # that dies is gone); the job rows hold the truth and the recovery sweep re-rings what is due.
    del Q_CLUSTER["orm"]
    Q_CLUSTER["redis"] = REDIS_URL
    # The cache holds counters every web process must share: login throttling and the API's
    # rate limits. Without Redis it is each process's own memory (Django's default).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- JSON API -------------------------------------------------------------------------------
# Requests a minute per API token (per person for the browser's session), and the lower limit for
# requests that create jobs (POST /api/v1/jobs and /batches); over either, a 429 with Retry-After.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 120, minimum=1)
API_JOBS_PER_MINUTE = env_int("API_JOBS_PER_MINUTE", 20, minimum=1)

S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    # Reference: https://django-storages.readthedocs.io/en/latest/backends/amazon-S3.html
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            # Unset, boto3 looks further (instance role, ~/.aws); never committed.
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            # Objects stay private: files go out through access-checked views, and any .url is
            # signed and expires.
            "default_acl": None,
            "querystring_auth": True,
            # SigV4: what AWS requires in newer regions and S3-compatible stores expect.
            "signature_version": "s3v4",
            "querystring_expire": env_int("S3_URL_EXPIRE_SECONDS", 300, minimum=1),
            # Every stored file has one fixed name, so a store retried after a crash replaces
            # what the crashed attempt left rather than writing a second object (store.py).
            "file_overwrite": True,
        },
    }
else:
    # As on S3: a retried store replaces the partial file a crashed attempt left (store.py).
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"allow_overwrite": True}}
STORAGES = {
    # In production, hashed and compressed file names, so browsers may cache static files forever.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    "default": _default_storage,
}

# --- Hardened deployment (security, CSP, limits) -------------------------------------------
# Production is DEBUG=0 behind TLS: every default below is the safe one when DEBUG is off and
# can be relaxed per variable (README: Production). `manage.py check --deploy` passes as is.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
# HSTS starts at one hour so a misconfigured TLS setup is recoverable; raise it (31536000) once
# HTTPS is known good. Browsers remember it, so it is off in development.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# The preload list is a one-way commitment for the whole domain, so it stays a deliberate
# choice; check --deploy's reminder about it (W021) is silenced, no other warning is.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Load balancers probe over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Only behind a proxy that terminates TLS and always sets X-Forwarded-Proto; trusting the
# header without one would let any client claim HTTPS.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# No inline scripts, styles or event handlers anywhere: static files only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Thumbnails come from our views; the editor previews local files as blob: URLs.
    "img-src": [CSP.SELF, "data:", "blob:"],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

# Uploads: anything above 256 KB streams to a temporary file instead of memory, and a request
# may carry at most as many files as a model accepts reference images, each at most as large as
# a model accepts; the whole body is capped before a byte of it is read.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # non-file form data (Django's default, explicit)
DATA_UPLOAD_MAX_NUMBER_FILES = max(caps.images.count.hi for caps in MODELS.values())
UPLOAD_FILE_MAX_BYTES = max(caps.images.max_bytes for caps in MODELS.values())
# Room for the form fields and multipart boundaries beside the files.
REQUEST_BODY_MAX_BYTES = DATA_UPLOAD_MAX_NUMBER_FILES * UPLOAD_FILE_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE
