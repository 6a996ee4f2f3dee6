"""A job's state machine, in one place.

Every move is a conditional UPDATE (`WHERE id = ... AND status = <from>`): when two workers try
to move the same job, exactly one UPDATE matches a row and the other learns it lost. Every move
also bumps `Job.attempt`; a caller that acts on what it read earlier (the recovery sweep, a
worker finishing its submit) passes the attempt it examined, so a job that has moved on since —
even back to the same status — is left alone.

    queued ──► submitting ──► submitted ──► running ──► downloading ──► succeeded
      │  ▲          │   │          │  │         │  │          │
      │  └──────────┘   │          │  └─────────┴──┴──► failed / expired
      │   (not sent,    └─► unknown_outcome ("needs attention": a person adopts a task,
      │    throttled)                            sends again or gives up)
      │                            └─► canceled (PENDING at the provider)
      └─► canceled (never sent)
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from studio.pipeline.job_ended import job_ended
from studio.pipeline.models import Job, JobStatus

S = JobStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.SUBMITTING, S.CANCELED, S.FAILED}),
    # Back to queued only when the request provably never reached the provider, or was refused
    # without creating a task (throttled, paused account).
    # Straight to downloading when a sync-only model answered with its images.
    S.SUBMITTING: frozenset({S.SUBMITTED, S.DOWNLOADING, S.QUEUED, S.FAILED, S.UNKNOWN_OUTCOME}),
    S.SUBMITTED: frozenset({S.RUNNING, S.DOWNLOADING, S.FAILED, S.CANCELED, S.EXPIRED}),
    S.RUNNING: frozenset({S.DOWNLOADING, S.FAILED, S.CANCELED, S.EXPIRED}),
    S.DOWNLOADING: frozenset({S.SUCCEEDED, S.EXPIRED, S.FAILED}),
    # Reconciled with the provider's task list, retried by a person, or given up.
    S.UNKNOWN_OUTCOME: frozenset({S.SUBMITTED, S.QUEUED, S.FAILED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
}

_STAMPS = {
    S.SUBMITTING: "submitting_at",
    S.SUBMITTED: "submitted_at",
    S.RUNNING: "running_at",
    S.DOWNLOADING: "downloading_at",
}


class IllegalTransition(ValueError):
    pass


def move(job_id: int, frm: str, to: str, *, attempt: int | None = None, **fields: Any) -> bool:
    """Move a job from `frm` to `to` and set `fields`, only if it is still in `frm` (and still at
    `attempt`, when given).

    Returns whether this call made the move. Raises IllegalTransition for a move the state
    machine does not have (a programming error, not a race).
    """
    if to not in ALLOWED[frm]:
        raise IllegalTransition(f"{frm} -> {to}")
    now = timezone.now()
    stamp = _STAMPS.get(to)
    if stamp:
        fields.setdefault(stamp, now)
    elif not ALLOWED[to] or to == S.UNKNOWN_OUTCOME:
        fields.setdefault("finished_at", now)
    if to not in (S.SUBMITTING, S.DOWNLOADING):
        fields.setdefault("lease_until", None)
    rows = Job.objects.filter(pk=job_id, status=frm)
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
    if ALLOWED[to]:
        return rows.update(status=to, status_changed_at=now, attempt=F("attempt") + 1, **fields) == 1
    # A final move and what follows from it (the charge, the webhook event) commit together.
    with transaction.atomic():
        moved = rows.update(status=to, status_changed_at=now, attempt=F("attempt") + 1, **fields) == 1
        if moved:
            job_ended(job_id)
    return moved


def move_from_any(job_id: int, sources: tuple[str, ...], to: str, **fields: Any) -> bool:
    """Try each source state in turn; for moves that may start from several states."""
    return any(move(job_id, frm, to, **fields) for frm in sources)


def update_if(job_id: int, status: str, *, attempt: int | None = None, **fields: Any) -> bool:
    """Change fields of a job without moving it, only while it is still in `status` (and at
    `attempt`, when given). The attempt is not bumped: nothing another reader relies on moved."""
    rows = Job.objects.filter(pk=job_id, status=status)
    if attempt is not None:
        rows = rows.filter(attempt=attempt)
    return rows.update(**fields) == 1
