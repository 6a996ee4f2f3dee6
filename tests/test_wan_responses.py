"""Provider answers parsed at the edge: both shapes of usage, and the whole task status set."""

from __future__ import annotations

import pytest

from studio.pipeline import follow
from studio.pipeline.models import JobStatus
from studio.wan.capabilities import TASK_STATUSES, TERMINAL_TASK_STATUSES
from studio.wan.errors import MalformedResponse
from studio.wan.responses import parse_generation, parse_task
from tests.pipeline_helpers import make_job


def answer(usage: dict) -> dict:
    content = [{"type": "image", "image": "https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/1.png"}]
    return {"output": {"choices": [{"message": {"role": "assistant", "content": content}}]}, "usage": usage, "request_id": "r"}


def test_wan_usage_gives_the_size_as_one_string() -> None:
    # Reference: 002, usage — image_count, size "W*H" and token figures.
    usage = parse_generation(answer({"image_count": 1, "size": "1488*704", "input_tokens": 10, "output_tokens": 2})).usage
    assert (usage.image_count, usage.size, usage.width, usage.height, usage.output_tokens) == (1, "1488*704", 1488, 704, 2)


def test_qwen_usage_gives_width_and_height_apart() -> None:
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api — usage is
    # {"width", "height", "image_count"}, no size string and no tokens.
    usage = parse_generation(answer({"width": 1664, "height": 928, "image_count": 1})).usage
    assert (usage.image_count, usage.width, usage.height, usage.size) == (1, 1664, 928, "1664*928")
    assert usage.input_tokens is None


def task(status: str) -> dict:
    return {"request_id": "r", "output": {"task_id": "t-1", "task_status": status, "submit_time": "2026-03-26 17:16:01.663"}}


def test_suspended_is_a_known_status_and_not_terminal() -> None:
    # Reference: the official SDK (dashscope 2.x): dashscope/common/constants.py TaskStatus has
    # SUSPENDED; dashscope/client/base_api.py wait() ends only on SUCCEEDED, FAILED, CANCELED, UNKNOWN.
    assert "SUSPENDED" in TASK_STATUSES and "SUSPENDED" not in TERMINAL_TASK_STATUSES
    result = parse_task(task("SUSPENDED"))
    assert (result.task_status, result.is_terminal) == ("SUSPENDED", False)


def test_a_status_nobody_documents_is_still_malformed() -> None:
    with pytest.raises(MalformedResponse):
        parse_task(task("PAUSED"))


@pytest.mark.django_db
def test_the_poller_keeps_polling_a_suspended_task(alice, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = make_job(alice)
    job.status, job.task_id = JobStatus.SUBMITTED, "t-1"
    job.save(update_fields=["status", "task_id"])

    ended = follow.apply_task_result(job.pk, job.status, parse_task(task("SUSPENDED")))

    job.refresh_from_db()
    assert ended is False
    assert (job.status, job.provider_status, job.poll_count) == (JobStatus.SUBMITTED, "SUSPENDED", 1)
    assert job.next_attempt_at is not None
