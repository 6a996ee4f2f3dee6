"""Password guessing is slowed: five failed logins lock the account (or address) for a while."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from studio.accounts import throttle


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def log_in(client, username: str, password: str, address: str = "192.0.2.10"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client, alice):
    for _ in range(throttle.USERNAME_MAX_FAILURES):
        response = log_in(client, "alice", "wrong")
        assert response.status_code == 200
        assert b"Your username and password didn't match" in response.content
    response = log_in(client, "alice", "alice-password-1")
    assert response.status_code == 429
    assert "Too many failed logins. Logging in is paused for 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_names_the_username_whatever_its_case(client, alice):
    for _ in range(throttle.USERNAME_MAX_FAILURES):
        log_in(client, "alice", "wrong")
    assert log_in(client, "ALICE", "wrong").status_code == 429


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(client, alice):
    for _ in range(throttle.USERNAME_MAX_FAILURES - 1):
        log_in(client, "alice", "wrong")
    response = log_in(client, "alice", "alice-password-1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_successful_login_starts_the_count_again(client, alice):
    for _ in range(throttle.USERNAME_MAX_FAILURES - 1):
        log_in(client, "alice", "wrong")
    log_in(client, "alice", "alice-password-1")
    client.post("/accounts/logout/")
    for _ in range(throttle.USERNAME_MAX_FAILURES - 1):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "alice-password-1").status_code == 302


def test_a_locked_account_does_not_lock_out_teammates(client, alice, bob):
    for _ in range(throttle.USERNAME_MAX_FAILURES):
        log_in(client, "alice", "wrong", address="192.0.2.10")
    assert log_in(client, "bob", "bob-password-1", address="192.0.2.11").status_code == 302


def test_one_address_trying_many_usernames_is_locked(client, alice):
    for i in range(throttle.ADDRESS_MAX_FAILURES):
        log_in(client, f"guess-{i}", "wrong", address="198.51.100.7")
    assert log_in(client, "alice", "alice-password-1", address="198.51.100.7").status_code == 429
    assert log_in(client, "alice", "alice-password-1", address="198.51.100.8").status_code == 302


def test_the_lock_ends_after_the_cooldown(client, alice, monkeypatch):
    for _ in range(throttle.USERNAME_MAX_FAILURES):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "alice-password-1").status_code == 429
    # The cache forgets the lock when its timeout passes; clearing it is that moment.
    cache.clear()
    assert log_in(client, "alice", "alice-password-1").status_code == 302
