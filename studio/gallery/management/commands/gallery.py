"""`python manage.py gallery verify` — re-hash every stored file and report missing or changed ones,
and files that no row names (`--remove-orphans` deletes those).

Exit status 0 when every file is as stored; 1 (a CommandError) when any is missing, changed or an
orphan, so a cron job or a monitoring check can alert on it. One line per problem, then a summary.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from studio.gallery import integrity


class Command(BaseCommand):
    help = "Check the gallery's stored files: `verify` re-hashes every original and looks for every thumbnail and reference."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
        verify = sub.add_parser(
            "verify", help="re-hash every stored image; report missing or changed files and files no row names"
        )
        verify.add_argument("--remove-orphans", action="store_true", help="delete the files that no row names")
        verify.add_argument(
            "--grace-seconds",
            type=int,
            default=600,
            help="pass over files younger than this: they may be a store in progress (default 600)",
        )

    def handle(self, *args, action: str, remove_orphans: bool = False, grace_seconds: int = 600, **options) -> None:
        if action == "verify":
            self._verify(remove=remove_orphans, grace=timedelta(seconds=max(0, grace_seconds)))

    def _verify(self, *, remove: bool, grace: timedelta) -> None:
        summary = integrity.Summary()
        for problem in integrity.check(summary):
            self.stdout.write(str(problem))
        for problem in integrity.orphans(summary, grace=grace, now=timezone.now(), remove=remove):
            self.stdout.write(str(problem))
        missing, changed, orphans = summary.count("missing"), summary.count("changed"), summary.count("orphan")
        self.stdout.write(
            f"Checked {summary.images} images ({summary.bytes_read} bytes re-hashed), "
            f"{summary.thumbnails} thumbnails and {summary.references} references: "
            f"{missing} missing, {changed} changed, {orphans} files no row names"
            + (f" ({summary.removed} removed)" if remove else "")
            + (f"; {summary.recent} newer files passed over" if summary.recent else "")
            + "."
        )
        unresolved = len(summary.problems) - summary.removed
        if unresolved:
            raise CommandError(
                f"{unresolved} stored files are missing, changed or named by no row (listed above)."
            )
        self.stdout.write(self.style.SUCCESS("Every stored file is as it was stored."))
