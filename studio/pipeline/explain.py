"""Why a job ended as it did, in plain language, next to the provider's own code and message."""

from __future__ import annotations

from studio.pipeline.statuses import JobStatus
from studio.wan.errors import job_text_for

# The studio's own codes (found inside a code, as SubmissionOutcomeUnknown); the provider's are
# read from its code table, studio.wan.errors.CODES.
_STUDIO_CODES = (
    ("OutcomeUnknown", "The studio could not tell whether the provider made this job's images. It was not sent again, so nobody pays twice; a team admin decides what happens to it."),
    ("GivenUp", "A team admin gave this job up after its outcome could not be known."),
)

_BY_STATUS = {
    JobStatus.EXPIRED: "The result links expired (they last 24 hours) before the images could be downloaded.",
    JobStatus.CANCELED: "The job was canceled; nothing was billed.",
}


def explain(*, status: str, error_code: str) -> str:
    text = next((text for marker, text in _STUDIO_CODES if marker in error_code), None) or job_text_for(error_code)
    if text:
        return text
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status == JobStatus.FAILED:
        return "The job failed. The provider's message below says why."
    return ""
