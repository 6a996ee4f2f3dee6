"""`python manage.py reconcile [--read-provider] [--since ISO]` — the reconciliation in a terminal.

Prints, per day from `--since` (a date or a date and time; default 24 hours ago) to today, the
images the provider billed, stored and charged, then every difference with what to do, then the
parts of the period the provider's task list was never read for. `--read-provider` first reads
the provider's task list and usage (at most the last 24 hours: all it keeps).

Exit status 0 when nothing differs; 1 (a CommandError) when anything does, so a cron job or a
monitoring check can alert on it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from studio.billing.filters import Filters
from studio.billing.reconcile import Reconciliation, reconcile
from studio.pipeline.provider_tasks import provider_tasks_refresh


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since: “{text}” is not an ISO date or date and time (2026-11-30 or 2026-11-30T08:00)") from None
    if len(text) <= 10:
        moment = datetime.combine(moment.date(), time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Compare what the provider billed with what the studio stored and charged, per day; list every difference."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--read-provider", action="store_true", help="read the provider's task list and usage first (last 24 hours at most)")
        parser.add_argument("--since", type=_moment, help="start of the period: an ISO date or date and time (default: 24 hours ago)")

    def handle(self, *args, read_provider: bool = False, since: datetime | None = None, **options) -> None:
        now = timezone.now()
        since = since or now - timedelta(hours=24)
        if since > now:
            raise CommandError("--since is in the future.")
        if read_provider:
            report = provider_tasks_refresh(start=since, end=now)
            self.stdout.write(report.summary())
        result = reconcile(Filters.for_period(start=timezone.localdate(since), end=timezone.localdate(now)), now=now)
        self._print(result)
        if result.mismatch_count:
            raise CommandError(f"{result.mismatch_count} difference{'s' if result.mismatch_count != 1 else ''} (listed above).")
        self.stdout.write(self.style.SUCCESS("Billed, stored and charged images match."))

    def _print(self, result: Reconciliation) -> None:
        self.stdout.write(f"{'day':<10}  {'jobs':>5}  {'billed':>6}  {'stored':>6}  {'ledger':>6}  {'diffs':>5}")
        for d in result.days:
            mark = "  DIFFERS" if d.differs else ""
            self.stdout.write(f"{d.day:%Y-%m-%d}  {d.jobs:>5}  {d.reported:>6}  {d.stored:>6}  {d.charged:>6}  {d.differences:>5}{mark}")
        for m in result.mismatches:
            who = f"job {m.job_id}" if m.job_id is not None else f"task {m.task_id}"
            billed = "?" if m.reported is None else m.reported
            self.stdout.write(
                f"{m.day:%Y-%m-%d} {m.label}: {who} ({m.status}) billed {billed}, stored {m.stored}, charged {m.charged}. "
                f"{m.note} What to do: {m.action}"
            )
        if result.mismatch_count > len(result.mismatches):
            self.stdout.write(f"... and {result.mismatch_count - len(result.mismatches)} more.")
        for note in result.coverage.notes():
            self.stdout.write(note)
