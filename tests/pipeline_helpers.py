"""Helpers for pipeline tests: jobs made through the real service, with real images."""

from __future__ import annotations

from studio.pipeline.jobs import ReferenceImage, job_create
from studio.wan.request import GenerationRequest, ImageInput, PaletteColor
from tests.images import png_bytes


def png_reference(width: int = 480, height: int = 320, colour: str = "#2a6f97", boxes=()) -> ReferenceImage:
    return ReferenceImage(content=png_bytes(width, height, colour), mime="image/png", width=width, height=height, boxes=tuple(boxes))


def sent(references) -> dict:
    """The request fields that send `references` (a job records exactly what it sends)."""
    images = tuple(ImageInput(data=r.content, mime=r.mime, width=r.width, height=r.height) for r in references)
    masked = [r for r in references if r.mask is not None]
    mask = ImageInput(data=masked[0].mask, mime="image/png", width=masked[0].width, height=masked[0].height) if masked else None
    return {"images": images, "mask": mask}


def make_job(owner, prompt: str = "A lighthouse at dawn", *, references=(), model: str = "wan2.7-image", **params):
    params.setdefault("size", "1K")
    params.setdefault("n", 1)
    palette = params.pop("color_palette", ())
    for name, value in sent(references).items():
        params.setdefault(name, value)
    request = GenerationRequest(
        model=model,
        prompt=prompt,
        color_palette=tuple(PaletteColor(hex=h, hundredths=r) for h, r in palette),
        **params,
    )
    return job_create(owner=owner, request=request, references=references, team=owner.teams.order_by("pk").first())


def new_job(owner, capture_on_commit, **kwargs):
    """A job made without ringing its doorbell, for tests that drive each step themselves.
    `capture_on_commit` is pytest-django's django_capture_on_commit_callbacks."""
    with capture_on_commit(execute=False):
        return make_job(owner, **kwargs)


def poll(job, wan):
    """Ask the provider about one job, as the poller would, and return it refreshed."""
    from studio.pipeline import follow

    job.refresh_from_db()
    follow.apply_task_result(job.pk, job.status, wan.get_task(job.task_id))
    job.refresh_from_db()
    return job
