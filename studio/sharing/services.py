"""What people do with share links: create, revoke, count a view, leave a visitor's comment.

Who may share: a team's members and admins. Reviewers may not: they judge the work, and a link
publishes it outside the team (they still see the team's links and what visitors wrote).
Revoking only narrows who sees the work, but it stays with the same roles so a link's lifetime
is decided by the people who may make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from studio.accounts.models import Membership, Role
from studio.gallery.models import COMMENT_MAX_CHARS
from studio.pipeline.models import OutputImage
from studio.sharing import tokens
from studio.sharing.models import (
    COMMENTS_MAX_PER_LINK,
    EXPIRY_MAX_DAYS,
    VISITOR_NAME_MAX_CHARS,
    ShareComment,
    ShareKind,
    ShareLink,
)

SHARE_ROLES = frozenset({Role.MEMBER, Role.ADMIN})


class ShareRefused(PermissionError):
    """The person is in the team but their role does not let them do this (a 403)."""


class ShareInvalid(ValueError):
    """Bad input; the message names the field and the limit (a 4xx with the form again)."""


class CommentsFull(ValueError):
    """The link has taken as many comments as it may."""


@dataclass(frozen=True)
class CreatedLink:
    link: ShareLink
    # The only time the token exists outside the visitor's address bar.
    token: str


def may_share(membership: Membership | None) -> bool:
    return membership is not None and membership.role in SHARE_ROLES


def parse_expiry_days(raw: str) -> int:
    text = (raw or "").strip()
    if not text:
        raise ShareInvalid(_("Expires after (days): give a number of days, 1 to %(most)s.") % {"most": EXPIRY_MAX_DAYS})
    if not text.isascii() or not text.isdigit():
        message = _("Expires after (days): “%(value)s” is not a whole number of days (1 to %(most)s).") % {
            "value": text[:20],
            "most": EXPIRY_MAX_DAYS,
        }
        raise ShareInvalid(message)
    days = int(text)
    if days < 1:
        raise ShareInvalid(_("Expires after (days): at least 1 day (you gave %(days)s).") % {"days": days})
    if days > EXPIRY_MAX_DAYS:
        raise ShareInvalid(_("Expires after (days): at most %(most)s days (you gave %(days)s).") % {"most": EXPIRY_MAX_DAYS, "days": days})
    return days


def share_create(
    *,
    membership: Membership,
    kind: str,
    target,
    expires_in_days: int,
    include_prompt: bool,
    may_comment: bool,
    by,
) -> CreatedLink:
    """`target` is the image, job or board, already looked up for this person (another team's is a 404 before this)."""
    if not may_share(membership):
        raise ShareRefused(_("Only members and admins of the team create share links."))
    if not 1 <= expires_in_days <= EXPIRY_MAX_DAYS:
        raise ShareInvalid(_("Expires after (days): 1 to %(most)s days.") % {"most": EXPIRY_MAX_DAYS})
    if kind not in ShareKind.values:
        raise ShareInvalid(_("What to share: an image, a job's images or a board."))
    token = tokens.new_token()
    link = ShareLink.objects.create(
        team_id=membership.team_id,
        kind=kind,
        **{kind: target},
        token_hash=tokens.token_hash(token),
        include_prompt=include_prompt,
        may_comment=may_comment,
        created_by=by,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    return CreatedLink(link=link, token=token)


def share_revoke(*, membership: Membership | None, link: ShareLink, by) -> ShareLink:
    if not may_share(membership):
        raise ShareRefused(_("Only members and admins of the team revoke share links."))
    # Conditional: revoking twice keeps the first time and the first person.
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_by=by)
    link.refresh_from_db()
    return link


def share_record_view(*, link: ShareLink) -> None:
    # One UPDATE, so two visitors at the same moment are both counted.
    ShareLink.objects.filter(pk=link.pk).update(view_count=F("view_count") + 1, last_viewed_at=timezone.now())


def share_comment_create(*, link: ShareLink, name: str, text: str, image: OutputImage | None) -> ShareComment:
    name, text = name.strip(), text.strip()
    if not link.may_comment:
        raise ShareInvalid(_("Comments are not open on this link."))
    if not name:
        raise ShareInvalid(_("Your name: tell the team who is writing."))
    if len(name) > VISITOR_NAME_MAX_CHARS:
        raise ShareInvalid(
            _("Your name: at most %(most)s characters (you gave %(n)s).") % {"most": VISITOR_NAME_MAX_CHARS, "n": len(name)}
        )
    if not text:
        raise ShareInvalid(_("Comment: write something first."))
    if len(text) > COMMENT_MAX_CHARS:
        raise ShareInvalid(
            _("Comment: at most %(most)s characters (you gave %(n)s).") % {"most": COMMENT_MAX_CHARS, "n": len(text)}
        )
    if link.comments.count() >= COMMENTS_MAX_PER_LINK:
        raise CommentsFull(
            _("This link has taken its %(most)s comments; ask the team for a new one.") % {"most": COMMENTS_MAX_PER_LINK}
        )
    return ShareComment.objects.create(link=link, image=image, name=name, text=text)
