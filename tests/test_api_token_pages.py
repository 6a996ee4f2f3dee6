"""The API token pages: a person makes, sees and revokes their tokens; a team admin sees and
revokes every token of the team; nobody else learns a token exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studio.api.models import ApiToken
from studio.api.tokens import digest_of, token_create

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(client, **fields):
    return client.post("/accounts/api-tokens/new", {"expires": "never", **fields})


def test_the_secret_is_shown_once_and_stored_hashed(alice, lighthouse):
    client = _client_for(alice)
    answer = _create(client, name="catalogue script", team=lighthouse.pk, expires="30")
    assert answer.status_code == 201
    assert answer["Cache-Control"] == "no-store"
    secret = re.search(rb'value="(ws_[^"]+)"', answer.content).group(1).decode()
    token = ApiToken.objects.get()
    assert token.digest == digest_of(secret) and token.team == lighthouse and token.user == alice
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert b'data-copy="token-secret"' in answer.content and b"share-copy.js" in answer.content
    listed = client.get("/accounts/api-tokens/")
    assert secret.encode() not in listed.content
    assert token.prefix.encode() in listed.content and b"catalogue script" in listed.content
    # The token works at once through the API.
    assert client.get("/api/v1/models", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def test_an_expiry_date_and_never(alice, lighthouse):
    client = _client_for(alice)
    day = timezone.localdate() + timedelta(days=10)
    assert _create(client, name="dated", team=lighthouse.pk, expires="date", expires_on=day.isoformat()).status_code == 201
    assert timezone.localdate(ApiToken.objects.get(name="dated").expires_at) == day + timedelta(days=1)
    assert _create(client, name="forever", team=lighthouse.pk).status_code == 201
    assert ApiToken.objects.get(name="forever").expires_at is None


def test_bad_fields_are_refused_naming_them(alice, lighthouse, mallory):
    client = _client_for(alice)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    answer = _create(client, name="", team=lighthouse.pk, expires="date", expires_on=past)
    assert answer.status_code == 422
    assert b"This field is required" in answer.content and b"Must be after today" in answer.content
    harbour = mallory.teams.get()
    # Alice cannot make a token for a team she is not in.
    assert _create(client, name="sneaky", team=harbour.pk).status_code == 422
    assert _create(client, name="x", team=lighthouse.pk, expires="12").status_code == 422
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_with_a_confirmation(alice, lighthouse):
    client = _client_for(alice)
    new = token_create(user=alice, team=lighthouse, name="old script")
    confirm = client.get(f"/accounts/api-tokens/{new.token.pk}/revoke")
    assert confirm.status_code == 200 and b"Revoke this token?" in confirm.content
    assert ApiToken.objects.usable().exists()
    assert client.post(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 302
    assert not ApiToken.objects.usable().exists()
    assert client.get("/api/v1/models", HTTP_AUTHORIZATION=f"Bearer {new.secret}").status_code == 401


def test_bob_cannot_revoke_alices_token_but_an_admin_can(alice, bob, lighthouse):
    new = token_create(user=alice, team=lighthouse, name="alice's")
    bobs = _client_for(bob)
    assert bobs.get(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 404
    assert bobs.post(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 404
    assert bobs.get("/accounts/team/api-tokens/").status_code == 403
    assert ApiToken.objects.usable().count() == 1
    # Alice is Lighthouse's admin: she sees and revokes Bob's token.
    bobs_token = token_create(user=bob, team=lighthouse, name="bob's script")
    alices = _client_for(alice)
    page = alices.get("/accounts/team/api-tokens/")
    assert page.status_code == 200
    assert b"bob&#x27;s script" in page.content and bobs_token.token.prefix.encode() in page.content
    assert alices.post(f"/accounts/api-tokens/{bobs_token.token.pk}/revoke", {"back": "team"})["Location"] == "/accounts/team/api-tokens/"
    bobs_token.token.refresh_from_db()
    assert bobs_token.token.revoked_at is not None


def test_mallory_gets_404_and_sees_nothing(alice, lighthouse, mallory):
    new = token_create(user=alice, team=lighthouse, name="alice's")
    client = _client_for(mallory)
    assert client.get(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 404
    assert client.post(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 404
    assert new.token.prefix.encode() not in client.get("/accounts/team/api-tokens/").content
    assert new.token.prefix.encode() not in client.get("/accounts/api-tokens/").content
    assert ApiToken.objects.usable().count() == 1


def test_writes_need_csrf(alice, lighthouse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/accounts/api-tokens/new", {"name": "x", "team": lighthouse.pk, "expires": "never"}).status_code == 403
    new = token_create(user=alice, team=lighthouse, name="t")
    assert client.post(f"/accounts/api-tokens/{new.token.pk}/revoke").status_code == 403
    assert ApiToken.objects.usable().count() == 1


def test_the_pages_are_linked_and_need_a_login(client, alice):
    assert client.get("/accounts/api-tokens/").status_code == 302
    signed_in = _client_for(alice)
    assert b'href="/accounts/api-tokens/"' in signed_in.get("/accounts/team/").content
    assert b'href="/accounts/team/api-tokens/"' in signed_in.get("/accounts/team/").content
