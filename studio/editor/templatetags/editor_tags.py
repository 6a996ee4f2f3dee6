from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy, pgettext_lazy

from studio.editor import job_cards
from studio.pipeline.attention import can_decide
from studio.pipeline.models import Job, JobStatus

register = template.Library()

S = JobStatus
_STEPS = (
    (S.QUEUED, pgettext_lazy("job step", "Queued")),
    (S.SUBMITTED, pgettext_lazy("job step", "Submitted")),
    (S.RUNNING, pgettext_lazy("job step", "Running")),
    (S.DOWNLOADING, pgettext_lazy("job step", "Downloading")),
    (S.SUCCEEDED, pgettext_lazy("job step", "Done")),
)
# Where each status sits on the happy path.
_PLACE = {S.QUEUED: 0, S.SUBMITTING: 0, S.SUBMITTED: 1, S.RUNNING: 2, S.DOWNLOADING: 3, S.SUCCEEDED: 4}


@register.filter
def job_steps(job: Job) -> list[tuple[str, str]]:
    """[(done|current|todo, label)] along queued → submitted → running → downloading → done."""
    place = _PLACE.get(job.status)
    if place is None:  # ended off the happy path: mark what was reached
        reached = [job.created_at, job.submitted_at, job.running_at, job.downloading_at, None]
        return [("done" if stamp else "todo", label) for stamp, (_, label) in zip(reached, _STEPS, strict=True)]
    return [
        ("done" if i < place or job.status == S.SUCCEEDED else "current" if i == place else "todo", label)
        for i, (_, label) in enumerate(_STEPS)
    ]


@register.simple_tag
def job_card(job: Job) -> job_cards.JobCard:
    """{% job_card job as card %}: what the card shows (the views that have it pass `card`)."""
    return job_cards.card_for(job)


# What a "needs attention" job is waiting for, and what was done to it, in words.
_REASONS = {
    "sync_lost": gettext_lazy("Synchronous answer lost"),
    "ambiguous": gettext_lazy("Several tasks could be its own"),
    "list_unavailable": gettext_lazy("Provider's task list unreadable"),
}
_ACTIONS = {
    "parked": gettext_lazy("Left for a person"),
    "adopted": gettext_lazy("Adopted a provider task"),
    "resent": gettext_lazy("Sent again"),
    "given_up": gettext_lazy("Given up"),
}


@register.filter
def attention_reason(job: Job) -> str:
    reason = (job.attention or {}).get("reason", "")
    return str(_REASONS.get(reason, reason or gettext_lazy("Unknown")))


@register.filter
def event_action(action: str) -> str:
    return str(_ACTIONS.get(action, action.replace("_", " ").capitalize()))


@register.filter
def decidable_by(job: Job, user) -> bool:
    """Whether `user` may adopt, send again or give up this job (team admins and staff)."""
    return job.status == S.UNKNOWN_OUTCOME and user.is_authenticated and can_decide(user, job)
