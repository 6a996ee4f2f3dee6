"""Creating, canceling and describing jobs (services: `job_<action>(*, ...)`)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from studio.pipeline import budgets, dispatch, provider, transitions
from studio.pipeline.gate import (
    ReferenceImage,
    RequestRefused,
    request_check,
    request_with_references,
)
from studio.pipeline.models import Job, JobReference, JobStatus
from studio.wan.capabilities import BY_NAME
from studio.wan.request import (
    OPTIONS,
    GenerationRequest,
    ImageInput,
    PaletteColor,
    build_body,
)

__all__ = ["EXTENSIONS", "ReferenceImage", "RequestRefused", "job_cancel", "job_create", "request_for_job"]

# The file extension a stored image gets from its MIME type (the editor and the jobs share it).
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/bmp": "bmp"}


# Request options kept in Job.parameters as they are (the palette and images are stored apart).
STORED_OPTIONS = OPTIONS


def job_create(
    *,
    owner,
    request: GenerationRequest,
    references: Sequence[ReferenceImage] = (),
    team=None,
    batch=None,
) -> Job:
    """Check a request, save it as a job with its references and queue it; one commit for the
    row and its doorbell.

    This is the one gate: a request the rules refuse raises RequestRefused with every problem,
    and nothing is saved. The references carry the images, their boxes and the mask; a request
    that names images itself must name exactly the references' (a caller's mistake otherwise:
    ValueError). An image edit body carries image 1 only, so more references are refused.
    """
    mask = request.mask.data if request.mask is not None else None
    if request.images and (
        len(references) != len(request.images)
        or any(
            (ref.content, ref.width, ref.height, ref.mask) != (image.data, image.width, image.height, mask if i == 0 else None)
            for i, (ref, image) in enumerate(zip(references, request.images))
        )
    ):
        raise ValueError(
            f"a job records the images it sends: {len(references)} references given for the "
            f"{len(request.images)} image(s) of the {request.model} request"
        )
    request = request_with_references(request, references)
    request_check(request)
    with transaction.atomic():
        job = Job.objects.create(
            owner=owner,
            team=team,
            batch=batch,
            model=request.model,
            prompt=request.prompt,
            parameters=stored_parameters(request),
            region=provider.region(),
            api_key_id=provider.api_key_id(),
            next_attempt_at=timezone.now() + dispatch.RING_GAP,
        )
        # Billing: refuse a job its team's monthly budget cannot cover (BudgetExceeded rolls this
        # transaction back); the team's budget row stays locked until this commit.
        budgets.job_reserve(job=job)
        for position, ref in enumerate(references):
            reference = JobReference(
                job=job,
                position=position,
                mime=ref.mime,
                width=ref.width,
                height=ref.height,
                boxes=[list(box) for box in ref.boxes],
                source_image_id=ref.source_image_id,
            )
            reference.file.save(f"{position}.{EXTENSIONS.get(ref.mime, 'bin')}", ContentFile(ref.content), save=False)
            if ref.mask is not None:
                reference.mask.save(f"{position}-mask.png", ContentFile(ref.mask), save=False)
            reference.save()
        # The row and its doorbell commit together; if the message is lost, ring_due rings again.
        dispatch.ring(dispatch.Doorbell.SUBMIT, job.id)
    return job


def stored_parameters(request: GenerationRequest) -> dict:
    """What Job.parameters holds for a request: its options that are set, and the palette."""
    parameters = {name: getattr(request, name) for name in STORED_OPTIONS}
    parameters["color_palette"] = [{"hex": c.hex, "hundredths": c.hundredths} for c in request.color_palette]
    return {k: v for k, v in parameters.items() if v is not None and v != []}


def request_for_job(job: Job) -> GenerationRequest:
    """The exact request a job sends: its references read back from storage, in order."""
    images: list[ImageInput] = []
    boxes: list[tuple[tuple[int, int, int, int], ...]] = []
    mask = None
    for ref in job.references.order_by("position"):
        with ref.file.open("rb") as handle:
            data = handle.read()
        images.append(ImageInput(data=data, mime=ref.mime, width=ref.width, height=ref.height))
        boxes.append(tuple(tuple(box) for box in ref.boxes))
        if ref.mask:
            with ref.mask.open("rb") as handle:
                mask = ImageInput(data=handle.read(), mime="image/png", width=ref.width, height=ref.height)
    p = job.parameters
    # A switch sent only when on was stored only when on.
    options = {name: bool(p.get(name)) if BY_NAME[name].only_when_on else p.get(name) for name in STORED_OPTIONS}
    return GenerationRequest(
        model=job.model,
        prompt=job.prompt,
        images=tuple(images),
        boxes=tuple(boxes) if any(boxes) else (),
        color_palette=tuple(PaletteColor(hex=c["hex"], hundredths=c["hundredths"]) for c in p.get("color_palette", [])),
        mask=mask,
        **options,
    )


def body_for_job(job: Job) -> dict:
    return build_body(request_for_job(job))


class CannotCancel(Exception):
    pass


def job_cancel(*, job: Job) -> Job:
    """Cancel a queued job locally, or a PENDING task at the provider.

    A RUNNING task cannot be canceled (reference: 002 and the SDK — only PENDING tasks).
    """
    from studio.wan.errors import WanError

    if transitions.move(job.pk, JobStatus.QUEUED, JobStatus.CANCELED, error_message=gettext_noop("Canceled before it was sent.")):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    if job.status != JobStatus.SUBMITTED or not job.task_id:
        raise CannotCancel(_why_not(job))
    try:
        with provider.make_client() as client:
            client.cancel_task(job.task_id)
    except WanError as exc:
        raise CannotCancel(gettext("The provider refused to cancel: %(reason)s") % {"reason": exc.message}) from exc
    transitions.move_from_any(
        job.pk,
        (JobStatus.SUBMITTED, JobStatus.RUNNING),
        JobStatus.CANCELED,
        provider_status="CANCELED",
        error_message=gettext_noop("Canceled while pending at the provider."),
    )
    job.refresh_from_db()
    return job


def _why_not(job: Job) -> str:
    if job.status == JobStatus.RUNNING:
        return gettext("The provider is already generating this job; a running task cannot be canceled.")
    if job.status == JobStatus.SUBMITTING:
        return gettext("The job is being sent to the provider right now; try again in a moment.")
    return gettext("A job that is %(status)s cannot be canceled.") % {"status": job.get_status_display().lower()}
