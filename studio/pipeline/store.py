"""Storing a succeeded task's images permanently, each exactly once.

A download task holds the job's lease while it works; every image that lands becomes an
OutputImage row whose (job, index) is unique, so a second worker finishing the same image
loses the race at the database. Files have fixed names (outputs/<job>/<index>.png) that storage
overwrites, so a store killed half-way leaves a file its retry replaces, never a second one;
`gallery verify` lists (and can remove) any file that no row names. Transient failures are retried with
backoff until the result URL expires; only then is an image given up.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image

from studio.pipeline import transitions
from studio.pipeline.backoff import backoff
from studio.pipeline.downloads import DownloadError, Downloaded, download_image, new_download_client
from studio.pipeline.explain import FEWER_URLS, LOST_IMAGE, NONE_SAVED, NOTE_JOINER, PARTIAL
from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.wan.capabilities import parse_size

log = logging.getLogger(__name__)
S = JobStatus


class DownloadOutcome(StrEnum):
    BUSY = "busy"  # another worker holds the job's lease
    RETRY = "retry"  # a transient failure: tried again after a backoff
    SUCCEEDED = "succeeded"
    EXPIRED = "expired"  # no image saved, because the result links had expired
    FAILED = "failed"  # no image saved, for another reason


@dataclass(frozen=True)
class _Lost:
    """An image given up: why, and whether only because its link had expired."""

    note: str
    expired: bool


def take_lease(job_id: int) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return (
        Job.objects.filter(free, pk=job_id, status=S.DOWNLOADING).update(
            lease_until=now + timedelta(seconds=settings.WAN_LEASE_SECONDS),
            download_attempts=F("download_attempts") + 1,
        )
        == 1
    )


def job_download(*, job_id: int) -> DownloadOutcome:
    """Download every image of a job not yet stored; finish the job when nothing is left."""
    if not take_lease(job_id):
        return DownloadOutcome.BUSY
    job = Job.objects.get(pk=job_id)
    stored = set(job.outputs.values_list("index", flat=True))
    expected = parse_size(job.usage_size) if job.usage_size else None
    lost: list[_Lost] = []
    with new_download_client() as client:
        for index, url in enumerate(job.result_urls):
            if index in stored:
                continue
            try:
                got = download_image(
                    client,
                    url,
                    allowed_hosts=settings.WAN_RESULT_HOSTS,
                    max_bytes=settings.WAN_RESULT_MAX_BYTES,
                    expected_size=expected,
                )
            except DownloadError as exc:
                if exc.permanent:
                    lost.append(_Lost(LOST_IMAGE % {"number": index + 1, "reason": exc.message}, expired=exc.expired))
                    continue
                _retry_later(job, exc)
                return DownloadOutcome.RETRY
            with got.file:
                _store(job, index, url, got)
    return _finish(job, lost)


def _store(job: Job, index: int, url: str, got: Downloaded) -> None:
    output = OutputImage(
        job=job,
        index=index,
        width=got.width,
        height=got.height,
        byte_size=got.byte_size,
        sha256=got.sha256,
        source_url=url,
    )
    output.file.save(f"{index}.png", File(got.file), save=False)
    got.file.seek(0)
    output.thumbnail.save(f"{index}.webp", ContentFile(make_thumbnail(got.file)), save=False)
    try:
        with transaction.atomic():
            output.save()
    except IntegrityError:
        # Another worker stored this image first. Each image has one fixed name and storage
        # overwrites (settings.STORAGES), so its row names the file we just rewrote with the same
        # bytes: only a copy under another name (a store from before fixed names) is ours to drop.
        winner = OutputImage.objects.get(job=job, index=index)
        if winner.file.name != output.file.name:
            output.file.delete(save=False)
        if winner.thumbnail.name != output.thumbnail.name:
            output.thumbnail.delete(save=False)


def make_thumbnail(file) -> bytes:
    side = settings.WAN_THUMBNAIL_SIDE
    with Image.open(file) as image:
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "WEBP", quality=80, method=4)
    return buffer.getvalue()


def _retry_later(job: Job, exc: DownloadError) -> None:
    log.info("job %s: download will be retried: %s", job.pk, exc.message)
    transitions.update_if(
        job.pk,
        S.DOWNLOADING,
        lease_until=None,
        next_attempt_at=timezone.now() + backoff(job.download_attempts + 1, base=1.0, cap=60.0),
        error_message=f"Download will be retried: {exc.message}",
    )


def _finish(job: Job, lost: list[_Lost]) -> DownloadOutcome:
    count = job.outputs.count()
    reported = job.usage_image_count
    notes = [image.note for image in lost]
    if reported is not None and reported > len(job.result_urls):
        notes.append(FEWER_URLS % {"reported": reported, "urls": len(job.result_urls)})
    if count == 0 and job.result_urls:
        expired = all(image.expired for image in lost)
        transitions.move(
            job.pk,
            S.DOWNLOADING,
            S.EXPIRED if expired else S.FAILED,
            images_stored=0,
            error_code="ResultExpired" if expired else "DownloadFailed",
            error_message=NONE_SAVED % {"notes": NOTE_JOINER.join(notes)},
        )
        return DownloadOutcome.EXPIRED if expired else DownloadOutcome.FAILED
    requested = job.requested_n
    if not job.sequential and requested is not None and count < requested:
        notes.insert(0, PARTIAL % {"count": count, "requested": requested})
    # Billing and the webhook event: the job's one ledger charge and its job.succeeded event commit
    # with its success, or none does (transitions.move → studio.pipeline.job_ended).
    transitions.move(
        job.pk,
        S.DOWNLOADING,
        S.SUCCEEDED,
        images_stored=count,
        error_code="Partial" if notes else "",
        error_message=NOTE_JOINER.join(notes),
    )
    return DownloadOutcome.SUCCEEDED
