"""Read-only links that show one image, a job's images or a board to people outside the team.

A link names exactly one of image, job or board. A board is shared as it is when the page is opened
(images added later show, removed ones stop showing); an image or a job is shared as stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.gallery.models import COMMENT_MAX_CHARS

# One source of truth for the limits the forms, the service and the templates show.
EXPIRY_DEFAULT_DAYS = 7
EXPIRY_MAX_DAYS = 90
VISITOR_NAME_MAX_CHARS = 80
# A link in the wild can be posted to by anyone holding it: a ceiling keeps a leaked link from
# filling the database.
COMMENTS_MAX_PER_LINK = 500


class ShareKind(models.TextChoices):
    IMAGE = "image", _("Image")
    JOB = "job", _("Job's images")
    BOARD = "board", _("Board")


class ShareLink(models.Model):
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="share_links")
    kind = models.CharField(max_length=8, choices=ShareKind.choices)
    image = models.ForeignKey("pipeline.OutputImage", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    job = models.ForeignKey("pipeline.Job", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    board = models.ForeignKey("gallery.Board", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # The SHA-256 of the token (studio.sharing.tokens); the token itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    include_prompt = models.BooleanField(default=False)
    may_comment = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    view_count = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="share_names_one_object",
                condition=(
                    models.Q(kind="image", image__isnull=False, job__isnull=True, board__isnull=True)
                    | models.Q(kind="job", image__isnull=True, job__isnull=False, board__isnull=True)
                    | models.Q(kind="board", image__isnull=True, job__isnull=True, board__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"Share link {self.pk} ({self.kind})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "live" if self.expires_at > timezone.now() else "expired"


class ShareComment(models.Model):
    """What a visitor of a link with "may comment" wrote: a name they gave, never an account."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="comments")
    # The image the visitor pointed at, or none for the whole link.
    image = models.ForeignKey(
        "pipeline.OutputImage", on_delete=models.CASCADE, null=True, blank=True, related_name="share_comments"
    )
    name = models.CharField(max_length=VISITOR_NAME_MAX_CHARS)
    # Plain text: shown escaped, never as HTML or Markdown.
    text = models.TextField(max_length=COMMENT_MAX_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
