"""Personal API tokens: shown once, stored hashed, scoped to one team, revocable at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.accounts.teams import member_add, team_create
from studio.api.models import ApiToken
from studio.api.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def team(alice):
    return team_create(name="Alpha", admin=alice)


def _get(client, path, secret=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.get(path, **headers)


def test_a_new_token_is_stored_only_as_its_digest(alice, team):
    new = token_create(user=alice, team=team, name="catalogue script")
    stored = ApiToken.objects.get()
    assert new.secret.startswith("ws_") and len(new.secret) > 40
    assert new.secret not in (stored.digest, stored.prefix, stored.name)
    assert stored.prefix == new.secret[:10]


def test_the_models_endpoint_answers_a_token_and_refuses_without_one(client, alice, team):
    secret = token_create(user=alice, team=team, name="t").secret
    answer = _get(client, "/api/v1/models", secret)
    assert answer.status_code == 200
    names = [m["name"] for m in answer.json()["models"]]
    assert "wan2.7-image-pro" in names
    refused = _get(client, "/api/v1/models")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(client, alice, team):
    new = token_create(user=alice, team=team, name="t")
    assert _get(client, "/api/v1/models", new.secret).status_code == 200
    token_revoke(token=new.token)
    assert _get(client, "/api/v1/models", new.secret).status_code == 401


def test_an_expired_token_and_a_former_member_are_refused(client, django_user_model, alice, team):
    expired = token_create(user=alice, team=team, name="t", expires_at=timezone.now() - timedelta(seconds=1))
    assert _get(client, "/api/v1/models", expired.secret).status_code == 401
    bob = django_user_model.objects.create_user("bob", password="pw-bob-12345")
    membership = member_add(team=team, username="bob")
    bobs = token_create(user=bob, team=team, name="t")
    assert _get(client, "/api/v1/models", bobs.secret).status_code == 200
    membership.delete()
    assert _get(client, "/api/v1/models", bobs.secret).status_code == 401


def test_last_used_time_is_recorded(client, alice, team):
    new = token_create(user=alice, team=team, name="t")
    assert new.token.last_used_at is None
    _get(client, "/api/v1/models", new.secret)
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None


def test_the_schema_is_served_and_valid_openapi_3(client, alice, team):
    from openapi_spec_validator import validate

    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    validate(schema.json())
    assert schema.json()["openapi"].startswith("3.")


def test_the_browsable_docs_need_no_inline_script(client, alice):
    client.force_login(alice)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"swagger-ui-bundle.js" in page.content
