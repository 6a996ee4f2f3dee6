"""Reconciliation: what the provider billed, what the studio stored and what it charged, per day.

The provider's side is its own record, read by studio.pipeline.provider_tasks: every task the key
made (ProviderTask) with its usage.image_count. Per day of the period:

* billed — for each job that ended that day, what the task it follows billed (as last read from
  the provider; before a read, what the job's own poll recorded) or, for a sync-only model, the
  usage of its answer (a synchronous call leaves no task); plus every task no job follows;
* stored — the job's OutputImage rows;
* charged — the images on the job's ledger entries.

On a healthy day the three are equal and nothing is listed. Each difference says what happened
and what to do: a task no job follows (something else uses the key, or a lost answer nobody
adopted), a second task of one job (sent twice), a job whose billed, stored and charged counts
disagree, and a synchronous call whose answer was lost (it may have been billed; nobody can
know how many images). Parts of the period the provider's list was never read for are shown too
(studio.billing.provider_coverage).

From plain Python (a command, a script):

    from datetime import date
    from studio.billing.filters import Filters
    from studio.billing.reconcile import reconcile

    result = reconcile(Filters.for_period(start=date(2026, 11, 29), end=date(2026, 11, 30)))
    for m in result.mismatches:
        print(m.kind, m.job_id, m.task_id, m.note, m.action)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from studio.accounting.models import LedgerEntry
from studio.billing.dashboard import ended_jobs
from studio.billing.filters import Filters
from studio.billing.provider_coverage import ProviderCoverage, provider_coverage
from studio.pipeline.attention import SYNC_LOST
from studio.pipeline.models import Job, JobEvent, JobStatus, OutputImage, ProviderTask
from studio.wan.capabilities import MODELS

S = JobStatus
# Differences listed under the table; the day rows and the count always include them all.
MAX_LISTED = 200
SYNC_ONLY = tuple(name for name, caps in MODELS.items() if caps.sync_only)
NOT_BILLED = ("FAILED", "CANCELED")

# Mismatch.kind
JOB = "job"
UNCLAIMED_TASK = "unclaimed_task"
SECOND_TASK = "second_task"
TASK_NOT_FOLLOWED = "task_not_followed"
MAY_HAVE_BEEN_BILLED = "may_have_been_billed"
KIND_LABELS = {
    JOB: gettext_lazy("Counts differ"),
    UNCLAIMED_TASK: gettext_lazy("Task no job shows"),
    SECOND_TASK: gettext_lazy("Second task of a job"),
    TASK_NOT_FOLLOWED: gettext_lazy("Task its job does not follow"),
    MAY_HAVE_BEEN_BILLED: gettext_lazy("May have been billed"),
}


@dataclass(frozen=True)
class Day:
    day: date
    reported: int
    stored: int
    charged: int
    jobs: int
    differences: int = 0

    @property
    def differs(self) -> bool:
        return self.differences > 0 or not (self.reported == self.stored == self.charged)


@dataclass(frozen=True)
class Mismatch:
    """One difference: what happened (`note`) and what to do (`action`)."""

    kind: str
    day: date
    job_id: int | None
    task_id: str
    status: str
    team: str
    owner: str
    # When the job ended (for a task: when it ended, or was made).
    finished_at: datetime | None
    # What the provider billed; None when nobody can know (a lost sync answer, an unfinished task).
    reported: int | None
    stored: int
    charged: int
    note: str
    action: str
    # The job's own message, as recorded.
    recorded: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Reconciliation:
    days: list[Day]
    mismatches: list[Mismatch]
    mismatch_count: int
    coverage: ProviderCoverage

    @property
    def differing_days(self) -> int:
        return sum(1 for d in self.days if d.differs)


class _Tally:
    def __init__(self) -> None:
        self.days: dict[date, list[int]] = {}
        self.mismatches: list[Mismatch] = []
        self.count = 0

    def add(self, day: date, *, billed: int, stored: int = 0, charged: int = 0, jobs: int = 0) -> None:
        sums = self.days.setdefault(day, [0, 0, 0, 0, 0])
        for i, n in enumerate((billed, stored, charged, jobs)):
            sums[i] += n

    def differs(self, mismatch: Mismatch) -> None:
        self.days.setdefault(mismatch.day, [0, 0, 0, 0, 0])[4] += 1
        self.count += 1
        self.mismatches.append(mismatch)


def reconcile(filters: Filters, *, now: datetime | None = None) -> Reconciliation:
    tally = _Tally()
    _jobs(filters, tally)
    _tasks_no_job_follows(filters, tally)
    tally.mismatches.sort(key=lambda m: (m.day, m.finished_at or datetime.min.replace(tzinfo=UTC)))
    return Reconciliation(
        days=[Day(day, *tally.days[day]) for day in sorted(tally.days)],
        mismatches=tally.mismatches[:MAX_LISTED],
        mismatch_count=tally.count,
        coverage=provider_coverage(filters.start, filters.end, now=now),
    )


# --- jobs that ended in the period ---------------------------------------------------------------


def _jobs(filters: Filters, tally: _Tally) -> None:
    def count(qs, expression) -> Coalesce:
        return Coalesce(Subquery(qs.order_by().values("job").annotate(c=expression).values("c"), output_field=IntegerField()), Value(0))

    stored = count(OutputImage.objects.filter(job=OuterRef("pk")), Count("id"))
    charged = count(LedgerEntry.objects.filter(job=OuterRef("pk")), Sum("image_count"))
    # Each lost synchronous answer parked the job once (studio.pipeline.attention.park).
    parked = count(JobEvent.objects.filter(job=OuterRef("pk"), action="parked"), Count("id"))
    task_billed = ProviderTask.objects.filter(task_id=OuterRef("task_id")).values("image_count")[:1]
    jobs = (
        ended_jobs(filters)
        .select_related("team", "owner")
        .annotate(stored_n=stored, charged_n=charged, parked_n=parked, task_billed=Subquery(task_billed))
        # Jobs that never produced, stored or charged an image (and lost no answer) have nothing to reconcile.
        .filter(
            Q(usage_image_count__isnull=False)
            | Q(task_billed__gt=0)
            | Q(stored_n__gt=0)
            | ~Q(charged_n=0)
            | Q(model__in=SYNC_ONLY, parked_n__gt=0)
            | Q(attention__reason=SYNC_LOST)
        )
        .order_by("finished_at", "pk")
    )
    for job in jobs.iterator(chunk_size=500):
        day = timezone.localtime(job.finished_at).date()
        sync = job.model in SYNC_ONLY
        billed = job.usage_image_count if sync or job.task_billed is None else job.task_billed
        tally.add(day, billed=billed or 0, stored=job.stored_n, charged=job.charged_n, jobs=1)
        if not ((billed or 0) == job.stored_n == job.charged_n):
            note, action = _job_words(job, billed)
            tally.differs(_about_job(job, JOB, day, billed, note, action))
        lost = job.parked_n or (1 if job.attention.get("reason") == SYNC_LOST else 0)
        if sync and lost:
            note, action = _lost_answer_words(job, lost)
            tally.differs(_about_job(job, MAY_HAVE_BEEN_BILLED, day, None, note, action))


def _about_job(job: Job, kind: str, day: date, billed: int | None, note: str, action: str) -> Mismatch:
    return Mismatch(
        kind=kind,
        day=day,
        job_id=job.pk,
        task_id=job.task_id or "",
        status=job.status,
        team=job.team.name if job.team else "",
        owner=job.owner.get_username(),
        finished_at=job.finished_at,
        reported=billed,
        stored=job.stored_n,
        charged=job.charged_n,
        note=note,
        action=action,
        recorded=job.error_message,
    )


def _job_words(job: Job, billed: int | None) -> tuple[str, str]:
    """What a job whose billed, stored and charged counts differ went through, and what to do."""
    stored, charged = job.stored_n, job.charged_n
    n = {
        "job": job.pk,
        "billed": billed,
        "stored": stored,
        "charged": charged,
        "task": job.task_id,
        "status": job.get_status_display().lower(),
    }
    if billed is None:
        return (
            _(
                "The provider's count for job %(job)s is unknown (its task was never read), "
                "yet %(stored)s images are stored and %(charged)s charged."
            )
            % n,
            _("Read the provider while the task is less than 24 hours old; after that, compare with the provider's bill."),
        )
    if job.status == S.EXPIRED and stored < billed:
        return (
            _(
                "The provider billed %(billed)s images for job %(job)s; they expired before they were stored "
                "(%(stored)s stored, %(charged)s charged)."
            )
            % n,
            _(
                "Nothing can be fetched any more (result links last 24 hours): the studio pays for these images. "
                "If this repeats, the download workers are falling behind."
            ),
        )
    if job.status in (S.FAILED, S.CANCELED) and billed > stored:
        return (
            _(
                "The provider billed %(billed)s images for job %(job)s, which the studio ended as "
                "%(status)s (%(stored)s stored, %(charged)s charged)."
            )
            % n,
            _("Look at task %(task)s with the provider; its images can be fetched only within 24 hours of it ending.") % n,
        )
    if stored < billed and charged == billed:
        return (
            _(
                "%(missing)s of the %(billed)s images billed for job %(job)s are not in the gallery, "
                "but the team was charged for all of them."
            )
            % {**n, "missing": billed - stored},
            _(
                "Run `manage.py gallery verify` to see whether stored files went missing; if the team should "
                "not pay for them, record a ledger correction of %(correction)s images for job %(job)s."
            )
            % {**n, "correction": stored - billed},
        )
    if stored < billed:
        return (
            _("%(missing)s of the %(billed)s images billed for job %(job)s are not in the gallery (%(charged)s charged).")
            % {**n, "missing": billed - stored},
            _("The studio pays for the missing images; the job's history says why they were not stored."),
        )
    return (
        _("The provider billed %(billed)s images for job %(job)s; %(stored)s are stored and %(charged)s charged.") % n,
        _(
            "The ledger is wrong: record a correction of %(correction)s images for job %(job)s "
            "(a correction is a new entry; the charge is never edited)."
        )
        % {**n, "correction": billed - charged}
        if charged != billed
        else _("More images are stored than were billed: check the job's stored files (`manage.py gallery verify`)."),
    )


def _lost_answer_words(job: Job, lost: int) -> tuple[str, str]:
    note = ngettext(
        "%(model)s answers synchronously, and the answer to one synchronous call of job %(job)s was lost: the provider "
        "may have made and billed up to %(images)s per call that nobody can fetch "
        "(a synchronous call leaves no task to look up).",
        "%(model)s answers synchronously, and the answer to %(lost)s synchronous calls of job %(job)s was lost: the provider "
        "may have made and billed up to %(images)s per call that nobody can fetch "
        "(a synchronous call leaves no task to look up).",
        lost,
    ) % {"model": job.model, "lost": lost, "job": job.pk, "images": _images(job.max_images_billed())}
    if job.status == S.UNKNOWN_OUTCOME:
        action = _(
            "A team admin decides on the job: send it again or give it up. Compare with the provider's bill for that day."
        )
    else:
        action = _(
            "The job is %(status)s now; nothing more can be done for the lost call. "
            "Compare with the provider's bill for that day if the amount matters."
        ) % {"status": job.get_status_display().lower()}
    return note, action


# --- provider tasks no job follows ---------------------------------------------------------------


def _tasks_no_job_follows(filters: Filters, tally: _Tally) -> None:
    tasks = (
        ProviderTask.objects.annotate(
            at=Coalesce("ended_at", "created_at", "learned_at"),
            followed=Exists(Job.objects.filter(task_id=OuterRef("task_id"))),
        )
        .filter(at__gte=filters.start, at__lt=filters.end, followed=False)
        # Failed and canceled tasks cost nothing.
        .exclude(status__in=NOT_BILLED)
        .exclude(image_count=0)
        .select_related("job", "job__team", "job__owner")
        .order_by("at", "task_id")
    )
    if filters.model is not None:
        tasks = tasks.filter(model=filters.model)
    # A task no job shows belongs to no team or user: a narrower view leaves it out.
    if filters.team_id is not None:
        tasks = tasks.filter(job__team_id=filters.team_id)
    if filters.user_id is not None:
        tasks = tasks.filter(job__owner_id=filters.user_id)
    for task in tasks.iterator(chunk_size=500):
        day = timezone.localtime(task.at).date()
        tally.add(day, billed=task.image_count or 0)
        kind, note, action = _task_words(task)
        job = task.job
        tally.differs(
            Mismatch(
                kind=kind,
                day=day,
                job_id=job.pk if job else None,
                task_id=task.task_id,
                status=task.status or _("not read"),
                team=job.team.name if job and job.team else "",
                owner=job.owner.get_username() if job else "",
                finished_at=task.at,
                reported=task.image_count,
                stored=0,
                charged=0,
                note=note,
                action=action,
                recorded=job.error_message if job else "",
            )
        )


def _task_words(task: ProviderTask) -> tuple[str, str, str]:
    n = task.image_count
    # Phrases that fit the sentences below, worded whether or not the task's count is known.
    if n is None:
        status = (task.status or _("not read")).lower()
        billed = _("may bill images (it was %(status)s when last read)") % {"status": status}
        images, are_billed = _("its images"), _("its images may be billed")
    else:
        billed = ngettext("billed %(n)s image", "billed %(n)s images", n) % {"n": n}
        images = ngettext("its %(n)s image", "its %(n)s images", n) % {"n": n}
        are_billed = ngettext("its %(n)s image is billed", "its %(n)s images are billed", n) % {"n": n}
    job = task.job
    if job is None:
        return (
            UNCLAIMED_TASK,
            _("Provider task %(task)s (%(model)s) %(billed)s that no job shows.")
            % {"task": task.task_id, "model": task.model or _("model unknown"), "billed": billed},
            _("If a job needs attention, adopt this task there; otherwise something else uses the studio's API key."),
        )
    if job.task_id:
        return (
            SECOND_TASK,
            _(
                "A second task of job %(job)s (sent twice): %(are_billed)s but not in the gallery "
                "(task %(task)s; the job follows %(followed)s)."
            )
            % {"job": job.pk, "are_billed": are_billed, "task": task.task_id, "followed": job.task_id},
            _(
                "The team was charged only for the task the job follows, so the studio pays for this one. "
                "The job's history says why it was sent twice."
            ),
        )
    if job.status == S.UNKNOWN_OUTCOME:
        action = _("Adopt task %(task)s on job %(job)s: its images are then stored and charged to the job.") % {
            "task": task.task_id,
            "job": job.pk,
        }
    else:
        action = _("Job %(job)s ended without it (%(status)s): the studio pays for %(images)s.") % {
            "job": job.pk,
            "status": job.get_status_display().lower(),
            "images": images,
        }
    return (
        TASK_NOT_FOLLOWED,
        _("Task %(task)s, sent by job %(job)s, %(billed)s, but the job does not follow it, so none of them is in the gallery.")
        % {"task": task.task_id, "job": job.pk, "billed": billed},
        action,
    )


def _images(n: int) -> str:
    return ngettext("%(n)s image", "%(n)s images", n) % {"n": n}
