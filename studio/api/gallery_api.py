"""/api/v1/ endpoints: gallery — list images with the gallery's filters, one image, its file,
review state, comments and stars.

Thin: the filters are the gallery page's own form (studio.gallery.filters), the page of images a
selector beside the grid's (studio.gallery.queries.image_page), and every write the service the
image page calls (review.image_review_set, curation.comment_add, curation.star_set). Only images of
the caller's team (the token's, or the session's active team) exist here: any other id is a 404.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from django.http import FileResponse, HttpRequest, QueryDict
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt, StrictStr

from studio.accounts import teams
from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.api.params import RowId
from studio.gallery import curation, queries, region_comments, review, zips
from studio.gallery.filters import FilterForm
from studio.numbers import parse_whole
from studio.gallery.models import COMMENT_MAX_CHARS, REVIEW_NOTE_MAX_CHARS, Comment, ReviewState
from studio.pipeline.models import OutputImage

log = logging.getLogger(__name__)
router = Router(tags=["gallery"])

PAGE_DEFAULT = 50
PAGE_MAX = 100


class ImageOut(Schema):
    id: int
    job_id: int
    index: int
    prompt: str
    model: str
    author: str
    width: int
    height: int
    size: str
    review_state: str
    starred: bool
    comment_count: int
    created_at: datetime
    download_url: str


class ImagePageOut(Schema):
    images: list[ImageOut]
    next: str | None = Field(None, description="The cursor of the next page, or null on the last page.")


class ReviewIn(Schema):
    state: StrictStr = Field(description=f"One of: {', '.join(ReviewState.values)}.")
    note: StrictStr = Field("", max_length=REVIEW_NOTE_MAX_CHARS)


class ReviewOut(Schema):
    id: int
    review_state: str


Box = Annotated[list[StrictInt], Field(min_length=4, max_length=4, description="[x1, y1, x2, y2] in the image's pixels")]


class CommentIn(Schema):
    text: StrictStr = Field(max_length=COMMENT_MAX_CHARS)
    boxes: list[Box] = Field(default_factory=list, max_length=region_comments.MAX_COMMENT_BOXES)


class CommentOut(Schema):
    id: int
    author: str
    text: str
    boxes: list[list[int]]
    created_at: datetime
    resolved: bool


class CommentsOut(Schema):
    comments: list[CommentOut]


class StarOut(Schema):
    id: int
    starred: bool


def _image(request: HttpRequest, image_id: int) -> OutputImage:
    caller = request.auth
    image = (
        OutputImage.objects.visible_to(caller.user)
        .filter(job__team=caller.team, pk=image_id)
        .select_related("job", "job__owner", "review")
        .first()
    )
    if image is None:
        raise not_found("image")
    return image


def _image_json(image: OutputImage, *, review_state: str, starred: bool, comment_count: int) -> dict:
    return {
        "id": image.pk,
        "job_id": image.job_id,
        "index": image.index,
        "prompt": image.job.prompt,
        "model": image.job.model,
        "author": image.job.owner.username,
        "width": image.width,
        "height": image.height,
        "size": f"{image.width}*{image.height}",
        "review_state": review_state,
        "starred": starred,
        "comment_count": comment_count,
        "created_at": image.created_at,
        "download_url": f"/api/v1/images/{image.pk}/file",
    }


def _field_problem(message: str, *, prefix: str = "body") -> Problem:
    # The gallery's services word problems as "field: what is wrong"; the field becomes the path.
    field, sep, _ = message.partition(":")
    return Problem(f"{prefix}.{field.strip()}" if sep and " " not in field.strip() else prefix, message)


@router.get("/images", response=ImagePageOut, summary="The team's gallery images, newest first, with the gallery's filters")
def list_images(
    request: HttpRequest,
    author: str = "",
    model: str = "",
    state: str = Query("", description=f"Review state: {', '.join(ReviewState.values)}."),
    starred: bool = Query(False, description="Only images you starred."),
    board: str = Query("", description="A board id of the team."),
    date_from: str = Query("", alias="from", description="YYYY-MM-DD, inclusive."),
    date_to: str = Query("", alias="to", description="YYYY-MM-DD, inclusive."),
    q: str = Query("", description="Text in the prompt."),
    newest: bool = Query(False, description="Only the newest version of each chain of edits."),
    cursor: str = Query("", description="The `next` of the previous page."),
    limit: str = Query(str(PAGE_DEFAULT), description=f"Images per page, 1–{PAGE_MAX}."),
) -> dict:
    caller = request.auth
    size = _limit(limit)
    data = QueryDict(mutable=True)
    for name, value in (
        ("author", author), ("model", model), ("state", state), ("board", board), ("from", date_from),
        ("to", date_to), ("q", q), ("cursor", cursor),
    ):
        if value:
            data[name] = value
    if starred:
        data["starred"] = "on"
    if newest:
        data["newest"] = "on"
    form = FilterForm(data, team=caller.team)
    if not form.is_valid():
        raise invalid(
            [Problem(f"query.{name}", f"{name}: {message}") for name, messages in form.errors.items() for message in messages]
        )
    page = queries.image_page(caller.team, caller.user, form.filters(), size=size)
    return {
        "images": [
            _image_json(i, review_state=i.review_state, starred=i.starred, comment_count=i.comment_count) for i in page.images
        ],
        "next": page.next_cursor.encode() if page.next_cursor else None,
    }


def _limit(text: str) -> int:
    value = parse_whole(text, most=PAGE_MAX)
    if value is None or value < 1:
        raise invalid([Problem("query.limit", f"limit: a whole number from 1 to {PAGE_MAX}.")])
    return value


@router.get("/images/{id}", response=ImageOut, summary="One gallery image")
def get_image(request: HttpRequest, id: RowId) -> dict:
    image = _image(request, id)
    return _image_json(
        image,
        review_state=review.state_of(image),
        starred=image.stars.filter(user=request.auth.user).exists(),
        comment_count=image.comments.count(),
    )


@router.get(
    "/images/{id}/file",
    summary="The image's PNG file",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "The PNG", "content": {"image/png": {}}}}},
)
def get_image_file(request: HttpRequest, id: RowId) -> FileResponse:
    image = _image(request, id)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError:
        log.error("job %s image %s: stored file %s is missing", image.job_id, image.index, image.file.name)
        raise ApiError(404, "file_missing", "The stored file of this image is missing; an admin can run `manage.py gallery verify`.") from None
    response = FileResponse(handle, as_attachment=True, filename=zips.image_filename(image), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.post("/images/{id}/review", response=ReviewOut, summary="Set the image's review state (reviewers and admins)")
def set_review(request: HttpRequest, id: RowId, payload: ReviewIn) -> dict:
    image = _image(request, id)
    caller = request.auth
    try:
        done = review.image_review_set(
            image=image,
            by=caller.user,
            membership=teams.membership_of(caller.user, caller.team),
            state=payload.state,
            note=payload.note,
        )
    except review.ReviewRefused as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    except review.ReviewInvalid as exc:
        raise invalid([_field_problem(str(exc))]) from None
    return {"id": image.pk, "review_state": done.state}


def _comment_json(comment: Comment) -> dict:
    return {
        "id": comment.pk,
        "author": comment.author.username,
        "text": comment.text,
        "boxes": comment.boxes,
        "created_at": comment.created_at,
        "resolved": comment.resolved_at is not None,
    }


@router.get("/images/{id}/comments", response=CommentsOut, summary="The image's comments, oldest first")
def list_comments(request: HttpRequest, id: RowId) -> dict:
    image = _image(request, id)
    return {"comments": [_comment_json(c) for c in image.comments.select_related("author").order_by("created_at", "pk")]}


@router.post("/images/{id}/comments", response={201: CommentOut}, summary="Comment on the image, optionally on regions of it")
def add_comment(request: HttpRequest, id: RowId, payload: CommentIn) -> Status:
    image = _image(request, id)
    boxes = []
    problems = []
    for n, box in enumerate(payload.boxes):
        try:
            boxes.append(region_comments.check_box(list(box), label=f"box {n + 1}", width=image.width, height=image.height))
        except region_comments.RegionInvalid as exc:
            problems.append(Problem(f"body.boxes[{n}]", str(exc)))
    if problems:
        raise invalid(problems)
    try:
        comment = curation.comment_add(image=image, author=request.auth.user, text=payload.text, boxes=boxes)
    except curation.CurationInvalid as exc:
        raise invalid([Problem("body.text", str(exc))]) from None
    return Status(201, _comment_json(comment))


@router.post("/images/{id}/star", response=StarOut, summary="Star the image (for you only)")
def star(request: HttpRequest, id: RowId) -> dict:
    image = _image(request, id)
    return {"id": image.pk, "starred": curation.star_set(image=image, user=request.auth.user, starred=True)}


@router.delete("/images/{id}/star", response=StarOut, summary="Unstar the image")
def unstar(request: HttpRequest, id: RowId) -> dict:
    image = _image(request, id)
    return {"id": image.pk, "starred": curation.star_set(image=image, user=request.auth.user, starred=False)}
