from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management import call_command


def test_studio_pages_redirect_anonymous_visitors_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_has_labelled_fields(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_logging_in_shows_the_studio(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}, follow=True
    )
    assert response.status_code == 200
    assert b"Log out" in response.content
    assert b"alice" in response.content


def test_logout_is_a_post_and_ends_the_session(alice_client):
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert alice_client.get("/").status_code == 302


def test_emulator_notice_is_shown_without_an_api_key(alice_client, settings):
    settings.WAN_EMULATOR = True
    assert b"Offline emulator" in alice_client.get("/").content
    settings.WAN_EMULATOR = False
    assert b"Offline emulator" not in alice_client.get("/").content


def test_bootstrap_admin_generates_a_password_once(db, capsys):
    call_command("bootstrap_admin")
    out = capsys.readouterr().out
    assert "username: admin" in out
    password = out.split("password: ")[1].split()[0]
    assert len(password) >= 12
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    call_command("bootstrap_admin")
    assert capsys.readouterr().out == ""
    assert get_user_model().objects.count() == 1
