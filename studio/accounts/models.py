"""Teams own jobs and images. Roles and their management arrive with the gallery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class Role(models.TextChoices):
    # A context: "Admin" is also the admin site's link, a different word in Chinese.
    MEMBER = "member", pgettext_lazy("team role", "Member")
    REVIEWER = "reviewer", pgettext_lazy("team role", "Reviewer")
    ADMIN = "admin", pgettext_lazy("team role", "Admin")


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]


class Profile(models.Model):
    """What a person chose for themselves, kept across sessions and devices: the studio's language."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # A code of settings.LANGUAGES, or blank: follow the browser (Accept-Language). Checked by
    # studio.accounts.language, not by choices here, so adding a language needs no migration.
    language = models.CharField(_("language"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)
