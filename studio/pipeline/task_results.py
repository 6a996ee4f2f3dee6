"""What the provider said about a task, written on its job: still running (poll again later),
succeeded (keep the result URLs and usage, ring the download), failed, canceled or forgotten.

Used by the poller (studio.pipeline.follow) and, for a synchronous answer, by the submit.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from studio.pipeline import dispatch, transitions
from studio.pipeline.downloads import url_expiry
from studio.pipeline.models import Job, JobStatus
from studio.wan import errors
from studio.wan.capabilities import RESULT_TTL_SECONDS
from studio.wan.polling import poll_interval
from studio.wan.responses import OutputItem, TaskResult, Usage

log = logging.getLogger(__name__)
S = JobStatus


def apply_task_result(job_id: int, status: str, task: TaskResult, *, ring_download: bool = True) -> bool:
    """Record what the provider said about a task. Returns True when the task has ended.

    A succeeded job's download is rung, unless the caller starts it itself (`ring_download=False`,
    the poller); either way dispatch.ring_due rings it again if nothing took it up in time.
    """
    now = timezone.now()
    state = task.task_status
    if not task.is_terminal:
        # PENDING, RUNNING, and SUSPENDED (the SDK's status set): still alive. When it is asked
        # about again is the poller's plan (studio.pipeline.follow), not a per-task timer.
        fields = {"provider_status": state, "next_attempt_at": now, "poll_count": F("poll_count") + 1}
        if state == "RUNNING" and status == S.SUBMITTED:
            transitions.move(job_id, S.SUBMITTED, S.RUNNING, **fields)
        else:
            transitions.update_if(job_id, status, **fields)
        return False
    common = {
        "provider_status": state,
        "poll_count": F("poll_count") + 1,
        "provider_submit_time": task.submit_time,
        "provider_end_time": task.end_time,
    }
    if state == "SUCCEEDED":
        moved = transitions.move_from_any(
            job_id,
            (S.SUBMITTED, S.RUNNING),
            S.DOWNLOADING,
            **output_fields(task.items, task.usage, task.request_id, ended=task.end_time or now),
            # The download is rung just below; ring_due only rings again if that message is lost.
            next_attempt_at=now + dispatch.RING_GAP,
            **common,
        )
        if moved and ring_download:
            dispatch.ring(dispatch.Doorbell.DOWNLOAD, job_id)
        return True
    if state == "FAILED":
        transitions.move_from_any(
            job_id,
            (S.SUBMITTED, S.RUNNING),
            S.FAILED,
            error_code=task.code or "TaskFailed",
            error_message=task.message or "The provider reported that the task failed.",
            **common,
        )
        return True
    if state == "CANCELED":
        transitions.move_from_any(job_id, (S.SUBMITTED, S.RUNNING), S.CANCELED, **common)
        return True
    # UNKNOWN: the provider no longer knows the task (older than 24 hours, or never existed).
    job = Job.objects.filter(pk=job_id).only("submitted_at").first()
    old = job and job.submitted_at and (now - job.submitted_at).total_seconds() >= RESULT_TTL_SECONDS
    transitions.move_from_any(
        job_id,
        (S.SUBMITTED, S.RUNNING),
        S.EXPIRED if old else S.FAILED,
        error_code="TaskUnknown",
        error_message="The provider no longer knows this task (task ids are kept for 24 hours).",
        **common,
    )
    return True


def output_fields(items: tuple[OutputItem, ...], usage: Usage | None, request_id: str | None, *, ended: datetime) -> dict:
    """What a finished task (or a synchronous answer) leaves on the job row: the result URLs to
    download, when they expire, the usage that is billed, and the text parts (interleaved text
    of wan2.6-image, the rewritten prompt of wan2.5, failed images of a partial success)."""
    urls = [item.image for item in items if item.type == "image" and item.image]
    return {
        "result_urls": urls,
        "result_expires_at": _expiry(urls, ended),
        "usage_image_count": usage.image_count if usage else None,
        "usage_size": (usage.size or "") if usage else "",
        "usage": _usage_dict(usage, request_id),
        "output_parts": _parts(items),
    }


def _parts(items: tuple[OutputItem, ...]) -> list[dict]:
    """The answer in order, images by their index: [{"text": ...}, {"image": 0, "actual_prompt": ...}]."""
    parts: list[dict] = []
    index = 0
    for item in items:
        if item.type == "image" and item.image:
            part: dict = {"image": index}
            if item.actual_prompt:
                part["actual_prompt"] = item.actual_prompt
            parts.append(part)
            index += 1
        elif item.type == "text" and item.text:
            parts.append({"text": item.text})
        elif item.code or item.message:
            parts.append({"failed": item.code or "", "message": item.message or ""})
    return parts


def _expiry(urls: list[str], ended: datetime) -> datetime:
    known = [s for s in (url_expiry(url) for url in urls) if s is not None]
    if known:
        return datetime.fromtimestamp(min(known), tz=UTC)
    return ended + timedelta(seconds=RESULT_TTL_SECONDS)


def _usage_dict(u: Usage | None, request_id: str | None) -> dict:
    if u is None:
        return {}
    return {
        "image_count": u.image_count,
        "size": u.size,
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "request_id": request_id,
    }


def query_failed(job_id: int, status: str, exc: errors.WanError, api_key_id: str) -> None:
    delay = 5.0 if isinstance(exc, errors.RateLimitError) else poll_interval(30)
    if isinstance(exc, errors.AuthenticationError):
        delay = float(settings.WAN_PAUSE_SECONDS)
    log.warning("task query for job %s failed: %s", job_id, type(exc).__name__)
    transitions.update_if(job_id, status, next_attempt_at=timezone.now() + timedelta(seconds=delay))
