"""Why a job ended as it did, in plain language, next to the provider's own code and message."""

from __future__ import annotations

from studio.pipeline.models import Job, JobStatus

# Matched against the error code, first match wins. Reference: 000 and 003, content moderation (IPInfringementSuspect, DataInspectionFailed).
_BY_CODE = (
    ("DataInspectionFailed", "The provider's content check refused the prompt or one of the images. Rephrase the prompt or change the images."),
    ("IPInfringementSuspect", "The provider suspects the request infringes intellectual property. Change the prompt or the images."),
    ("InvalidParameter", "The provider refused a parameter of the request. The message below says which."),
    ("InvalidApiKey", "The provider refused the studio's API key; an administrator must fix it."),
    ("Arrearage", "The Alibaba Cloud account is in arrears; an administrator must top it up."),
    ("AllocationQuota", "The account's quota for this model is used up."),
    ("OutcomeUnknown", "The studio could not tell whether the provider made this job's images. It was not sent again, so nobody pays twice; a team admin decides what happens to it."),
    ("GivenUp", "A team admin gave this job up after its outcome could not be known."),
    ("InternalError", "The provider failed while generating. Trying again usually works."),
    ("Throttling", "The provider was too busy. The studio retried and then gave up; try again later."),
)

_BY_STATUS = {
    JobStatus.EXPIRED: "The result links expired (they last 24 hours) before the images could be downloaded.",
    JobStatus.CANCELED: "The job was canceled; nothing was billed.",
}


def explain(job: Job) -> str:
    for marker, text in _BY_CODE:
        if marker in (job.error_code or ""):
            return text
    if job.status in _BY_STATUS:
        return _BY_STATUS[job.status]
    if job.status == JobStatus.FAILED:
        return "The job failed. The provider's message below says why."
    return ""
