"""Helpers for gallery tests: succeeded jobs with real stored images, made without the network.

The job is created through the real service (`job_create`, so its parameters and references are
exactly what the editor would store), then moved to "succeeded" as the pipeline would leave it:
timestamps, provider ids, usage, and one OutputImage per image with a PNG and a WebP thumbnail
saved through Django's storage.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.pipeline.store import make_thumbnail
from studio.wan.request import GenerationRequest, PaletteColor
from studio.pipeline.jobs import job_create
from tests import images
from tests.pipeline_helpers import sent

# Small on purpose: tests store many of them and only the bytes' identity matters.
IMAGE_SIZE = (96, 64)
COLOURS = ("#2a6f97", "#f4a261", "#e76f51", "#2a9d8f", "#264653", "#e9c46a", "#8ab17d", "#9b5de5")


def png_bytes(colour: str, size: tuple[int, int] = IMAGE_SIZE) -> bytes:
    return images.png_bytes(*size, colour)


def finished_job(
    owner,
    *,
    prompt: str = "A lighthouse at dawn",
    n: int = 2,
    model: str = "wan2.7-image",
    sequential: bool = False,
    references=(),
    palette=(),
    created_at: datetime | None = None,
    team=None,
    region: str = "singapore",
    image_size: tuple[int, int] = IMAGE_SIZE,
    **params,
) -> Job:
    """A succeeded job of `owner` (in `team`, else their first team) with `n` stored images.

    `references` are `tests.pipeline_helpers.png_reference(...)` values; `palette` is
    [(hex, hundredths)]; `image_size` is the stored images' (width, height); extra keyword
    arguments are request parameters (seed, watermark...).
    """
    params.setdefault("size", "1K")
    for name, value in sent(references).items():
        params.setdefault(name, value)
    request = GenerationRequest(
        model=model,
        prompt=prompt,
        color_palette=tuple(PaletteColor(hex=h, hundredths=r) for h, r in palette),
        n=n,
        enable_sequential=sequential,
        **params,
    )
    team = team or owner.teams.order_by("pk").first()
    job = job_create(owner=owner, request=request, references=references, team=team)
    created = created_at or timezone.now()
    width, height = image_size
    for index in range(n):
        data = png_bytes(COLOURS[(job.pk + index) % len(COLOURS)], image_size)
        output = OutputImage(
            job=job,
            index=index,
            width=width,
            height=height,
            byte_size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            source_url=f"https://dashscope-result.example/{job.pk}/{index}.png",
        )
        output.file.save(f"{index}.png", ContentFile(data), save=False)
        output.thumbnail.save(f"{index}.webp", ContentFile(make_thumbnail(io.BytesIO(data))), save=False)
        output.save()
    # auto_now_add fields ignore values given at creation, so the clock is set afterwards.
    job.outputs.update(created_at=created + timedelta(seconds=40))
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.SUCCEEDED,
        region=region,
        created_at=created,
        status_changed_at=created + timedelta(seconds=40),
        submitting_at=created + timedelta(seconds=1),
        submitted_at=created + timedelta(seconds=2),
        running_at=created + timedelta(seconds=5),
        downloading_at=created + timedelta(seconds=35),
        finished_at=created + timedelta(seconds=40),
        task_id=f"task-{uuid.uuid4()}",
        request_id=f"req-{uuid.uuid4()}",
        provider_status="SUCCEEDED",
        usage_image_count=n,
        usage_size=f"{width}*{height}",
        usage={"image_count": n, "size": f"{width}*{height}"},
        images_stored=n,
        next_attempt_at=None,
    )
    job.refresh_from_db()
    return job
