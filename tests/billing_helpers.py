"""Helpers for billing tests: jobs driven through the real pipeline against the emulator, and
jobs that ended at chosen moments (for hand-computed dashboard fixtures).

The fixtures they use (`wired`, `wan`) come from tests.pipeline_fixtures.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from studio.accounting.models import UnitPrice
from studio.pipeline import ledger, submit
from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.pipeline.store import job_download
from studio.wan.client import WanClient
from tests.pipeline_helpers import make_job, new_job, poll  # noqa: F401 (billing tests import them from here)

S = JobStatus
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.get_fixed_timezone(0))


def price(model: str, region: str, amount: str, *, since: datetime = LONG_AGO) -> UnitPrice:
    """A row of the price table (written directly: the admin refuses prices that start in the past)."""
    return UnitPrice.objects.create(model=model, region=region, amount=Decimal(amount), effective_from=since)


def run_to_downloading(job: Job, wan: WanClient, emulator) -> Job:
    assert submit.job_submit(job_id=job.pk, client=wan) == "submitted"
    emulator.clock.advance(60)
    job = poll(job, wan)
    assert job.status == S.DOWNLOADING, job.error_message
    return job


def run_to_end(job: Job, wan: WanClient, emulator) -> Job:
    """Submit, let the task finish, and download whatever it made."""
    assert submit.job_submit(job_id=job.pk, client=wan) == "submitted"
    emulator.clock.advance(60)
    job = poll(job, wan)
    if job.status == S.DOWNLOADING:
        job_download(job_id=job.pk)
        job.refresh_from_db()
    return job


def ended_job(
    owner,
    *,
    status: str = S.SUCCEEDED,
    model: str = "wan2.7-image",
    region: str = "singapore",
    n: int = 2,
    reported: int | None = None,
    stored: int | None = None,
    created_at: datetime,
    seconds: float = 30,
    error_code: str = "",
    error_message: str = "",
    team=None,
) -> Job:
    """A job that ended `seconds` after `created_at`, charged by the real ledger if it succeeded.

    Its OutputImage rows only name files (the dashboard counts rows, it never opens them).
    """
    succeeded = status == S.SUCCEEDED
    reported = reported if reported is not None else (n if succeeded else None)
    stored = stored if stored is not None else (reported or 0 if succeeded else 0)
    job = Job.objects.create(
        owner=owner,
        team=team or owner.teams.order_by("pk").first(),
        model=model,
        prompt="A lighthouse",
        parameters={"size": "1K", "n": n},
        region=region,
        status=status,
        task_id=f"task-{owner.username}-{created_at.timestamp()}-{model}",
        request_id=f"req-{created_at.timestamp()}",
        usage_image_count=reported,
        images_stored=stored,
        error_code=error_code,
        error_message=error_message,
    )
    Job.objects.filter(pk=job.pk).update(created_at=created_at, finished_at=created_at + timedelta(seconds=seconds))
    for index in range(stored):
        OutputImage.objects.create(
            job=job, index=index, file=f"outputs/{job.pk}/{index}.png", width=64, height=64,
            byte_size=1, sha256="0" * 64, source_url=f"https://example.invalid/{index}.png",
        )
    if succeeded:
        ledger.job_charge(job_id=job.pk)
    job.refresh_from_db()
    return job
