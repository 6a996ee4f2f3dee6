"""The provider's own record of the key's tasks: its task list, and what each finished task billed.

The submit path records every task id it is told of (studio.pipeline.attention.remember_task).
Reading the provider adds what only the provider knows: tasks whose answer never reached the
studio (or that something else made with the key), and each task's usage.image_count — what it
bills. studio.billing.reconcile compares these rows with jobs, stored images and the ledger.

The provider keeps a task 24 hours and answers a list query spanning at most 24 hours, so a read
starts no earlier than 24 hours ago; an older part of a period can no longer be read, and the
report says so. Every window read whole is kept as a ProviderListRead, so the reconciliation can
show which parts of a period were never read.

    from datetime import timedelta
    from django.utils import timezone
    from studio.pipeline.provider_tasks import provider_tasks_refresh

    report = provider_tasks_refresh(start=timezone.now() - timedelta(hours=24), end=timezone.now())
    print(report.summary())
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from studio.pipeline import provider
from studio.pipeline.models import Job, ProviderListRead, ProviderTask
from studio.wan import errors
from studio.wan.capabilities import RESULT_TTL_SECONDS
from studio.wan.client import WanClient
from studio.wan.responses import ListedTask, TaskResult

log = logging.getLogger(__name__)

# Reference: ../shared/seeds/002_e63ba47cef0cee16.txt — "The task ID ... valid for 24 hours";
# the task list answers at most 24 hours per query (DashScope's task-management API).
READABLE_FOR = timedelta(seconds=RESULT_TTL_SECONDS)
LIST_SPAN = timedelta(seconds=RESULT_TTL_SECONDS)
# Every task call (list pages and single-task queries) takes a slot of the account's budget
# (studio.pipeline.query_budget) in the client's transport. The single-task queries are paced
# besides, so a long read leaves most of the budget to the poller, whose jobs wait otherwise.
TASK_QUERIES_PER_SECOND = 5.0
# Finished tasks whose usage is final. UNKNOWN (expired or never seen) tells nothing to count.
FINISHED = frozenset({"SUCCEEDED", "FAILED", "CANCELED"})


@dataclass
class RefreshReport:
    """What one read of the provider did. `start`/`end` are the window read (after clamping)."""

    asked_start: datetime
    asked_end: datetime
    start: datetime
    end: datetime
    # The asked start was older than the provider keeps tasks: the read began 24 hours ago.
    clamped: bool = False
    windows: int = 0
    listed: int = 0
    # Rows learned from the list only (no submit answer told the studio of them).
    new: int = 0
    # ...of which no job follows: work the studio did not do, or a lost answer nobody adopted.
    new_unclaimed: int = 0
    linked: int = 0
    fetched: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.start >= self.end:
            return " ".join(self.notes) or "Nothing to read."
        text = (
            f"Read the provider's tasks from {_when(self.start)} to {_when(self.end)}: {self.listed} listed "
            f"({self.new} new, {self.new_unclaimed} that no job follows), usage read for {self.fetched}."
        )
        return " ".join([text, *self.notes, *self.errors])


def provider_tasks_refresh(
    *,
    start: datetime,
    end: datetime,
    client: WanClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RefreshReport:
    """Read the key's tasks created in [start, end] and the usage of each finished one.

    Upserts a ProviderTask per listed task (status, model, created_at, read_at; linked to the job
    that follows it, if any), then asks each finished task whose billed count is unknown for its
    usage, once. Provider errors are reported, never raised: a window that could not be listed is
    not recorded as read.
    """
    now = timezone.now()
    earliest = now - READABLE_FOR
    report = RefreshReport(asked_start=start, asked_end=end, start=max(start, earliest), end=min(end, now))
    # "The last 24 hours", computed a moment before this, is not worth a note.
    if start < earliest - timedelta(minutes=1):
        report.clamped = True
        report.notes.append(
            f"Asked from {_when(start)}, but the provider keeps tasks 24 hours: read from {_when(earliest)}; "
            "older tasks can no longer be read."
        )
    if report.start >= report.end:
        report.notes.append("Nothing is left to read in that period (the provider keeps tasks 24 hours).")
        return report
    owns = client is None
    client = client or provider.make_client()
    key = provider.api_key_id()
    try:
        listed: list[str] = []
        for lo, hi in list_windows(report.start, report.end):
            try:
                rows = client.list_tasks(start=lo, end=hi)
            except errors.WanError as exc:
                report.errors.append(f"The task list from {_when(lo)} to {_when(hi)} could not be read: {exc.message}")
                continue
            _upsert(rows, key=key, now=now, report=report)
            ProviderListRead.objects.create(api_key_id=key, start=lo, end=hi, read_at=now, listed=len(rows))
            report.windows += 1
            listed.extend(t.task_id for t in rows)
        _read_usage(client, listed, report, pace=_Pace(TASK_QUERIES_PER_SECOND, sleep))
    finally:
        if owns:
            client.close()
    log.info("provider tasks: %s", report.summary())
    return report


def list_windows(start: datetime, end: datetime, span: timedelta = LIST_SPAN) -> Iterator[tuple[datetime, datetime]]:
    """[start, end] cut into windows no longer than the task list answers."""
    lo = start
    while lo < end:
        hi = min(lo + span, end)
        yield lo, hi
        lo = hi


def billed_images(result: TaskResult) -> int | None:
    """What a finished task bills: usage.image_count, else the images it returned; failed and
    canceled tasks cost nothing. None when the task is not finished (or no longer known)."""
    # Reference: ../shared/seeds/004_506a2e5c379f57c5.txt — billed per successfully generated
    # image (usage.image_count); failed calls are not billed.
    if result.task_status == "SUCCEEDED":
        if result.usage is not None and result.usage.image_count is not None:
            return result.usage.image_count
        return len(result.images)
    if result.task_status in ("FAILED", "CANCELED"):
        return 0
    return None


def _upsert(rows: Sequence[ListedTask], *, key: str, now: datetime, report: RefreshReport) -> None:
    ids = [t.task_id for t in rows]
    followers = dict(Job.objects.filter(task_id__in=ids).values_list("task_id", "pk"))
    for task in rows:
        follower = followers.get(task.task_id)
        row, created = ProviderTask.objects.get_or_create(
            task_id=task.task_id,
            defaults={
                "api_key_id": key,
                "model": task.model or "",
                "job_id": follower,
                "status": task.task_status,
                "created_at": task.created_at,
                "read_at": now,
            },
        )
        report.listed += 1
        if created:
            report.new += 1
            report.new_unclaimed += follower is None
            continue
        fields: dict[str, object] = {"status": task.task_status, "read_at": now}
        if task.created_at is not None:
            fields["created_at"] = task.created_at
        if task.model and not row.model:
            fields["model"] = task.model
        if not row.api_key_id:
            fields["api_key_id"] = key
        ProviderTask.objects.filter(pk=row.pk).update(**fields)
        if row.job_id is None and follower is not None:
            # Conditional, like remember_task's: a job the submit recorded meanwhile is kept.
            report.linked += ProviderTask.objects.filter(pk=row.pk, job__isnull=True).update(job_id=follower)


def _read_usage(client: WanClient, task_ids: Sequence[str], report: RefreshReport, *, pace: _Pace) -> None:
    unknown = ProviderTask.objects.filter(task_id__in=task_ids, status__in=FINISHED, image_count__isnull=True)
    for row in unknown.order_by("created_at", "task_id"):
        pace.wait()
        try:
            result = client.get_task(row.task_id)
        except errors.WanError as exc:
            report.errors.append(f"Task {row.task_id} could not be read: {exc.message}")
            continue
        report.fetched += 1
        fields: dict[str, object] = {"status": result.task_status, "read_at": timezone.now()}
        if result.end_time is not None:
            fields["ended_at"] = result.end_time
        if row.created_at is None and result.submit_time is not None:
            fields["created_at"] = result.submit_time
        count = billed_images(result)
        if count is not None:
            fields["image_count"] = count
        ProviderTask.objects.filter(pk=row.pk).update(**fields)


class _Pace:
    """At most `per_second` calls a second, by sleeping before a call that comes too soon."""

    def __init__(self, per_second: float, sleep: Callable[[float], None]) -> None:
        self._gap = 1.0 / per_second
        self._sleep = sleep
        self._last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            early = self._gap - (time.monotonic() - self._last)
            if early > 0:
                self._sleep(early)
        self._last = time.monotonic()


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
