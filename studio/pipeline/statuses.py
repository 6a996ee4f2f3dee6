"""The states a job moves through. Apart from the models so that what reads a state (the
explanations, the transitions) need not import the models."""

from __future__ import annotations

from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SUBMITTING = "submitting", "Submitting"
    SUBMITTED = "submitted", "Submitted"
    RUNNING = "running", "Running"
    DOWNLOADING = "downloading", "Downloading"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    EXPIRED = "expired", "Expired"
    # The submit was sent but its answer never came: the provider may have created a task.
    # Not resubmitted automatically, so nobody pays twice; a person decides.
    UNKNOWN_OUTCOME = "unknown_outcome", "Needs attention"


TERMINAL_STATUSES = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.EXPIRED, JobStatus.UNKNOWN_OUTCOME}
)
IN_FLIGHT_STATUSES = frozenset({JobStatus.SUBMITTED, JobStatus.RUNNING})
