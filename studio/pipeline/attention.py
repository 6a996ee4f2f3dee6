"""Submissions whose outcome is not known: where their task must be, and who decides.

The recovery sweep settles an interrupted submission on its own whenever the provider's task list
can (studio.pipeline.recovery). What it cannot settle is parked as "needs attention" with the
reason and the candidate tasks it saw; a team admin (or staff) then adopts one of those tasks,
sends the job again or gives it up. Every decision is a JobEvent with who and why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from studio.accounts import teams
from studio.pipeline import dispatch, follower, provider, transitions
from studio.pipeline.explain import parked_message
from studio.pipeline.models import Job, JobEvent, JobStatus, ProviderTask
from studio.wan import errors
from studio.wan.capabilities import MODELS, RESULT_TTL_SECONDS
from studio.wan.client import WanClient
from studio.wan.responses import ListedTask

log = logging.getLogger(__name__)
S = JobStatus

# Why a job waits for a person (Job.attention["reason"]).
SYNC_LOST = "sync_lost"
AMBIGUOUS = "ambiguous"
LIST_UNAVAILABLE = "list_unavailable"

# A task created this long before the studio marked the job as sending may still be its own
# (the provider's clock and ours differ by a little).
CLOCK_MARGIN = timedelta(seconds=5)
RECHECK_UNKNOWN = timedelta(minutes=10)
CANDIDATES_TIMEOUT_SECONDS = 5.0


class CannotDecide(Exception):
    """A decision that does not apply to the job as it is now (the message says why).
    `conflict`: the job moved on while the person decided."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


@dataclass(frozen=True)
class Candidate:
    """A provider task that could be the job's: created while it was being sent, followed by no job."""

    task_id: str
    status: str
    created_at: datetime | None


def submission_window(job: Job, now: datetime) -> tuple[datetime, datetime, datetime]:
    """(start, end, closes): where the job's task must be in the provider's list, and when its
    answer could no longer come (after that, no task in the window means none was made)."""
    began = job.submitting_at or job.created_at
    start = began - CLOCK_MARGIN
    closes = began + timedelta(seconds=settings.WAN_LEASE_SECONDS)
    if job.status == S.UNKNOWN_OUTCOME and job.finished_at:
        # A parked job gave its lane back when parked: the model's later tasks are not its own.
        end = max(job.finished_at, closes) + CLOCK_MARGIN
    else:
        end = now + CLOCK_MARGIN
    # The task list answers at most 24 hours at a time (and keeps tasks no longer than that).
    return start, min(end, start + timedelta(seconds=RESULT_TTL_SECONDS)), closes


def unclaimed_tasks(job: Job, listed: Iterable[ListedTask]) -> list[ListedTask]:
    """The listed tasks no other job follows or is known to have sent."""
    listed = list(listed)
    ids = [t.task_id for t in listed]
    followed = set(Job.objects.filter(task_id__in=ids).exclude(pk=job.pk).values_list("task_id", flat=True))
    sent_by_others = set(
        ProviderTask.objects.filter(task_id__in=ids, job__isnull=False)
        .exclude(job=job)
        .values_list("task_id", flat=True)
    )
    return [t for t in listed if t.task_id not in followed and t.task_id not in sent_by_others]


def record(job: Job, action: str, note: str, by=None) -> JobEvent:
    return JobEvent.objects.create(job=job, action=action, note=note, by=by)


def remember_task(task_id: str, *, job: Job | None, model: str, api_key_id: str, status: str = "") -> None:
    """Note that the provider made `task_id` (for `job`, when the studio knows)."""
    row, created = ProviderTask.objects.get_or_create(
        task_id=task_id, defaults={"job": job, "model": model, "api_key_id": api_key_id, "status": status}
    )
    if not created and job is not None and row.job_id is None:
        ProviderTask.objects.filter(pk=row.pk, job__isnull=True).update(job=job)


def adopt(job: Job, *, attempt: int, task: ListedTask | Candidate, by=None, note: str = "") -> bool:
    """Make the job follow `task`, if it is still at `attempt`. Returns whether it did."""
    status = getattr(task, "task_status", None) or getattr(task, "status", "") or ""
    with transaction.atomic():
        moved = transitions.move(
            job.pk,
            job.status,
            S.SUBMITTED,
            attempt=attempt,
            task_id=task.task_id,
            provider_status=status if status in ("PENDING", "RUNNING") else "",
            submitted_at=timezone.now(),
            next_attempt_at=timezone.now(),
            finished_at=None,
            attention={},
            error_code="",
            error_message="",
        )
        if moved:
            remember_task(task.task_id, job=job, model=job.model, api_key_id=job.api_key_id, status=status)
            what = f"Adopted provider task {task.task_id}"
            record(job, "adopted", f"{what}: {note}" if note else f"{what} (the only one the submit could have made).", by)
            # The lane is open again: the next job of this model may be sent now.
            dispatch.ring_lane(job.api_key_id, job.model)
    if moved:
        log.info("job %s: adopted provider task %s", job.pk, task.task_id)
    return moved


def park(
    job: Job,
    *,
    attempt: int,
    reason: str,
    candidates: Sequence[ListedTask] = (),
    window: tuple[datetime, datetime] | None = None,
) -> bool:
    """Leave the job for a person, saying why and what the provider's list showed."""
    now = timezone.now()
    details = {
        "reason": reason,
        "candidates": [
            {"task_id": t.task_id, "status": t.task_status, "created_at": t.created_at.isoformat() if t.created_at else None}
            for t in candidates
        ],
    }
    if window is not None:
        details["window"] = [window[0].isoformat(), window[1].isoformat()]
    fields = {
        "error_code": "OutcomeUnknown",
        "error_message": _message(job, reason, len(candidates)),
        "attention": details,
        "next_attempt_at": now + RECHECK_UNKNOWN,
    }
    # The caller's copy may predate its own moves: the row at `attempt` says where the job is.
    current = Job.objects.filter(pk=job.pk, attempt=attempt).values_list("status", flat=True).first()
    with transaction.atomic():
        if current == S.SUBMITTING:
            parked = transitions.move(job.pk, S.SUBMITTING, S.UNKNOWN_OUTCOME, attempt=attempt, **fields)
            if parked:
                dispatch.ring_lane(job.api_key_id, job.model)
        else:
            parked = transitions.update_if(job.pk, S.UNKNOWN_OUTCOME, attempt=attempt, **fields)
        if parked:
            record(job, "parked", fields["error_message"])
    return parked


def _message(job: Job, reason: str, count: int) -> str:
    """What is stored with a parked job: English, whoever parked it (a worker or a request);
    pages word it again in the reader's language (explain.parked_message)."""
    return parked_message(reason=reason, count=count, model=job.model, minutes=RECHECK_UNKNOWN.seconds // 60)


# --- a person's decisions ---------------------------------------------------------------------


def can_decide(user, job: Job) -> bool:
    """Team admins of the job's team, and staff."""
    return user.is_staff or teams.can_administer(teams.membership_of(user, job.team_id))


def job_candidates(*, job: Job, client: WanClient | None = None) -> list[Candidate]:
    """The tasks that could be this job's, read from the provider now (the parked list if the
    provider cannot be read)."""
    if MODELS.get(job.model) is not None and MODELS[job.model].sync_only:
        return []
    start, end, _ = submission_window(job, timezone.now())
    owns = client is None
    # A person is waiting for the page: ask once, briefly, and fall back to what was parked.
    client = client or provider.make_client(timeout=CANDIDATES_TIMEOUT_SECONDS, max_retries=0)
    try:
        listed = unclaimed_tasks(job, client.list_tasks(start=start, end=end, model=job.model))
    except errors.WanError:
        return [
            Candidate(c["task_id"], c.get("status") or "", _parse_time(c.get("created_at")))
            for c in job.attention.get("candidates", [])
        ]
    finally:
        if owns:
            client.close()
    return [Candidate(t.task_id, t.task_status, t.created_at) for t in listed]


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _needs_attention(job: Job, note: str) -> None:
    job.refresh_from_db()
    if job.status != S.UNKNOWN_OUTCOME:
        status = job.get_status_display().lower()
        raise CannotDecide(gettext("This job is %(status)s now; there is nothing to decide.") % {"status": status}, conflict=True)
    if not note.strip():
        raise CannotDecide(gettext("Why: say why you decide this (the note is kept with the job)."))


def job_adopt_task(*, job: Job, task_id: str, by, note: str, client: WanClient | None = None) -> Job:
    """Follow one of the candidate tasks: its images are stored and charged to this job."""
    _needs_attention(job, note)
    chosen = next((c for c in job_candidates(job=job, client=client) if c.task_id == task_id), None)
    if chosen is None:
        shown = task_id or gettext("none chosen")
        why = gettext("Task: %(task)s is not one of this job's candidates (or another job follows it now).")
        raise CannotDecide(why % {"task": shown})
    if not adopt(job, attempt=job.attempt, task=chosen, by=by, note=note.strip()):
        raise CannotDecide("The job changed while you decided; look again.", conflict=True)
    _ring_follower()
    job.refresh_from_db()
    return job


def job_send_again(*, job: Job, by, note: str) -> Job:
    """Queue the job to be sent again (if the provider did make its task, that one is paid too)."""
    _needs_attention(job, note)
    with transaction.atomic():
        if not transitions.move(
            job.pk,
            S.UNKNOWN_OUTCOME,
            S.QUEUED,
            attempt=job.attempt,
            next_attempt_at=timezone.now() + dispatch.RING_GAP,
            finished_at=None,
            attention={},
            error_code="",
            error_message=gettext_noop("Sent again by a person."),
        ):
            raise CannotDecide("The job changed while you decided; look again.", conflict=True)
        record(job, "resent", note.strip(), by)
        dispatch.ring(dispatch.Doorbell.SUBMIT, job.pk)
    job.refresh_from_db()
    return job


def job_give_up(*, job: Job, by, note: str) -> Job:
    """End the job as failed; nothing more is sent or charged for it."""
    _needs_attention(job, note)
    with transaction.atomic():
        if not transitions.move(
            job.pk,
            S.UNKNOWN_OUTCOME,
            S.FAILED,
            attempt=job.attempt,
            attention={},
            error_code="GivenUp",
            error_message=f"Given up by {by.get_username()}: {note.strip()}",
        ):
            raise CannotDecide("The job changed while you decided; look again.", conflict=True)
        record(job, "given_up", note.strip(), by)
    job.refresh_from_db()
    return job


def _ring_follower() -> None:
    transaction.on_commit(follower.ensure_follower)
