"""Teams: who is in them, what their role lets them do, and which one a person works in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from studio.accounts.models import Membership, Role, Team


@pytest.fixture
def admin_client(client, alice):
    client.force_login(alice)
    return client


def role_of(username: str, team: str = "Lighthouse") -> str | None:
    return Membership.objects.filter(user__username=username, team__name=team).values_list("role", flat=True).first()


def test_the_first_admin_is_put_in_a_first_team(db, capsys):
    call_command("bootstrap_admin")
    admin = get_user_model().objects.get()
    assert admin.is_superuser
    assert Membership.objects.get(user=admin).role == Role.ADMIN
    assert "Studio" in capsys.readouterr().out


def test_a_team_admin_adds_a_member_by_username(admin_client, alice, db):
    get_user_model().objects.create_user("dora", password="x-password-1")
    response = admin_client.post("/accounts/team/invite", {"username": "dora", "role": "reviewer"}, follow=True)
    assert "dora joined Lighthouse as reviewer." in response.content.decode()
    assert role_of("dora") == Role.REVIEWER


def test_adding_an_unknown_username_says_so(admin_client):
    response = admin_client.post("/accounts/team/invite", {"username": "nobody"}, follow=True)
    assert "There is no user called “nobody”." in response.content.decode()


def test_a_team_admin_changes_a_role_and_removes_a_member(admin_client, bob):
    membership = Membership.objects.get(user=bob)
    admin_client.post(f"/accounts/team/members/{membership.pk}", {"action": "role", "role": "reviewer"})
    assert role_of("bob") == Role.REVIEWER
    admin_client.post(f"/accounts/team/members/{membership.pk}", {"action": "remove"})
    assert role_of("bob") is None


def test_the_last_admin_cannot_be_removed_or_demoted(admin_client, alice):
    membership = Membership.objects.get(user=alice)
    response = admin_client.post(f"/accounts/team/members/{membership.pk}", {"action": "role", "role": "member"}, follow=True)
    assert "Lighthouse needs at least one admin." in response.content.decode()
    admin_client.post(f"/accounts/team/members/{membership.pk}", {"action": "remove"})
    assert role_of("alice") == Role.ADMIN


def test_members_cannot_manage_the_team(client, alice, bob):
    client.force_login(bob)
    page = client.get("/accounts/team/").content.decode()
    assert "alice" in page and "Add a member" not in page
    assert client.post("/accounts/team/invite", {"username": "alice"}).status_code == 403
    alice_membership = Membership.objects.get(user=alice)
    assert client.post(f"/accounts/team/members/{alice_membership.pk}", {"action": "remove"}).status_code == 403


def test_an_admin_cannot_touch_another_teams_members(admin_client, mallory):
    theirs = Membership.objects.get(user=mallory)
    assert admin_client.post(f"/accounts/team/members/{theirs.pk}", {"action": "remove"}).status_code == 404
    assert role_of("mallory", "Harbour") == Role.ADMIN


def test_a_person_in_two_teams_switches_the_active_one(admin_client, alice, mallory):
    harbour = Team.objects.get(name="Harbour")
    Membership.objects.create(user=alice, team=harbour, role=Role.MEMBER)
    response = admin_client.post("/accounts/team/switch", {"team": harbour.pk, "next": "/accounts/team/"}, follow=True)
    assert "<h1>Team Harbour</h1>" in response.content.decode()


def test_switching_to_a_team_one_is_not_in_is_a_404(admin_client, mallory):
    harbour = Team.objects.get(name="Harbour")
    assert admin_client.post("/accounts/team/switch", {"team": harbour.pk}).status_code == 404


def test_someone_in_no_team_is_told_how_to_join(client, db):
    loner = get_user_model().objects.create_user("loner", password="loner-password-1")
    client.force_login(loner)
    page = client.get("/create/").content.decode()
    assert "you are not in one" in page and "loner" in page


def test_password_change(admin_client, alice):
    response = admin_client.post(
        "/accounts/password/",
        {"old_password": "alice-password-1", "new_password1": "a-new-Passw0rd-9", "new_password2": "a-new-Passw0rd-9"},
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a-new-Passw0rd-9")
