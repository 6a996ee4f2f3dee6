"""What a person is composing: a draft that is saved as they go, so nothing is lost.

Uploads become draft references the moment they arrive; prompt, parameters, boxes and palette
are saved on every change. A failed submit, a reload or a crash leaves all of it in place.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from studio.wan.capabilities import DEFAULT_MODEL


def reference_upload_path(instance: DraftReference, filename: str) -> str:
    # Names are ours, never the uploader's: only the extension of the re-encoded file is kept.
    ext = filename.rsplit(".", 1)[-1].lower()
    return f"drafts/{instance.draft_id}/{uuid.uuid4().hex}.{ext}"


class Draft(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    model = models.CharField(max_length=64, default=DEFAULT_MODEL)
    prompt = models.TextField(blank=True)
    # The parameter fields as the person typed them (strings kept as typed, so a value the
    # server refuses is shown back to be corrected, not lost): size_preset, width, height, n,
    # sequential, thinking_mode, watermark, seed.
    fields = models.JSONField(default=dict, blank=True)
    palette_enabled = models.BooleanField(default=False)
    # [{"hex": "#AABBCC", "percent": "25.00"}]: as typed; parsed to hundredths when submitting.
    palette = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The draft the person was on when this one replaced it ("Reuse settings", "Open" a draft):
    # the editor offers the way back, so starting a draft never silently throws one away.
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The review comment this draft was started from ("Edit from this comment"): a job generated
    # from the draft is linked to it, and its first image resolves it.
    from_comment = models.ForeignKey(
        "gallery.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Draft {self.pk} of {self.owner}"

    @classmethod
    def current_for(cls, user) -> Draft:
        """The draft a person is working on: their latest, or a new one."""
        draft = cls.objects.filter(owner=user).order_by("-updated_at", "-pk").first()
        return draft or cls.objects.create(owner=user)

    def ordered_references(self) -> list[DraftReference]:
        return list(self.references.order_by("position", "pk"))


class DraftReference(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="references")
    # Prompts call the first one "image 1": the order is part of the request.
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=reference_upload_path)
    mime = models.CharField(max_length=32)
    # Of the stored, upright image: what the canvas shows and what box coordinates refer to.
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(max_length=255, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # [[x1, y1, x2, y2], ...] in the stored image's pixels; as typed until validated.
    boxes = models.JSONField(default=list, blank=True)
    # A mask painted on this reference (wanx2.1 mask editing): white is edited, black kept.
    mask = models.FileField(upload_to=reference_upload_path, blank=True)
    # The gallery image it was added from, carried to the job's reference (the versions chain).
    source_image = models.ForeignKey(
        "pipeline.OutputImage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.original_name or 'reference'} ({self.width}×{self.height})"
