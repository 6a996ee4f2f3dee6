"""What the image page shows of its comments: text, numbered boxes in the comment's colour, who
may resolve or edit from it, and what resolved it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from studio.accounts.models import Membership
from studio.gallery import region_comments
from studio.gallery.models import COMMENT_MAX_CHARS, Comment
from studio.pipeline.models import OutputImage

# Comment colours cycle through this many CSS classes (comment-colour-0 ...), defined in
# static/css/comment-boxes.css, so the list and the overlay agree without inline styles.
COLOURS = 6


@dataclass(frozen=True)
class Box:
    number: int
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def width(self) -> int:
        return self.x2 - self.x1

    @property
    def height(self) -> int:
        return self.y2 - self.y1

    @property
    def data(self) -> str:
        return f"{self.x1},{self.y1},{self.x2},{self.y2}"


@dataclass(frozen=True)
class CommentRow:
    comment: Comment
    number: int  # 1-based, in the list's order
    colour: int
    boxes: list[Box]
    can_resolve: bool
    resolved_by_image: OutputImage | None

    @property
    def resolved(self) -> bool:
        return self.comment.resolved_at is not None or self.resolved_by_image is not None


def box_slots(typed: Mapping[str, str] | None = None) -> list[dict[str, object]]:
    """The comment form's box fields, holding what was typed when a post is shown back refused."""
    typed = typed or {}
    slots = []
    for slot in range(region_comments.MAX_COMMENT_BOXES):
        values = [(name, str(typed.get(f"box-{slot}-{name}", "")).strip()[:8]) for name in region_comments.BOX_FIELDS]
        slots.append({"index": slot, "values": values, "empty": not any(v for _, v in values)})
    return slots


def comments_context(image: OutputImage, user, membership: Membership | None) -> dict[str, object]:
    comments = list(image.comments.select_related("author", "resolved_by", "image__job"))
    resolving = region_comments.resolving_images(comments)
    rows = [
        CommentRow(
            comment=c,
            number=i + 1,
            colour=i % COLOURS,
            boxes=[Box(n + 1, *box) for n, box in enumerate(c.boxes)],
            can_resolve=region_comments.can_resolve(c, user, membership),
            resolved_by_image=resolving.get(c.pk),
        )
        for i, c in enumerate(comments)
    ]
    return {
        "image": image,
        "comments": rows,
        "comment_max": COMMENT_MAX_CHARS,
        # Every member may create jobs in the team, so everyone who sees the page may edit from a comment.
        "can_edit_from_comment": membership is not None,
        "max_comment_boxes": region_comments.MAX_COMMENT_BOXES,
        "box_min_side": region_comments.BOX_MIN_SIDE,
        "box_slots": box_slots(),
    }
