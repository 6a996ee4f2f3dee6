"""Reads: the link a token opens, the images it shows, a team's links and what visitors wrote."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet
from django.utils import timezone

from studio.pipeline.models import JobStatus, OutputImage
from studio.sharing import tokens
from studio.sharing.models import ShareComment, ShareLink


def live_link(token: str) -> ShareLink | None:
    """The link `token` opens now, or None: unknown, revoked and expired all look the same."""
    if not tokens.looks_like_token(token):
        return None
    wanted = tokens.token_hash(token)
    link = ShareLink.objects.filter(token_hash=wanted, revoked_at__isnull=True, expires_at__gt=timezone.now()).first()
    # The lookup already matched; the constant-time check costs nothing and keeps a future change
    # of the lookup (a prefix index, a cache) from turning into a timing oracle.
    if link is None or not hmac.compare_digest(link.token_hash, wanted):
        return None
    return link


def shared_images(link: ShareLink) -> QuerySet[OutputImage]:
    """Exactly the images the link shows, in the order it shows them.

    Always within the link's team and the gallery (a job in the trash is not shown), whatever the
    board holds, so a link can never reach an image its team does not own.
    """
    images = OutputImage.objects.filter(
        job__team_id=link.team_id, job__status=JobStatus.SUCCEEDED, job__deleted_at__isnull=True
    ).select_related("job")
    if link.kind == "image":
        return images.filter(pk=link.image_id)
    if link.kind == "job":
        return images.filter(job_id=link.job_id).order_by("index")
    return images.filter(board_items__board_id=link.board_id).order_by("board_items__added_at", "board_items__id")


def shared_image_at(link: ShareLink, position: int) -> OutputImage | None:
    """The image at 1-based `position` of the link: visitors' URLs carry positions, never studio ids."""
    if position < 1:
        return None
    found = list(shared_images(link)[position - 1 : position])
    return found[0] if found else None


def team_links(team_id: int) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(team_id=team_id).select_related(
        "image", "image__job", "job", "board", "created_by", "revoked_by"
    ).prefetch_related("comments", "comments__image")


def comments_on_image(image: OutputImage) -> QuerySet[ShareComment]:
    return ShareComment.objects.filter(image=image, link__team_id=image.job.team_id).select_related("link")
