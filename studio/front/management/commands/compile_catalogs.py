"""Compile the translation catalogs (studio/locale/*/LC_MESSAGES/*.po) into the .mo files Django reads.

Pure Python (polib), so `make run` works on a machine without GNU gettext and without root;
Django's own compilemessages needs `msgfmt`. The .mo files are build output, never committed.
The tests still use GNU gettext (makemessages, msgfmt --statistics) to check the catalogs.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Write a .mo beside every .po that is newer than it (or every one, with force); return those written."""
    written: list[Path] = []
    for root in settings.LOCALE_PATHS:
        for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            catalog = polib.pofile(str(po_path))
            # As msgfmt does by default: fuzzy entries are not trusted, so they stay in English.
            for entry in catalog.fuzzy_entries():
                catalog.remove(entry)
            catalog.save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "Compile studio/locale/*/LC_MESSAGES/*.po into .mo files (pure Python; no GNU gettext needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="recompile even catalogs whose .mo is newer")

    def handle(self, *args, force: bool = False, **options) -> None:
        written = compile_catalogs(force=force)
        for path in written:
            shown = path.relative_to(settings.BASE_DIR) if path.is_relative_to(settings.BASE_DIR) else path
            self.stdout.write(f"compiled {shown}")
        if not written:
            self.stdout.write("catalogs up to date")
