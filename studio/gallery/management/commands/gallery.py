"""`python manage.py gallery verify` — re-hash every stored file and report missing or changed ones.

Exit status 0 when every file is as stored; 1 (a CommandError) when any is missing or changed,
so a cron job or a monitoring check can alert on it. One line per problem, then a summary.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from studio.gallery import integrity


class Command(BaseCommand):
    help = "Check the gallery's stored files: `verify` re-hashes every original and looks for every thumbnail and reference."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
        sub.add_parser("verify", help="re-hash every stored image; report missing or changed files")

    def handle(self, *args, action: str, **options) -> None:
        if action == "verify":
            self._verify()

    def _verify(self) -> None:
        summary = integrity.Summary()
        for problem in integrity.check(summary):
            self.stdout.write(str(problem))
        missing, changed = summary.count("missing"), summary.count("changed")
        self.stdout.write(
            f"Checked {summary.images} images ({summary.bytes_read} bytes re-hashed), "
            f"{summary.thumbnails} thumbnails and {summary.references} references: "
            f"{missing} missing, {changed} changed."
        )
        if summary.problems:
            raise CommandError(f"{len(summary.problems)} stored files are missing or changed (listed above).")
        self.stdout.write(self.style.SUCCESS("Every stored file is as it was stored."))
