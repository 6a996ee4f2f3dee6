"""/api/v1/batches: many jobs in one request, admitted against the budget as a whole or not at all.

A batch is either a list of job bodies, or one template job body and a list of variations, each
a partial job body laid over the template (its fields replace the template's; `references`
replaces the template's list whole). Every item goes through the editor's gate
(studio.pipeline.batches.batch_create → job_create): one item's problem refuses the batch, named
at the item's path (`body.variations[3].seed`), and a budget that cannot cover every job makes
none (402 with what is left and what the batch needed).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictStr, field_validator
from pydantic import ValidationError as PydanticValidationError

from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.api.idempotency import idempotent
from studio.api.job_bodies import JobBody, body_path, budget_refusal, request_of
from studio.api.params import RowId
from studio.gallery.batch_views import batch_zip_response
from studio.numbers import parse_whole
from studio.pipeline.batches import (
    BATCH_MAX_ITEMS,
    NAME_MAX_LENGTH,
    BatchOverBudget,
    BatchRefused,
    batch_create,
    batch_progress,
)
from studio.pipeline.models import Batch, JobStatus

router = Router(tags=["batches"])

PAGE_DEFAULT = 20
PAGE_MAX = 100


class BatchBody(Schema):
    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field("", max_length=NAME_MAX_LENGTH, description="A name shown on the batch's page")
    jobs: list[JobBody] | None = Field(
        None, min_length=1, max_length=BATCH_MAX_ITEMS, description=f"Job bodies, 1–{BATCH_MAX_ITEMS}; or give template and variations"
    )
    template: JobBody | None = Field(None, description="The job body every variation starts from")
    variations: list[JobBody] | None = Field(
        None,
        min_length=1,
        max_length=BATCH_MAX_ITEMS,
        description=f"1–{BATCH_MAX_ITEMS} partial job bodies (prompt, references, seed, …); each field given replaces the template's",
    )

    @field_validator("name")
    @classmethod
    def _printable(cls, name: str) -> str:
        # NUL and other control characters: PostgreSQL refuses NUL in text, and no page shows them.
        if not name.isprintable():
            raise ValueError("a name of printable characters (no control characters or line breaks)")
        return name


class ProgressOut(Schema):
    total: int
    queued: int
    running: int
    attention: int = Field(description="Sent, but the provider's answer never came: a person decides")
    done: int
    failed: int
    canceled: int
    images_stored: int
    cost: dict[str, str] = Field(description="Charged so far by the ledger, per currency")
    finished: bool


class BatchJobOut(Schema):
    id: int
    status: str
    images: list[int] = Field(description="Gallery image ids (GET /api/v1/images/{id})")


class BatchOut(Schema):
    id: int
    name: str
    created_at: datetime
    finished_at: datetime | None
    progress: ProgressOut
    jobs: list[BatchJobOut]
    page_url: str
    zip_url: str


class BatchSummaryOut(Schema):
    id: int
    name: str
    created_at: datetime
    finished_at: datetime | None
    page_url: str


class BatchPageOut(Schema):
    batches: list[BatchSummaryOut]
    next: str | None = Field(None, description="The cursor of the next page, or null on the last page")


@router.post(
    "/batches",
    response={201: BatchOut},
    summary="Make many jobs at once, all or none",
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "Send the same key again to get the first answer instead of a second batch (kept 24 h).",
            }
        ]
    },
)
def create_batch(request: HttpRequest, body: BatchBody):
    caller = request.auth
    # A script that retries after a timeout must not make 100 more jobs: the jobs' own key rules.
    return idempotent(request, caller, lambda: (201, _batch_json(request, _admit(caller, body))))


def _admit(caller, body: BatchBody) -> Batch:
    bodies, paths = _items(body)
    items = []
    problems: list[Problem] = []
    for item, path in zip(bodies, paths):
        try:
            items.append(request_of(caller=caller, body=item, path=path))
        except ApiError as error:
            if error.status != 422:
                raise  # an unknown reference: 404 naming its path
            problems += error.problems
    if problems:
        raise invalid(problems)
    try:
        return batch_create(owner=caller.user, team=caller.team, name=body.name.strip(), items=items)
    except BatchRefused as refused:
        raise invalid(
            [Problem(body_path(p.problem.path, len(items[p.index][1]), paths[p.index]), p.problem.message) for p in refused.problems]
        ) from None
    except BatchOverBudget as over:
        error = budget_refusal(caller.team, over.message)
        error.extra["needed"] = {
            "jobs": over.jobs,
            "amount": _amount(over.needed_amount),
            "currency": over.currency,
            "images": over.needed_images,
        }
        raise error from None
    except ValueError as exc:
        # batch_create's own count check; the schema's limits normally answer first.
        raise invalid([Problem("body", str(exc))]) from None


@router.get("/batches", response=BatchPageOut, summary="The team's batches, newest first")
def list_batches(
    request: HttpRequest,
    cursor: str = Query("", description="The `next` of the previous page."),
    limit: str = Query(str(PAGE_DEFAULT), description=f"Batches per page, 1–{PAGE_MAX}."),
) -> dict:
    size = parse_whole(limit, most=PAGE_MAX)
    if size is None or size < 1:
        raise invalid([Problem("query.limit", f"limit: a whole number from 1 to {PAGE_MAX}.")])
    batches = Batch.objects.filter(team=request.auth.team).order_by("-id")
    if cursor:
        before = parse_whole(cursor)
        if before is None:
            raise invalid([Problem("query.cursor", "cursor: give the `next` of a previous page as it was answered.")])
        batches = batches.filter(id__lt=before)
    page = list(batches[: size + 1])
    more = len(page) > size
    page = page[:size]
    return {
        "batches": [_summary_json(request, b) for b in page],
        "next": str(page[-1].pk) if more else None,
    }


@router.get("/batches/{id}", response=BatchOut, summary="A batch's progress: its jobs by state, images and cost so far")
def get_batch(request: HttpRequest, id: RowId) -> dict:
    return _batch_json(request, _batch(request, id))


@router.get(
    "/batches/{id}/zip",
    summary="Every stored image of the batch as one ZIP (with a manifest.json)",
    response={200: None},
    openapi_extra={"responses": {200: {"description": "A ZIP archive", "content": {"application/zip": {}}}}},
)
def get_batch_zip(request: HttpRequest, id: RowId) -> StreamingHttpResponse:
    return batch_zip_response(_batch(request, id))


# --- helpers ------------------------------------------------------------------------------


def _items(body: BatchBody) -> tuple[list[JobBody], list[str]]:
    """The batch's job bodies and the path each one's problems are named at."""
    if body.jobs is not None:
        if body.template is not None or body.variations is not None:
            raise invalid([Problem("body", "give either jobs, or template and variations, not both")])
        return body.jobs, [f"body.jobs[{i}]" for i in range(len(body.jobs))]
    if body.template is None or body.variations is None:
        missing = "body.variations" if body.template is not None else "body.template" if body.variations is not None else "body.jobs"
        raise invalid([Problem(missing, "give jobs (a list of job bodies), or a template and its variations")])
    base = body.template.model_dump(exclude_unset=True)
    merged, problems = [], []
    for i, variation in enumerate(body.variations):
        path = f"body.variations[{i}]"
        try:
            merged.append(JobBody.model_validate(base | variation.model_dump(exclude_unset=True)))
        except PydanticValidationError as exc:
            problems += [Problem(path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]), e["msg"]) for e in exc.errors()]
    if problems:
        raise invalid(problems)
    return merged, [f"body.variations[{i}]" for i in range(len(merged))]


def _amount(value: Decimal | None) -> str | None:
    """Money as a plain decimal string: 0.6 → "0.60", 0.075 → "0.075" (never rounded)."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return str(cents) if cents == value else f"{value.normalize():f}"


def _batch(request: HttpRequest, batch_id: int) -> Batch:
    # Another team's batch is as unknown as a missing one.
    batch = Batch.objects.filter(team=request.auth.team, pk=batch_id).first()
    if batch is None:
        raise not_found("batch")
    return batch


def _urls(request: HttpRequest, batch: Batch) -> dict[str, str]:
    return {
        "page_url": request.build_absolute_uri(reverse("batches:batch", args=[batch.pk])),
        "zip_url": request.build_absolute_uri(f"/api/v1/batches/{batch.pk}/zip"),
    }


def _summary_json(request: HttpRequest, batch: Batch) -> dict:
    return {
        "id": batch.pk,
        "name": batch.name,
        "created_at": batch.created_at,
        "finished_at": batch.finished_at,
        "page_url": _urls(request, batch)["page_url"],
    }


def _batch_json(request: HttpRequest, batch: Batch) -> dict:
    progress = batch_progress(batch)
    jobs = batch.jobs.order_by("pk").prefetch_related("outputs")
    return {
        **_summary_json(request, batch),
        **_urls(request, batch),
        "progress": {
            "total": progress.total,
            "queued": progress.queued,
            "running": progress.running,
            "attention": progress.attention,
            "done": progress.done,
            "failed": progress.failed,
            "canceled": progress.canceled,
            "images_stored": progress.images_stored,
            "cost": {currency: _amount(amount) for currency, amount in progress.cost.items()},
            "finished": progress.finished,
        },
        "jobs": [
            {
                "id": job.pk,
                "status": job.status,
                "images": [o.pk for o in job.outputs.all()] if job.status == JobStatus.SUCCEEDED and job.deleted_at is None else [],
            }
            for job in jobs
        ],
    }
