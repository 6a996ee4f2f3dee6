"""What a team adds to its images: review states with their history, comments, stars, boards.

An image without an ImageReview row is unreviewed: rows are created on the first review, so
storing an image costs nothing here and the grid reads the state with one join.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# One source of truth for the lengths the forms and templates show.
COMMENT_MAX_CHARS = 2000
BOARD_NAME_MAX_CHARS = 100
REVIEW_NOTE_MAX_CHARS = 500


class ReviewState(models.TextChoices):
    UNREVIEWED = "unreviewed", _("Unreviewed")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    REJECTED = "rejected", _("Rejected")


class ImageReview(models.Model):
    """The current review state of one image: who set it and when."""

    image = models.OneToOneField("pipeline.OutputImage", on_delete=models.CASCADE, related_name="review")
    state = models.CharField(max_length=20, choices=ReviewState.choices, default=ReviewState.UNREVIEWED, db_index=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    set_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"Image {self.image_id}: {self.state}"


class ReviewEvent(models.Model):
    """One change of an image's review state. Append-only: never edited, never deleted by the studio."""

    image = models.ForeignKey("pipeline.OutputImage", on_delete=models.CASCADE, related_name="review_events")
    from_state = models.CharField(max_length=20, choices=ReviewState.choices)
    to_state = models.CharField(max_length=20, choices=ReviewState.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=REVIEW_NOTE_MAX_CHARS, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Comment(models.Model):
    image = models.ForeignKey("pipeline.OutputImage", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Plain text: shown escaped, never as HTML or Markdown.
    text = models.TextField(max_length=COMMENT_MAX_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)
    # Regions the comment is about: [[x1, y1, x2, y2], ...] in the image's original pixels, checked
    # by region_comments.parse_boxes (inside the image, the editor's minimum side, the API's count).
    boxes = models.JSONField(default=list, blank=True)
    # Marked resolved by hand; a succeeded edit job resolves it too (region_comments.resolving_image).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The jobs generated from drafts started with "Edit from this comment", linked by the editor.
    edit_jobs = models.ManyToManyField("pipeline.Job", blank=True, related_name="edited_comments")

    class Meta:
        ordering = ["created_at", "id"]


class Star(models.Model):
    """A person's own bookmark on an image; teammates do not see each other's stars."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey("pipeline.OutputImage", on_delete=models.CASCADE, related_name="stars")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "image"], name="unique_star")]


class Board(models.Model):
    """A named collection a team curates; an image can be on several boards."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="boards")
    name = models.CharField(max_length=BOARD_NAME_MAX_CHARS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    images = models.ManyToManyField("pipeline.OutputImage", through="BoardItem", related_name="boards")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_board_name")]

    def __str__(self) -> str:
        return self.name


class BoardItem(models.Model):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="items")
    image = models.ForeignKey("pipeline.OutputImage", on_delete=models.CASCADE, related_name="board_items")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["board", "image"], name="unique_board_item")]
