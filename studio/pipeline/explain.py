"""Why a job ended as it did, in plain language, next to the provider's own code and message.

The words are English in the tables (the provider's code table, studio.wan.errors.CODES, marks its
own for extraction) and translated here, when a page asks, into the reader's language."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext, gettext_noop

from studio.pipeline.statuses import JobStatus
from studio.wan.errors import job_text_for

# The studio's own codes (found inside a code, as SubmissionOutcomeUnknown); the provider's are
# read from its code table, studio.wan.errors.CODES.
_STUDIO_CODES = (
    ("OutcomeUnknown", gettext_noop("The studio could not tell whether the provider made this job's images. It was not sent again, so nobody pays twice; a team admin decides what happens to it.")),
    ("GivenUp", gettext_noop("A team admin gave this job up after its outcome could not be known.")),
)

_BY_STATUS = {
    JobStatus.EXPIRED: gettext_noop("The result links expired (they last 24 hours) before the images could be downloaded."),
    JobStatus.CANCELED: gettext_noop("The job was canceled; nothing was billed."),
}


def explain(*, status: str, error_code: str) -> str:
    text = next((text for marker, text in _STUDIO_CODES if marker in error_code), None) or job_text_for(error_code)
    if text:
        return gettext(text)
    if status in _BY_STATUS:
        return gettext(_BY_STATUS[status])
    if status == JobStatus.FAILED:
        return gettext("The job failed. The provider's message below says why.")
    return ""


def stored_message(message: str) -> str:
    """A job's stored error_message in the reader's language.

    Rows are written by workers that have no reader, and keep the studio's English (logs and the
    admin read it too); the studio's fixed sentences are marked with gettext_noop where they are
    written, so they translate here. The provider's messages and sentences that carry a person's
    note stay as written."""
    return gettext(message) if message else ""


# Why a job waits for a person (studio.pipeline.attention parks it), by the reason it records.
_PARKED = {
    "sync_lost": gettext_noop(
        "%(model)s answers synchronously and this answer was lost, so the provider may have made (and billed) "
        "the images, and a synchronous call leaves nothing to look up. It was not sent again, to avoid paying "
        "twice. A team admin can send it again or give it up."
    ),
    "ambiguous": gettext_noop(
        "The provider's task list shows %(count)s tasks of %(model)s from when this job was sent that no job "
        "follows, so the studio cannot tell which one is this job's (something else uses the same API key). It "
        "was not sent again. A team admin can adopt one of them, send it again or give it up."
    ),
    "list_unavailable": gettext_noop(
        "The provider's task list could not be read, so the studio cannot tell whether this job reached the "
        "provider. It was not sent again; the list is read again every %(minutes)s minutes, and a team admin can "
        "decide now."
    ),
}


def parked_message(
    *, reason: str, count: int, model: str, minutes: int, translate: Callable[[str], str] = str
) -> str:
    """Why a parked job waits; English unless a page passes gettext as `translate`."""
    template = _PARKED.get(reason, _PARKED["list_unavailable"])
    return translate(template) % {"model": model, "count": count, "minutes": minutes}
