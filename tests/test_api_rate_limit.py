"""Rate limits per token: a 429 with Retry-After over the limit, RateLimit-* headers on every answer."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from studio.api import rate_limit
from studio.api.errors import ApiError
from tests.api_calls import call, secret_for

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0  # a whole minute: the window ends 60 s later


@pytest.fixture(autouse=True)
def still_clock(monkeypatch, settings):
    cache.clear()
    now = {"t": WINDOW_START + 15}
    monkeypatch.setattr(rate_limit, "clock", lambda: now["t"])
    settings.API_RATE_PER_MINUTE = 3
    settings.API_JOBS_PER_MINUTE = 1
    yield now
    cache.clear()


def test_every_answer_says_the_limit_and_what_is_left(client, alice):
    secret = secret_for(alice)
    answers = [call(client, "get", "/api/v1/models", secret) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a["RateLimit-Limit"] == "3" and a["RateLimit-Reset"] == "45" for a in answers)


def test_over_the_limit_is_429_with_retry_after_in_the_common_shape(client, alice):
    secret = secret_for(alice)
    for _ in range(3):
        call(client, "get", "/api/v1/models", secret)
    refused = call(client, "get", "/api/v1/models", secret)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    assert refused["RateLimit-Remaining"] == "0"
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "at most 3 a minute" in error["message"]
    assert error["retry_after"] == 45


def test_the_next_window_admits_again(client, alice, still_clock):
    secret = secret_for(alice)
    for _ in range(4):
        call(client, "get", "/api/v1/models", secret)
    still_clock["t"] = WINDOW_START + 60
    again = call(client, "get", "/api/v1/models", secret)
    assert again.status_code == 200 and again["RateLimit-Remaining"] == "2" and again["RateLimit-Reset"] == "60"


def test_each_token_has_its_own_count(client, alice, bob):
    alices, bobs = secret_for(alice), secret_for(bob)
    for _ in range(4):
        call(client, "get", "/api/v1/models", alices)
    assert call(client, "get", "/api/v1/models", alices).status_code == 429
    assert call(client, "get", "/api/v1/models", bobs).status_code == 200


def test_refusals_count_too_so_hostile_bodies_are_limited(client, alice):
    secret = secret_for(alice)
    statuses = [call(client, "get", "/api/v1/images?limit=nonsense", secret).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_no_token_is_401_and_uncounted(client):
    answer = call(client, "get", "/api/v1/models")
    assert answer.status_code == 401 and "RateLimit-Limit" not in answer


def test_the_browser_session_is_limited_per_person(client, alice):
    client.force_login(alice)
    assert [client.get("/api/v1/models").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_job_creation_has_its_own_lower_limit():
    factory = RequestFactory()
    rate_limit.admit(factory.post("/api/v1/jobs"), "token:x")
    rate_limit.admit(factory.get("/api/v1/jobs"), "token:x")  # reading jobs is not creating them
    with pytest.raises(ApiError) as refused:
        rate_limit.admit(factory.post("/api/v1/batches"), "token:x")
    assert refused.value.status == 429 and "job-creating" in refused.value.message
    assert refused.value.headers["RateLimit-Limit"] == "1"


def test_web_processes_share_the_count_through_redis(redis, monkeypatch):
    """Two web processes, each with its own connection to the Redis cache REDIS_URL configures,
    count the same token's requests together."""
    from django.core.cache.backends.redis import RedisCache

    first, second = RedisCache(redis.url, {}), RedisCache(redis.url, {})
    request = RequestFactory().get("/api/v1/models")
    for process in (first, second, first):
        monkeypatch.setattr(rate_limit, "cache", process)
        rate_limit.admit(request, "token:shared")
    monkeypatch.setattr(rate_limit, "cache", second)
    with pytest.raises(ApiError) as refused:
        rate_limit.admit(request, "token:shared")
    assert refused.value.status == 429
    first.clear()


def test_settings_use_redis_as_the_cache_when_redis_url_is_set():
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "REDIS_URL": "redis://cache.internal:6379/0", "DJANGO_SETTINGS_MODULE": "studio.settings"}
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES['default']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache.internal:6379/0"}
