"""A job as the API shows it: what a job card and the image page show, as JSON (reads only)."""

from __future__ import annotations

from decimal import Decimal

from studio.editor.job_cards import queue_ahead, step_words
from studio.pipeline.models import Job, JobStatus


def image_file_url(output_id: int) -> str:
    # Served by the gallery's API endpoint (studio/api/gallery_api.py).
    return f"/api/v1/images/{output_id}/file"


def job_json(job: Job) -> dict:
    ahead = queue_ahead(job) if job.status == JobStatus.QUEUED else None
    return {
        "id": job.id,
        "status": job.status,
        "step": step_words(job, ahead),
        "provider_status": job.provider_status or None,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code or job.error_message else None,
        "model": job.model,
        "prompt": job.prompt,
        "parameters": job.parameters,
        "batch": job.batch_id,
        "references": [
            {"position": r.position, "width": r.width, "height": r.height, "mime": r.mime, "boxes": r.boxes, "has_mask": bool(r.mask)}
            for r in sorted(job.references.all(), key=lambda r: r.position)
        ],
        "images": [
            {"id": o.id, "index": o.index, "width": o.width, "height": o.height, "bytes": o.byte_size, "url": image_file_url(o.id)}
            for o in sorted(job.outputs.all(), key=lambda o: o.index)
        ],
        "usage": {"image_count": job.usage_image_count, "size": job.usage_size or None} if job.usage_image_count is not None else None,
        "cost": _cost(job),
        "can_cancel": job.can_cancel,
        "created_at": job.created_at,
        "updated_at": job.status_changed_at,
        "finished_at": job.finished_at,
    }


def _cost(job: Job) -> dict | None:
    """What the ledger holds for the job (its charge and any corrections); None before a charge."""
    entries = list(job.ledger_entries.all())
    if not entries:
        return None
    amount = sum((e.cost for e in entries), Decimal(0))
    return {"amount": str(amount), "currency": entries[0].currency, "images": sum(e.image_count for e in entries)}


def with_details(jobs):
    """A queryset of jobs with what job_json reads, in three queries for any number of jobs."""
    return jobs.prefetch_related("references", "outputs", "ledger_entries")
