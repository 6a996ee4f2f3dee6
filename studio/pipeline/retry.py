"""Retry: a failed, expired or canceled job asked for again as a new job (service `job_retry`).

The old job is left as it was (its history and any charge stay true); the new one is made from
the exact request the old one sent (`request_for_job`: prompt, parameters, seed, references with
their boxes and mask) and goes through the one gate, `job_create`, so today's rules, the
team's budget and the doorbell apply to it as to any new job.
"""

from __future__ import annotations

from studio.pipeline.gate import ReferenceImage
from studio.pipeline.jobs import job_create, request_for_job
from studio.pipeline.models import Job, JobStatus

S = JobStatus
# Ended without images and without doubt. A job whose outcome is unknown may have made a task
# the team pays for: a person decides it on its attention page (send again), never a retry.
RETRYABLE = frozenset({S.FAILED, S.EXPIRED, S.CANCELED})


class CannotRetry(Exception):
    pass


def job_retry(*, job: Job, owner) -> Job:
    """A new queued job with `job`'s settings, in its team. Raises CannotRetry for a job that did
    not end without images, and (from the gate) RequestRefused or BudgetExceeded."""
    if job.status not in RETRYABLE:
        raise CannotRetry(f"Only a failed, expired or canceled job can be retried; job {job.pk} is {job.get_status_display().lower()}.")
    request = request_for_job(job)
    mask = request.mask.data if request.mask is not None else None
    # The new job is a version of the same gallery images as the old one meant to be.
    sources = list(job.references.order_by("position").values_list("source_image_id", flat=True))
    references = [
        ReferenceImage(
            content=image.data,
            mime=image.mime,
            width=image.width,
            height=image.height,
            boxes=request.boxes[position] if request.boxes else (),
            mask=mask if position == 0 else None,
            source_image_id=sources[position],
        )
        for position, image in enumerate(request.images)
    ]
    return job_create(owner=owner, team=job.team, request=request, references=references)
