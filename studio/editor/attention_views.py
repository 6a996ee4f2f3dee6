"""Jobs that need a person ("needs attention"): the list, one job's decision page, and the three
decisions (adopt a candidate task, send again, give up). See studio.pipeline.attention.

Another team's job is a 404, as everywhere; a teammate who is not an admin sees the page but
cannot decide (403); staff see and decide for every team.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from studio.accounts import teams
from studio.accounts.access import job_for_user
from studio.pipeline import attention
from studio.pipeline.models import Job, JobStatus

S = JobStatus
NOTE_REQUIRED = gettext_lazy("“Why” is required: say why you decide this (the note is kept with the job).")
CHOOSE_A_TASK = gettext_lazy("Choose one of the candidate tasks to adopt.")


def _job_for_user(request: HttpRequest, job_id: int) -> Job:
    # Staff decide for every team; everyone else sees their own teams' jobs only.
    return job_for_user(request.user, job_id, staff_sees_all=True)


def parked_jobs(request: HttpRequest) -> QuerySet[Job]:
    """The jobs the list shows: the active team's (staff: every team's) waiting for a person."""
    jobs = Job.objects.filter(status=S.UNKNOWN_OUTCOME, deleted_at__isnull=True)
    if request.user.is_staff:
        return jobs
    team = teams.active_team(request)
    return jobs.filter(team=team) if team is not None else jobs.none()


def attention_count(request: HttpRequest) -> int:
    """For the navigation: how many jobs wait for this person's decision (one COUNT query, and
    none at all for people who cannot decide)."""
    if not request.user.is_staff and not teams.can_administer(teams.active_membership(request)):
        return 0
    return parked_jobs(request).count()


@require_GET
def attention_list(request: HttpRequest) -> HttpResponse:
    jobs = parked_jobs(request).select_related("team", "owner").order_by("submitting_at", "pk")
    return render(request, "editor/attention.html", {"jobs": jobs, "all_teams": request.user.is_staff})


def _page(request: HttpRequest, job: Job, *, status: int = 200, **extra: object) -> HttpResponse:
    parked = job.status == S.UNKNOWN_OUTCOME
    context = {
        "job": job,
        "parked": parked,
        "can_decide": parked and attention.can_decide(request.user, job),
        # Read live from the provider (the parked list when it cannot be read).
        "candidates": attention.job_candidates(job=job) if parked else [],
        "events": job.events.select_related("by"),
        **extra,
    }
    return render(request, "editor/job_attention.html", context, status=status)


@require_GET
def job_attention(request: HttpRequest, job_id: int) -> HttpResponse:
    return _page(request, _job_for_user(request, job_id))


def _decide(
    request: HttpRequest, job_id: int, decision: Callable[[Job, str], object], done: object, *, needs_task: bool = False
) -> HttpResponse:
    job = _job_for_user(request, job_id)
    if not attention.can_decide(request.user, job):
        raise PermissionDenied(gettext("Only a team admin (or staff) decides what happens to this job."))
    note = request.POST.get("note", "")
    # Re-rendered on a refusal, so nothing the person typed or chose is lost.
    kept = {"note": note, "chosen": request.POST.get("task_id", "").strip()}
    if needs_task and not kept["chosen"]:
        return _page(request, job, status=400, problem=CHOOSE_A_TASK, task_problem=True, **kept)
    if not note.strip():
        return _page(request, job, status=400, problem=NOTE_REQUIRED, note_problem=True, **kept)
    try:
        decision(job, note)
    except attention.CannotDecide as exc:
        job.refresh_from_db()
        # 409: the job moved on meanwhile; 400: this decision does not fit the job as it is.
        return _page(request, job, status=409 if exc.conflict else 400, problem=str(exc), **kept)
    messages.success(request, str(done) % {"id": job.pk, "task": job.task_id})
    return redirect("editor:job_attention", job.pk)


@require_POST
def job_adopt_view(request: HttpRequest, job_id: int) -> HttpResponse:
    task_id = request.POST.get("task_id", "").strip()
    return _decide(
        request,
        job_id,
        lambda job, note: attention.job_adopt_task(job=job, task_id=task_id, by=request.user, note=note),
        gettext_lazy("Job %(id)s now follows provider task %(task)s: its images will be stored and charged to it."),
        needs_task=True,
    )


@require_POST
def job_send_again_view(request: HttpRequest, job_id: int) -> HttpResponse:
    return _decide(
        request,
        job_id,
        lambda job, note: attention.job_send_again(job=job, by=request.user, note=note),
        gettext_lazy("Job %(id)s is queued to be sent again."),
    )


@require_POST
def job_give_up_view(request: HttpRequest, job_id: int) -> HttpResponse:
    return _decide(
        request,
        job_id,
        lambda job, note: attention.job_give_up(job=job, by=request.user, note=note),
        gettext_lazy("Job %(id)s was given up: nothing more is sent or charged for it."),
    )
