"""/api/v1/ endpoints: jobs (create through the editor's gate, read, list, cancel)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.api.idempotency import OPENAPI_PARAMETER, idempotent
from studio.api.job_bodies import JobBody, job_admit
from studio.api.job_json import job_json, with_details
from studio.api.params import RowId
from studio.numbers import ID_MAX
from studio.pipeline.jobs import CannotCancel, job_cancel
from studio.pipeline.models import Job, JobStatus

router = Router(tags=["jobs"])

MAX_PAGE = 100


class JobFilters(Schema):
    status: JobStatus | None = None
    model: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    batch: int | None = Field(None, ge=1, le=ID_MAX)
    cursor: str | None = Field(None, description="The `next` of the previous page")
    limit: int = Field(20, ge=1, le=MAX_PAGE)


def _team_job(caller, job_id: int) -> Job:
    job = Job.objects.filter(team=caller.team, deleted_at__isnull=True, pk=job_id).first()
    if job is None:
        raise not_found("job")
    return job


@router.post("/jobs", response={201: dict}, summary="Create a job (as the editor's Generate)", openapi_extra={"parameters": [OPENAPI_PARAMETER]})
def job_create_endpoint(request: HttpRequest, body: JobBody):
    caller = request.auth
    return idempotent(request, caller, lambda: (201, job_json(job_admit(caller=caller, body=body))))


@router.get("/jobs/{job_id}", response=dict, summary="One job: status, step, images, usage, cost")
def job_get(request: HttpRequest, job_id: RowId):
    return job_json(_team_job(request.auth, job_id))


@router.get("/jobs", response=dict, summary="The team's jobs, newest first, a page at a time")
def job_list(request: HttpRequest, filters: Query[JobFilters]):
    jobs = Job.objects.filter(team=request.auth.team, deleted_at__isnull=True)
    if filters.status:
        jobs = jobs.filter(status=filters.status)
    if filters.model:
        jobs = jobs.filter(model=filters.model)
    if filters.created_after:
        jobs = jobs.filter(created_at__gt=filters.created_after)
    if filters.created_before:
        jobs = jobs.filter(created_at__lt=filters.created_before)
    if filters.batch is not None:
        jobs = jobs.filter(batch_id=filters.batch)
    if filters.cursor:
        jobs = jobs.filter(pk__lt=_cursor_id(filters.cursor))
    # By id, not by time: ids only grow, so a job made while a script pages never shifts a page.
    page = list(with_details(jobs.order_by("-id"))[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"jobs": [job_json(job) for job in page], "next": _cursor(page[-1].id) if more else None}


@router.post("/jobs/{job_id}/cancel", response=dict, summary="Cancel a queued job, or one pending at the provider")
def job_cancel_endpoint(request: HttpRequest, job_id: RowId):
    job = _team_job(request.auth, job_id)
    try:
        job = job_cancel(job=job)
    except CannotCancel as exc:
        raise ApiError(409, "cannot_cancel", str(exc), extra={"job_status": job.status}) from None
    return job_json(job)


def _cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"j{last_id}".encode()).decode().rstrip("=")


def _cursor_id(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    if not (text.startswith("j") and text[1:].isascii() and text[1:].isdigit() and int(text[1:]) <= ID_MAX):
        raise invalid([Problem("query.cursor", "not a cursor this API gave; pass the `next` of the previous page")])
    return int(text[1:])
