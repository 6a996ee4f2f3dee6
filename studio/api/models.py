"""Personal API tokens: shown once, stored hashed, scoped to one team."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the secret, shown in lists so a person can tell tokens apart.
    prefix = models.CharField(max_length=16, db_index=True)
    # SHA-256 of the whole secret: the secret itself is shown once and never stored.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


def api_reference_path(instance: ApiReference, filename: str) -> str:
    # Names are ours, never the uploader's: only the extension of the re-encoded file is kept.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"api-references/{instance.team_id}/{uuid.uuid4().hex}.{ext}"


class ApiReference(models.Model):
    """An image uploaded (or fetched by URL) through the API, checked and re-encoded as the
    editor's uploads are, to be named by id in job bodies. Upright size, as stored."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="api_references")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_references")
    file = models.FileField(upload_to=api_reference_path, max_length=255)
    mime = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Reference {self.pk} ({self.width}×{self.height})"


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a team used: inserted (in its own transaction) before the work, so a
    second request with the same key while the first runs finds the row; the answer is saved when
    the work completes and replayed for 24 hours."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused.
    digest = models.CharField(max_length=64)
    # Empty while the first request is still running.
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "key"], name="idempotency_key_per_team")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'in progress'})"
