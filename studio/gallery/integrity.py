"""Are the stored files still what was stored? Every original re-hashed against its recorded SHA-256,
and every file in the pipeline's folders named by a row.

Originals carry the hash taken when they were downloaded, so a changed byte is caught. Thumbnails
and job references carry none: for them only presence is checked. Files are read through the
storage API in chunks (works the same on local disk and object storage; memory stays flat), and
trashed jobs are checked too: their files are kept until an admin purges them.

An orphan is a file in outputs/, thumbnails/ or references/ that no row names: what a store or a
job creation killed half-way leaves (the retry writes the same name, so it is rare), or a file put
there by hand. Files younger than a grace period are passed over: they may be a store in progress.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.storage import default_storage

from studio.pipeline.models import JobReference, OutputImage

CHUNK_BYTES = 1024 * 1024
# Rows read from the database at a time.
BATCH = 500


# The folders the pipeline stores into (studio.pipeline.models' upload paths).
STORED_FOLDERS = ("outputs", "thumbnails", "references")


@dataclass(frozen=True)
class Problem:
    kind: str  # "missing", "changed" or "orphan"
    what: str  # "image", "thumbnail", "reference" or "file"
    job_id: int | None
    index: int | None  # the image's index or the reference's position (from 0, as stored)
    path: str
    detail: str = ""

    def __str__(self) -> str:
        if self.kind == "orphan":
            line = f"ORPHAN file: {self.path}"
        else:
            line = f"{self.kind.upper()} {self.what}: job {self.job_id}, index {self.index}, {self.path}"
        return f"{line} ({self.detail})" if self.detail else line


@dataclass
class Summary:
    images: int = 0
    bytes_read: int = 0
    thumbnails: int = 0
    references: int = 0
    # Files passed over by the orphan check because they are younger than its grace period.
    recent: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)


def sha256_of(field_file) -> tuple[str, int]:
    """The file's SHA-256 and length, read in chunks; FileNotFoundError if it is gone."""
    digest = hashlib.sha256()
    size = 0
    with field_file.storage.open(field_file.name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check(summary: Summary) -> Iterator[Problem]:
    """Check every stored file, yielding each problem as it is found (and recording it in `summary`)."""
    for problem in _check_all(summary):
        summary.problems.append(problem)
        yield problem


def _check_all(summary: Summary) -> Iterator[Problem]:
    outputs = OutputImage.objects.order_by("job_id", "index").only("job_id", "index", "file", "thumbnail", "sha256")
    for output in outputs.iterator(chunk_size=BATCH):
        summary.images += 1
        try:
            digest, size = sha256_of(output.file)
        except FileNotFoundError:
            yield Problem("missing", "image", output.job_id, output.index, output.file.name)
        else:
            summary.bytes_read += size
            if digest != output.sha256:
                yield Problem(
                    "changed", "image", output.job_id, output.index, output.file.name,
                    f"SHA-256 {digest}, recorded {output.sha256}",
                )
        if output.thumbnail:
            summary.thumbnails += 1
            if not output.thumbnail.storage.exists(output.thumbnail.name):
                yield Problem("missing", "thumbnail", output.job_id, output.index, output.thumbnail.name)
    references = JobReference.objects.order_by("job_id", "position").only("job_id", "position", "file")
    for ref in references.iterator(chunk_size=BATCH):
        summary.references += 1
        if not ref.file.storage.exists(ref.file.name):
            yield Problem("missing", "reference", ref.job_id, ref.position, ref.file.name)


def named_files() -> set[str]:
    """Every storage name a row points to."""
    names: set[str] = set()
    for file, thumbnail in OutputImage.objects.values_list("file", "thumbnail").iterator(chunk_size=BATCH):
        names.update((file, thumbnail))
    for file, mask in JobReference.objects.values_list("file", "mask").iterator(chunk_size=BATCH):
        names.update((file, mask))
    names.discard("")
    return names


def _walk(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def orphans(summary: Summary, *, grace: timedelta, now: datetime, remove: bool = False) -> Iterator[Problem]:
    """Files in the pipeline's folders that no row names (removed too, with `remove`)."""
    storage = default_storage
    named = named_files()
    for folder in STORED_FOLDERS:
        for path in _walk(storage, folder):
            if path in named:
                continue
            if now - storage.get_modified_time(path) < grace:
                summary.recent += 1
                continue
            problem = Problem("orphan", "file", None, None, path, "no row names it")
            if remove:
                storage.delete(path)
                summary.removed += 1
                problem = Problem("orphan", "file", None, None, path, "removed")
            summary.problems.append(problem)
            yield problem
