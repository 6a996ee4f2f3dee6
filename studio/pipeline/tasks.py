"""django-q2 tasks: thin doorbells. Each takes a job id (or nothing) and calls one service.

`@answers` ties each to the doorbell the services ring (studio.pipeline.dispatch).
"""

from __future__ import annotations

from studio.pipeline import follow, provider, recovery, schedule, store, submit
from studio.pipeline.dispatch import Doorbell, answers
from studio.pipeline.follower import ensure_follower


@answers(Doorbell.SUBMIT)
def submit_job(job_id: int) -> str:
    outcome = submit.job_submit_lane(job_id=job_id)
    if outcome == submit.SubmitOutcome.SUBMITTED:
        ensure_follower()
    # The queue stores a task's result: a plain string reads back whatever the code becomes.
    return outcome.value


@answers(Doorbell.DOWNLOAD)
def download_job(job_id: int) -> str:
    return store.job_download(job_id=job_id).value


@answers(Doorbell.FOLLOW)
def follow_provider() -> dict:
    report = follow.follow_jobs()
    if report.ran and follow_has_more():
        # Hand over to a fresh run so one worker never holds a task past the queue's timeout.
        ensure_follower()
    return {"ran": report.ran, "queries": report.queries, "finished": report.finished}


def follow_has_more() -> bool:
    return follow.has_work(provider.api_key_id())


@answers(Doorbell.SWEEP)
def sweep() -> dict:
    """The periodic recovery sweep (a django-q2 schedule, every minute, catch_up off)."""
    schedule.ensure_sweep_schedule()
    result = recovery.sweep()
    if follow_has_more():
        ensure_follower()
    return result
