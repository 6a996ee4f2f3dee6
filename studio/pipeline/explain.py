"""Why a job ended as it did, in plain language, next to the provider's own code and message.

The words are English in the tables (the provider's code table, studio.wan.errors.CODES, marks its
own for extraction) and translated here, when a page asks, into the reader's language."""

from __future__ import annotations

import re
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


# What the download step stores about images it could not keep (studio.pipeline.store writes
# them with these templates, in English; a page reads them back with the same templates).
LOST_IMAGE = gettext_noop("image %(number)s: %(reason)s")
PARTIAL = gettext_noop("%(count)s of %(requested)s images were generated")
FEWER_URLS = gettext_noop("the provider reported %(reported)s images but returned %(urls)s URLs")
NONE_SAVED = gettext_noop("No image could be saved: %(notes)s")
NOTE_JOINER = "; "
_NOTES = (LOST_IMAGE, PARTIAL, FEWER_URLS)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", template)
    return re.compile(
        "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+)" for i, part in enumerate(parts)), re.DOTALL
    )


_NOTE_PATTERNS = tuple((template, _pattern(template)) for template in _NOTES)
_NONE_SAVED = _pattern(NONE_SAVED)


def stored_message(message: str) -> str:
    """A job's stored error_message in the reader's language.

    Rows are written by workers that have no reader, and keep the studio's English (logs and the
    admin read it too). The studio's fixed sentences are marked with gettext_noop where they are
    written, and its notes on lost images are read back with the templates that wrote them, so
    both translate here. The provider's messages and a person's note stay as written."""
    if not message:
        return ""
    translated = gettext(message)
    if translated != message:
        return translated
    if match := _NONE_SAVED.fullmatch(message):
        return gettext(NONE_SAVED) % {"notes": _notes(match["notes"])}
    return _notes(message)


def _notes(text: str) -> str:
    notes = text.split(NOTE_JOINER)
    return gettext("; ").join(_note(note) for note in notes) if all(_known(n) for n in notes) else text


def _known(note: str) -> bool:
    return any(pattern.fullmatch(note) for _, pattern in _NOTE_PATTERNS)


def _note(note: str) -> str:
    for template, pattern in _NOTE_PATTERNS:
        if match := pattern.fullmatch(note):
            return gettext(template) % match.groupdict()
    return note


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
