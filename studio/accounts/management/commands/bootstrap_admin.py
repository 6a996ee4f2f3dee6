"""On an empty database, create the first admin with a generated password and say how to log in."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from studio.accounts.teams import team_create

FIRST_TEAM = "Studio"


class Command(BaseCommand):
    help = "Create the first admin account (only when there are no users yet)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, username: str, url: str, **options) -> None:
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(username=username, email="", password=password)
        team_create(name=FIRST_TEAM, admin=admin)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nCreated the first admin account. Log in at {url} with\n"
                f"  username: {username}\n  password: {password}\n"
                f"They are the admin of the team “{FIRST_TEAM}”; invite teammates from its Team page.\n"
                "This password is shown only once; change it after logging in.\n"
            )
        )
