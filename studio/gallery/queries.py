"""Reads (selectors) of the gallery: the grid's pages and the review queue.

Only the images of succeeded, non-trashed jobs of a team are in the gallery; which of them a person
may open is `OutputImage.objects.visible_to` (studio.accounts.access answers 404 for the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from studio.gallery import versions
from studio.gallery.filters import Cursor, Filters
from studio.gallery.models import BoardItem, ReviewState, Star
from studio.pipeline.models import Job, OutputImage

# Jobs per page of the grid (a job is one tile, or one tile per image for a batch).
GRID_PAGE_JOBS = 24


def gallery_jobs(team) -> QuerySet[Job]:
    return Job.objects.filter(team=team).in_gallery()


def unreviewed() -> Q:
    # Review rows are made on the first review: no row means nobody has looked yet.
    return Q(review__isnull=True) | Q(review__state=ReviewState.UNREVIEWED)


def _image_condition(filters: Filters, user) -> Q:
    """Which images the image-level filters (state, starred, board, newest) keep."""
    condition = Q()
    if filters.state == ReviewState.UNREVIEWED:
        condition &= unreviewed()
    elif filters.state:
        condition &= Q(review__state=filters.state)
    if filters.starred:
        condition &= Q(Exists(Star.objects.filter(user=user, image=OuterRef("pk"))))
    if filters.board is not None:
        condition &= Q(Exists(BoardItem.objects.filter(board=filters.board, image=OuterRef("pk"))))
    if filters.newest:
        # An image something was made from is an older version: only the chains' ends stay.
        condition &= Q(~versions.has_newer_version())
    return condition


def _job_filtered(jobs: QuerySet[Job], filters: Filters) -> QuerySet[Job]:
    """The job-level filters (author, model, prompt text, dates)."""
    if filters.author:
        jobs = jobs.filter(owner__username=filters.author)
    if filters.model:
        jobs = jobs.filter(model=filters.model)
    if filters.q:
        jobs = jobs.filter(prompt__icontains=filters.q)
    if filters.date_from:
        jobs = jobs.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        jobs = jobs.filter(created_at__date__lte=filters.date_to)
    return jobs


@dataclass(frozen=True)
class GridUnit:
    """One job in the grid: a batch shows the images that match; a sequential set stays whole."""

    job: Job
    images: list[OutputImage]

    @property
    def sequential(self) -> bool:
        return self.job.sequential


@dataclass(frozen=True)
class GridPage:
    units: list[GridUnit]
    next_cursor: Cursor | None


def grid_page(team, user, filters: Filters, *, size: int | None = None) -> GridPage:
    """One page of the grid, newest first, in two queries whatever the number of images."""
    size = size or GRID_PAGE_JOBS
    jobs = _job_filtered(gallery_jobs(team).select_related("owner"), filters)
    condition = _image_condition(filters, user)
    if condition:
        jobs = jobs.filter(Exists(OutputImage.objects.filter(condition, job=OuterRef("pk"))))
    else:
        # Cheaper than a subquery per job: the pipeline counts what it stored.
        jobs = jobs.filter(images_stored__gt=0)
    if filters.cursor:
        c = filters.cursor
        jobs = jobs.filter(Q(created_at__lt=c.at) | Q(created_at=c.at, pk__lt=c.id))
    images = (
        OutputImage.objects.annotate(
            review_state=Coalesce("review__state", Value(ReviewState.UNREVIEWED)),
            starred=Exists(Star.objects.filter(user=user, image=OuterRef("pk"))),
            matches=ExpressionWrapper(condition, output_field=BooleanField()) if condition else Value(True),
        )
        .order_by("index")
    )
    found = list(jobs.order_by("-created_at", "-pk").prefetch_related(Prefetch("outputs", queryset=images))[: size + 1])
    more = len(found) > size
    found = found[:size]
    units = [
        GridUnit(job=job, images=[i for i in job.outputs.all() if job.sequential or i.matches]) for job in found
    ]
    for unit in units:
        for image in unit.images:
            image.review_label = ReviewState(image.review_state).label
    last = found[-1] if more else None
    return GridPage(units=units, next_cursor=Cursor(at=last.created_at, id=last.pk) if last else None)


@dataclass(frozen=True)
class ImagePage:
    images: list[OutputImage]
    next_cursor: Cursor | None


def image_page(team, user, filters: Filters, *, size: int) -> ImagePage:
    """One page of the team's gallery images (not jobs: the JSON API lists images), newest first,
    with the grid's filters; each image carries review_state, starred and comment_count."""
    jobs = _job_filtered(gallery_jobs(team), filters)
    found = (
        OutputImage.objects.filter(job__in=jobs)
        .filter(_image_condition(filters, user))
        .select_related("job", "job__owner")
        .annotate(
            review_state=Coalesce("review__state", Value(ReviewState.UNREVIEWED)),
            starred=Exists(Star.objects.filter(user=user, image=OuterRef("pk"))),
            comment_count=Count("comments", distinct=True),
        )
    )
    if filters.cursor:
        c = filters.cursor
        found = found.filter(Q(created_at__lt=c.at) | Q(created_at=c.at, pk__lt=c.id))
    rows = list(found.order_by("-created_at", "-pk")[: size + 1])
    last = rows[size - 1] if len(rows) > size else None
    return ImagePage(images=rows[:size], next_cursor=Cursor(at=last.created_at, id=last.pk) if last else None)


def review_queue(team) -> QuerySet[OutputImage]:
    """The team's unreviewed images, oldest first."""
    return (
        OutputImage.objects.filter(job__in=gallery_jobs(team))
        .filter(unreviewed())
        .select_related("job", "job__owner")
        .order_by("created_at", "pk")
    )


def queue_next(team, after: OutputImage | None = None) -> OutputImage | None:
    """The oldest unreviewed image, or the next one after `after` (skipped images stay behind)."""
    queue = review_queue(team)
    if after is not None:
        queue = queue.filter(Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, pk__gt=after.pk))
    return queue.first()


def gallery_neighbours(image: OutputImage) -> tuple[OutputImage | None, OutputImage | None]:
    """(previous, next) of an image in the grid's order: jobs newest first, a job's images by index.

    The image page's ← and → walk the gallery as the grid shows it, crossing from one job to the next.
    """
    job = image.job
    team_images = OutputImage.objects.filter(job__in=gallery_jobs(job.team_id)).select_related("job")
    at, pk = job.created_at, job.pk
    later = Q(job=job, index__gt=image.index) | Q(job__created_at__lt=at) | Q(job__created_at=at, job_id__lt=pk)
    earlier = Q(job=job, index__lt=image.index) | Q(job__created_at__gt=at) | Q(job__created_at=at, job_id__gt=pk)
    following = team_images.filter(later).order_by("-job__created_at", "-job_id", "index").first()
    previous = team_images.filter(earlier).order_by("job__created_at", "job_id", "-index").first()
    return previous, following
