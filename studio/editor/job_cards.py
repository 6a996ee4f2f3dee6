"""What a job card shows while it waits and once it is done (reads only, no side effects).

The elapsed time runs from `created_at` to `finished_at` on the server's clock: the image page's
timings table (studio.gallery.presenters.timings / total_seconds) uses the same two fields, so
a finished card and its image page give the same total. The browser only adds the seconds it
has counted since the card was rendered (static/js/job-cards.js), never its own wall clock.
"""

from __future__ import annotations

import statistics
import zlib
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.wan.capabilities import parse_size

S = JobStatus
# "The model's recent durations": this many of the team's last succeeded jobs of the model.
ESTIMATE_SAMPLE = 20
# Jobs waiting for the same submit lane (one API key, one model) before they are sent.
WAITING = (S.QUEUED, S.SUBMITTING)

# The step in words, for each status a card polls in.
_STEP_WORDS = {
    S.QUEUED: gettext_lazy("Queued"),
    S.SUBMITTING: gettext_lazy("Sending to the provider"),
    S.SUBMITTED: gettext_lazy("At the provider, waiting to start"),
    S.RUNNING: gettext_lazy("At the provider, generating"),
    S.DOWNLOADING: gettext_lazy("Downloading the images"),
}
RETRYABLE = frozenset({S.FAILED, S.EXPIRED, S.CANCELED})


@dataclass(frozen=True)
class Result:
    output: OutputImage
    # Portrait images are drawn 240 px tall, the others 240 px wide (static/css/job-card.css).
    tall: bool


@dataclass(frozen=True)
class JobCard:
    job: Job
    step: str
    # Whole seconds since the job was made (waiting), or the image page's total (done).
    elapsed_seconds: float
    # Seconds since the job was sent, for the "left" part of the estimate (None: not sent yet).
    sent_seconds: float | None
    typical_seconds: int | None
    ahead: int | None
    results: list[Result]
    placeholders: list[int]
    shape: str
    # Changes whenever anything the card shows changes, apart from the ticking clock.
    version: str

    @property
    def waiting(self) -> bool:
        return not self.job.is_terminal

    @property
    def retryable(self) -> bool:
        return self.job.status in RETRYABLE

    @property
    def elapsed(self) -> str:
        return elapsed_words(self.elapsed_seconds, done=not self.waiting)

    @property
    def estimate(self) -> str:
        return estimate_words(self.typical_seconds, self.sent_seconds) if self.waiting else ""


def card_for(job: Job, *, now: datetime | None = None) -> JobCard:
    now = now or timezone.now()
    waiting = not job.is_terminal
    outputs = list(job.outputs.all())
    expected = job.max_images_billed() if waiting else 0
    ahead = queue_ahead(job) if job.status == S.QUEUED else None
    typical = typical_seconds(team_id=job.team_id, model=job.model) if waiting else None
    end = job.finished_at if not waiting and job.finished_at else now
    sent = (now - job.submitted_at).total_seconds() if waiting and job.submitted_at else None
    fingerprint = f"{job.status}|{job.attempt}|{len(outputs)}|{ahead}|{typical}|{job.error_message}"
    return JobCard(
        job=job,
        step=step_words(job, ahead),
        elapsed_seconds=max(0.0, (end - job.created_at).total_seconds()),
        sent_seconds=sent,
        typical_seconds=typical,
        ahead=ahead,
        results=[Result(output=o, tall=o.height > o.width) for o in outputs],
        placeholders=list(range(len(outputs) + 1, max(expected, len(outputs)) + 1)),
        shape=_shape(job.parameters.get("size")),
        version=format(zlib.crc32(fingerprint.encode()), "x"),
    )


def step_words(job: Job, ahead: int | None) -> str:
    words = str(_STEP_WORDS.get(job.status, job.get_status_display()))
    if ahead is None:
        return words
    if ahead == 0:
        return _("%(step)s, next to be sent") % {"step": words}
    return ngettext("%(step)s, %(ahead)s job ahead", "%(step)s, %(ahead)s jobs ahead", ahead) % {"step": words, "ahead": ahead}


def queue_ahead(job: Job) -> int:
    """Jobs of the same API key and model waiting to be sent before this one (any team: they
    share the key's submit lane, and only their number is shown)."""
    return Job.objects.filter(api_key_id=job.api_key_id, model=job.model, status__in=WAITING, pk__lt=job.pk).count()


def typical_seconds(*, team_id: int | None, model: str) -> int | None:
    """The median time from sent to stored of the team's last succeeded jobs of the model."""
    rows = (
        Job.objects.filter(team_id=team_id, model=model, status=S.SUCCEEDED, submitted_at__isnull=False, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("submitted_at", "finished_at")[:ESTIMATE_SAMPLE]
    )
    durations = [(end - start).total_seconds() for start, end in rows]
    return round(statistics.median(durations)) if durations else None


def elapsed_words(seconds: float, *, done: bool) -> str:
    if done:
        # As the image page's "Total" row says it.
        return _("%(seconds)s s") % {"seconds": f"{seconds:.1f}"}
    minutes, rest = divmod(int(seconds), 60)
    if minutes:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": f"{rest:02d}"}
    return _("%(seconds)s s") % {"seconds": rest}


def estimate_words(typical: int | None, sent: float | None) -> str:
    """Kept in step with estimateWords() in static/js/job-cards.js, which ticks it."""
    if typical is None:
        return ""
    if sent is None:
        return _("usually about %(time)s once sent") % {"time": _about(typical)}
    left = typical - int(sent)
    if left > 0:
        return _("about %(time)s left") % {"time": _about(left)}
    return _("taking longer than the usual %(time)s") % {"time": _about(typical)}


def _about(seconds: int) -> str:
    if seconds < 120:
        return _("%(seconds)s s") % {"seconds": seconds}
    return _("%(minutes)s min") % {"minutes": round(seconds / 60)}


def _shape(size: object) -> str:
    """The placeholders' shape: the requested size's, square when the size is not in pixels."""
    pixels = parse_size(size) if isinstance(size, str) and size else None
    if not pixels:
        return "square"
    width, height = pixels
    return "wide" if width > height * 1.15 else "tall" if height > width * 1.15 else "square"
