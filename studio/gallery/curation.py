"""Comments, stars and boards: what any team member may add to the team's images."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from studio.gallery.models import BOARD_NAME_MAX_CHARS, COMMENT_MAX_CHARS, Board, BoardItem, Comment, Star
from studio.pipeline.models import OutputImage


class CurationInvalid(ValueError):
    """Input that cannot be stored; the message names the field and the limit."""


def comment_add(*, image: OutputImage, author, text: str, boxes: list[list[int]] | None = None) -> Comment:
    """`boxes` come checked (region_comments.parse_boxes), in the image's original pixels."""
    text = text.strip()
    if not text:
        raise CurationInvalid(_("comment: write something first."))
    if len(text) > COMMENT_MAX_CHARS:
        raise CurationInvalid(
            _("comment: at most %(most)s characters (this one has %(n)s).") % {"most": COMMENT_MAX_CHARS, "n": len(text)}
        )
    return Comment.objects.create(image=image, author=author, text=text, boxes=boxes or [])


def star_toggle(*, image: OutputImage, user) -> bool:
    """Star the image for `user`, or unstar it; returns whether it is starred now."""
    deleted, _count = Star.objects.filter(image=image, user=user).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Star.objects.create(image=image, user=user)
    except IntegrityError:
        pass  # a double click: the first one starred it
    return True


def star_set(*, image: OutputImage, user, starred: bool) -> bool:
    """Star or unstar the image for `user` whatever it was (the JSON API's POST and DELETE are
    idempotent, unlike the page's toggle); returns `starred`."""
    if not starred:
        Star.objects.filter(image=image, user=user).delete()
        return False
    try:
        with transaction.atomic():
            Star.objects.get_or_create(image=image, user=user)
    except IntegrityError:
        pass  # two requests at once: the other one starred it
    return True


def board_create(*, team, name: str, by) -> Board:
    name = " ".join(name.split())
    if not name:
        raise CurationInvalid(_("name: give the board a name."))
    if len(name) > BOARD_NAME_MAX_CHARS:
        raise CurationInvalid(
            _("name: at most %(most)s characters (this one has %(n)s).") % {"most": BOARD_NAME_MAX_CHARS, "n": len(name)}
        )
    if Board.objects.filter(team=team, name__iexact=name).exists():
        raise CurationInvalid(_("name: %(team)s already has a board called “%(name)s”.") % {"team": team.name, "name": name})
    try:
        with transaction.atomic():
            return Board.objects.create(team=team, name=name, created_by=by)
    except IntegrityError:
        raise CurationInvalid(_("name: %(team)s already has a board called “%(name)s”.") % {"team": team.name, "name": name}) from None


def board_add(*, board: Board, image: OutputImage, by) -> BoardItem:
    if board.team_id != image.job.team_id:
        raise CurationInvalid(_("board: not a board of this image's team."))
    item, _created = BoardItem.objects.get_or_create(board=board, image=image, defaults={"added_by": by})
    return item


def board_remove(*, board: Board, image: OutputImage) -> None:
    BoardItem.objects.filter(board=board, image=image).delete()
