"""The states a job moves through. Apart from the models so that what reads a state (the
explanations, the transitions) need not import the models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUBMITTING = "submitting", _("Submitting")
    SUBMITTED = "submitted", _("Submitted")
    RUNNING = "running", _("Running")
    DOWNLOADING = "downloading", _("Downloading")
    SUCCEEDED = "succeeded", _("Done")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")
    EXPIRED = "expired", _("Expired")
    # The submit was sent but its answer never came: the provider may have created a task.
    # Not resubmitted automatically, so nobody pays twice; a person decides.
    UNKNOWN_OUTCOME = "unknown_outcome", _("Needs attention")


TERMINAL_STATUSES = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.EXPIRED, JobStatus.UNKNOWN_OUTCOME}
)
IN_FLIGHT_STATUSES = frozenset({JobStatus.SUBMITTED, JobStatus.RUNNING})
