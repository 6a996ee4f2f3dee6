"""What happens when a job reaches its end: the one place every final move passes through.

`transitions.move` calls `job_ended` inside the transaction of the move itself, so what follows
from the end — a succeeded job's ledger charge and the webhook event — commits with the status or
not at all: a crash can neither lose an event nor announce an end that was rolled back.

Reference: Standard Webhooks for the event's shape ({"type", "timestamp", "data"}).
"""

from __future__ import annotations

from decimal import Decimal

from studio.accounting.models import LedgerEntry
from studio.pipeline import ledger
from studio.pipeline.batch_end import batch_event_data, batch_job_ended
from studio.pipeline.models import Job, JobStatus
from studio.webhooks.events import emit

S = JobStatus
EVENT_OF = {
    S.SUCCEEDED: "job.succeeded",
    S.FAILED: "job.failed",
    S.EXPIRED: "job.failed",
    S.CANCELED: "job.canceled",
}


def job_ended(job_id: int) -> None:
    """Call inside the transaction that moved the job to a final state."""
    job = Job.objects.get(pk=job_id)
    charge = None
    if job.status == S.SUCCEEDED:
        # The success and its one charge commit together (studio.pipeline.ledger); the images
        # were stored before the move, so the event can say where to download them.
        charge = ledger.job_charge(job_id=job.pk)
    event = EVENT_OF.get(job.status)
    if event is not None:
        emit(team_id=job.team_id, type=event, data={"job": job_event_data(job, charge=charge)})
    if job.batch_id is not None and batch_job_ended(job.pk):
        emit(team_id=job.team_id, type="batch.finished", data={"batch": batch_event_data(job.batch_id)})


def job_event_data(job: Job, *, charge: LedgerEntry | None = None) -> dict:
    images = [
        {"id": image.pk, "url": f"/api/v1/images/{image.pk}/file", "width": image.width, "height": image.height}
        for image in job.outputs.order_by("index")
    ] if job.status == S.SUCCEEDED else []
    data = {
        "id": job.pk,
        "status": job.status,
        "model": job.model,
        "images": images,
        "cost": None if charge is None else {"amount": _amount(charge.cost), "currency": charge.currency},
        "batch": job.batch_id,
    }
    if job.status != S.SUCCEEDED:
        data["error"] = {"code": job.error_code, "message": job.error_message}
    return data


def _amount(cost: Decimal) -> str:
    # "0.15", not "0.150000" or "1.5E-1": a decimal string, so no float rounding on the way.
    return format(cost.normalize(), "f")
