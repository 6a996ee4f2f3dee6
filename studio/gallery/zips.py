"""ZIP archives of stored images, streamed: bytes leave as they are read, never a whole archive in memory.

The stdlib's zipfile writes into a small sink that cannot seek; zipfile then puts each entry's
CRC and sizes in a data descriptor after its data, so nothing written is ever revisited. After
every chunk read from storage the sink is drained and its bytes handed to the response. Memory
stays at about one chunk whatever the size of the files or the number of images.

Entries are stored, not deflated: PNGs are compressed already, and ZIP_STORED costs no CPU.
A manifest.json comes first, so a reader can check every image against its recorded SHA-256.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from studio.pipeline.models import Job, OutputImage

# How much of a file is read (and then sent) at a time.
CHUNK_BYTES = 64 * 1024
# The most images one selection ZIP may hold (a request for more is refused, naming the limit).
SELECTION_MAX_IMAGES = 500
MANIFEST_NAME = "manifest.json"
MISSING_NAME = "MISSING.txt"


def image_filename(output: OutputImage) -> str:
    """'wan-17-2.png' for the second image of job 17: numbered from 1, as the pages number them."""
    return f"wan-{output.job_id}-{output.index + 1}.png"


def job_zip_filename(job: Job) -> str:
    return f"wan-job-{job.pk}.zip"


def selection_zip_filename() -> str:
    return f"wan-selection-{timezone.localtime():%Y%m%d-%H%M%S}.zip"


class _Sink:
    """A write-only, non-seekable file for zipfile: it keeps what was written until drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        # zipfile records each entry's offset for the central directory; it never seeks back.
        return self._offset

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


@dataclass(frozen=True)
class Entry:
    """One file of the archive: a stored image, or bytes made here (the manifest)."""

    name: str
    output: OutputImage | None = None
    data: bytes = b""


def manifest(outputs: list[OutputImage]) -> bytes:
    """What the archive holds: per job its prompt, model, parameters and provider ids; per image its hash."""
    jobs: dict[int, dict] = {}
    for output in outputs:
        job = output.job
        entry = jobs.get(job.pk)
        if entry is None:
            entry = jobs[job.pk] = {
                "job_id": job.pk,
                "prompt": job.prompt,
                "model": job.model,
                "parameters": job.parameters,
                "references": [
                    {"position": ref.position, "width": ref.width, "height": ref.height, "boxes": ref.boxes}
                    for ref in job.references.all()
                ],
                "region": job.region,
                "task_id": job.task_id,
                "request_id": job.request_id,
                "created_at": job.created_at.isoformat(),
                "created_by": job.owner.get_username(),
                "images": [],
            }
        entry["images"].append(
            {
                "file": image_filename(output),
                "index": output.index,
                "width": output.width,
                "height": output.height,
                "byte_size": output.byte_size,
                "sha256": output.sha256,
            }
        )
    body = {"generator": "Wan Studio", "jobs": list(jobs.values())}
    return json.dumps(body, indent=2, ensure_ascii=False).encode()


def entries_for(outputs: list[OutputImage]) -> list[Entry]:
    return [Entry(MANIFEST_NAME, data=manifest(outputs))] + [Entry(image_filename(o), output=o) for o in outputs]


def stream_zip(entries: Iterable[Entry], *, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The archive's bytes, a chunk at a time, as each file is read from storage.

    A stored file that has gone missing cannot stop a download half way (the headers are sent):
    it is left out and named in MISSING.txt at the end, so the archive stays whole and says so.
    """
    sink = _Sink()
    missing: list[str] = []
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for entry in entries:
            if entry.output is None:
                archive.writestr(_info(entry.name, len(entry.data)), entry.data)
            else:
                try:
                    source = entry.output.file.open("rb")
                    info = _info(entry.name, entry.output.file.size, entry.output.created_at)
                except FileNotFoundError:
                    missing.append(f"{entry.name}: the stored file {entry.output.file.name} is missing")
                    continue
                with source, archive.open(info, mode="w") as target:
                    while chunk := source.read(chunk_bytes):
                        target.write(chunk)
                        if data := sink.drain():
                            yield data
            if data := sink.drain():
                yield data
        if missing:
            note = "\n".join([_("These images could not be read from storage:"), *missing, ""]).encode()
            archive.writestr(_info(MISSING_NAME, len(note)), note)
    # Closing the archive wrote the central directory.
    if data := sink.drain():
        yield data


def _info(name: str, size: int, when=None) -> zipfile.ZipInfo:
    local = timezone.localtime(when or timezone.now())
    info = zipfile.ZipInfo(name, date_time=local.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    # A known size lets zipfile choose the header format up front (ZIP64 only when needed).
    info.file_size = size
    return info
