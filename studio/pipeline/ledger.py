"""The usage ledger: exactly one charge per succeeded job, and corrections as new entries.

The pipeline calls `job_charge` inside the transaction that moves a job to succeeded, so the
status and its charge commit together or not at all: a worker that dies before the commit
leaves neither, and the worker that resumes the download makes both. A second worker finishing
the same job loses the conditional status move and never gets here; if it somehow did, the
unique constraint on (job, kind="charge") turns its insert into a no-op.

Reference: ../shared/seeds/004_506a2e5c379f57c5.txt — billed per successfully generated image
(usage.image_count); failed calls cost nothing. Failed, canceled and expired jobs get no entry.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.accounting import prices
from studio.accounting.models import EntryKind, LedgerEntry
from studio.pipeline.models import Job, JobStatus


class NotChargeable(ValueError):
    pass


def job_charge(*, job_id: int) -> LedgerEntry:
    """The job's one charge: made now if it does not exist yet, else the existing one."""
    existing = LedgerEntry.objects.filter(job_id=job_id, kind=EntryKind.CHARGE).first()
    if existing is not None:
        return existing
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.SUCCEEDED:
        raise NotChargeable(f"Job {job.pk} is {job.status}; only succeeded jobs are charged.")
    note = ""
    count = job.usage_image_count
    if count is None:
        # The provider bills what it reports; without a report, what it returned is our best count.
        count = len(job.result_urls)
        note = "The provider reported no usage; counted the result URLs it returned."
    # The price in force when the job was made, not when it finished: changes apply forward only.
    price = prices.price_of(job.model, job.region, at=job.created_at)
    if price.unit_price is None:
        note = (note + " " if note else "") + f"No price is known for {job.model} in {job.region}; counted at 0."
    entry = LedgerEntry(
        kind=EntryKind.CHARGE,
        **_about(job),
        image_count=count,
        images_stored=job.images_stored,
        unit_price=price.unit_price,
        currency=price.currency,
        cost=(price.unit_price or Decimal(0)) * count,
        task_id=job.task_id or "",
        request_id=job.request_id or job.usage.get("request_id") or "",
        # Stamped with the job's finish, so the ledger and the jobs agree on which day it was.
        created_at=job.finished_at or timezone.now(),
        note=note,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        return LedgerEntry.objects.get(job_id=job_id, kind=EntryKind.CHARGE)
    return entry


def _about(job: Job) -> dict[str, object]:
    """Who and what an entry of `job` is about: its team, author, model and region."""
    return {"job": job, "team_id": job.team_id, "user_id": job.owner_id, "model": job.model, "region": job.region}


def job_correct(*, job: Job, image_count: int, note: str, by) -> LedgerEntry:
    """Add (or, negative, take back) images on a job's bill, at the price of its charge."""
    if not note.strip():
        raise ValueError("A correction needs a note saying why.")
    charge = LedgerEntry.objects.filter(job=job, kind=EntryKind.CHARGE).first()
    if charge is not None:
        unit, currency = charge.unit_price, charge.currency
    else:
        price = prices.price_of(job.model, job.region, at=job.created_at)
        unit, currency = price.unit_price, price.currency
    return LedgerEntry.objects.create(
        kind=EntryKind.CORRECTION,
        **_about(job),
        image_count=image_count,
        images_stored=0,
        unit_price=unit,
        currency=currency,
        cost=(unit or Decimal(0)) * image_count,
        task_id=job.task_id or "",
        request_id=job.request_id or "",
        note=note.strip(),
        created_by=by,
    )
