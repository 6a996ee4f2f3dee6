"""What a person may open: one get-or-404 per model, on top of the models' `visible_to(user)`.

Another team's job, image or reference is a 404, the same answer as for an unknown id: it must not
tell an outsider that the id exists. What a member's role lets them do is checked after, by the
service (a 403 for a teammate without the role).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from studio.pipeline.models import Job, JobReference, OutputImage


def job_for_user(user, job_id: int, *, in_gallery: bool = False, trash: bool = False, staff_sees_all: bool = False) -> Job:
    """A job of one of the user's teams, not in the trash (`trash=True`: only from the trash;
    `in_gallery=True`: only a succeeded one). `staff_sees_all`: staff open every team's job."""
    if staff_sees_all and user.is_staff:
        jobs = Job.objects.filter(deleted_at__isnull=not trash)
    else:
        jobs = Job.objects.visible_to(user, trash=trash)
    if in_gallery:
        jobs = jobs.in_gallery()
    return get_object_or_404(jobs.select_related("team", "owner"), pk=job_id)


def image_for_user(user, output_id: int) -> OutputImage:
    """A gallery image with its job, author and review, or 404 unless it is in one of the user's teams."""
    return get_object_or_404(
        OutputImage.objects.visible_to(user).select_related("job", "job__owner", "job__team", "review", "review__set_by"),
        pk=output_id,
    )


def reference_for_user(user, job_id: int, position: int) -> JobReference:
    return get_object_or_404(
        JobReference.objects.visible_to(user).select_related("job"), job_id=job_id, position=position
    )
