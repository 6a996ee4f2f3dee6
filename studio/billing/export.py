"""The ledger as CSV, one row per entry, for the dashboard's filters.

The file is for scripts and spreadsheets, so it is the same in every language: the header row is
the stable machine row COLUMNS below (English snake_case ids, never translated), kinds and codes are
the stored values, times ISO 8601 and amounts plain decimals with a dot. The dashboard shows the
same numbers with translated headings and the reader's number and date formats.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from studio.accounting.models import LedgerEntry

# The machine header row: scripts key on these names, so they never change with the language.
COLUMNS = (
    "time", "kind", "team", "user", "model", "region", "image_count", "images_stored",
    "unit_price", "currency", "cost", "job", "task_id", "request_id", "note",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_rows(entries: QuerySet[LedgerEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for e in entries.select_related("team", "user").iterator(chunk_size=2000):
        yield writer.writerow(
            (
                timezone.localtime(e.created_at).isoformat(),
                e.kind,
                _text(e.team.name if e.team else ""),
                _text(e.user.get_username()),
                e.model,
                e.region,
                e.image_count,
                e.images_stored,
                "" if e.unit_price is None else f"{e.unit_price.normalize():f}",
                e.currency,
                f"{e.cost.normalize():f}",
                e.job_id,
                e.task_id,
                e.request_id,
                _text(e.note),
            )
        )
