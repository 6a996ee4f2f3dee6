"""The JSON (and OSS XML) the emulator answers with, shaped as the reference shows them.

Pure functions from the emulator's records to payloads; the HTTP handler only sends them.
Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Response parameters" of the synchronous
call, of "Step 1: Create a task" and of "Step 2: Query the result by task ID".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

from studio.wan.capabilities import MODELS, BodyShape
from studio.wan_emulator.faults import TASK_FAILED_ERROR, ErrorAnswer
from studio.wan_emulator.state import Generation, Task

API_PREFIX = "/api/v1"
SYNC_PATHS = frozenset(caps.sync_path for caps in MODELS.values() if caps.sync_path)
ASYNC_PATHS = frozenset(caps.async_path for caps in MODELS.values() if caps.async_path)
TASK_PATH = re.compile(r"/tasks/(?P<task_id>[^/]+)(?P<cancel>/cancel)?")
RESULT_PATH = re.compile(r"/results/(?P<token>[A-Za-z0-9_-]+)\.png")

# Reference: 002, submit_time — "Time is in UTC+8. Format: YYYY-MM-DD HH:mm:ss.SSS."
PROVIDER_TZ = timezone(timedelta(hours=8))


def provider_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, PROVIDER_TZ)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def error_json(answer: ErrorAnswer, request_id: str) -> dict[str, object]:
    # Reference: 002, "Error response" — {"code", "message", "request_id"}.
    return {"request_id": request_id, "code": answer.code, "message": answer.message}


def _shape(generation: Generation) -> BodyShape:
    caps = MODELS.get(generation.model)
    return caps.body_shape if caps else BodyShape.MESSAGES


def usage_json(generation: Generation) -> dict[str, object]:
    count = generation.spec.count
    caps = MODELS.get(generation.model)
    if caps is not None and caps.family == "qwen-image":
        # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api — Qwen
        # answers usage as width, height and image_count, without a size string or tokens.
        return {"width": generation.spec.width, "height": generation.spec.height, "image_count": count}
    if _shape(generation) is not BodyShape.MESSAGES:
        # Reference: 003 and 001 — the image-synthesis endpoints report only image_count.
        return {"image_count": count}
    # Reference: 002, usage — image_count, size "W*H" and token figures (not billed). The
    # reference's examples give 2 output tokens for one image and 11 for four: 3n - 1.
    output_tokens = 3 * count - 1
    return {
        "image_count": count,
        "size": f"{generation.spec.width}*{generation.spec.height}",
        "input_tokens": generation.input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": generation.input_tokens + output_tokens,
    }


def choices_json(urls: Sequence[str], texts: Sequence[str] = ()) -> list[dict[str, object]]:
    content: list[dict[str, object]] = []
    for i, url in enumerate(urls):
        # Reference: 004 — interleaved {type: "text"} and {type: "image"} items.
        if i < len(texts):
            content.append({"type": "text", "text": texts[i]})
        content.append({"image": url, "type": "image"})
    return [{"finish_reason": "stop", "message": {"role": "assistant", "content": content}}]


def results_json(generation: Generation, urls: Sequence[str]) -> dict[str, object]:
    """output.results[] and task_metrics (references 003 and 001), failures included."""
    results: list[dict[str, object]] = []
    for url in urls:
        result: dict[str, object] = {"url": url}
        if _shape(generation) is BodyShape.PROMPT:
            result["orig_prompt"] = generation.prompt
            if generation.actual_prompt:
                result["actual_prompt"] = generation.actual_prompt
        results.append(result)
    asked = max(generation.asked, len(urls))
    failed = asked - len(urls)
    # Reference: 003, "Task partially failed" — the failed images carry a code and message.
    results.extend({"code": "InternalError.Algo", "message": "Image generation failed."} for _ in range(failed))
    return {"results": results, "task_metrics": {"TOTAL": asked, "SUCCEEDED": len(urls), "FAILED": failed}}


def output_json(generation: Generation, urls: Sequence[str]) -> dict[str, object]:
    if _shape(generation) is BodyShape.MESSAGES:
        return {"choices": choices_json(urls, generation.texts)}
    return results_json(generation, urls)


def sync_json(generation: Generation, urls: Sequence[str], request_id: str) -> dict[str, object]:
    # Reference: 002, synchronous call, "Task executed successfully".
    return {
        "output": {**output_json(generation, urls), "finished": True},
        "usage": usage_json(generation),
        "request_id": request_id,
    }


def submitted_json(task: Task, request_id: str) -> dict[str, object]:
    # Reference: 002, Step 1, "Successful response".
    return {"output": {"task_status": "PENDING", "task_id": task.task_id}, "request_id": request_id}


def unknown_task_json(task_id: str, request_id: str) -> dict[str, object]:
    # Reference: 002, task_status — "UNKNOWN: Task does not exist or status is unknown".
    return {"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}}


def canceled_json(task_id: str, request_id: str) -> dict[str, object]:
    # Reference: 002, Python SDK cancel example — reads response.output.task_status.
    return {"request_id": request_id, "output": {"task_id": task_id, "task_status": "CANCELED"}}


def task_json(
    task: Task, generation: Generation, urls: Sequence[str], *, now: float, request_id: str
) -> dict[str, object]:
    """A task as GET /tasks/{id} shows it at `now` (reference: 002, Step 2)."""
    status = task.status(now)
    output: dict[str, object] = {"task_id": task.task_id, "task_status": status}
    output["submit_time"] = provider_time(task.submitted_at)
    # Only PENDING tasks can be canceled, so a CANCELED task was never scheduled.
    if status in ("RUNNING", "SUCCEEDED", "FAILED"):
        output["scheduled_time"] = provider_time(task.scheduled_at)
    finished = status in ("SUCCEEDED", "FAILED", "CANCELED")
    if finished:
        output["end_time"] = provider_time(task.ended_at)
    output["finished"] = finished
    payload: dict[str, object] = {"request_id": request_id, "output": output}
    if status == "SUCCEEDED":
        output.update(output_json(generation, urls))
        payload["usage"] = usage_json(generation)
    elif status == "FAILED":
        # A FAILED task carries its code and message inside output.
        output["code"] = TASK_FAILED_ERROR.code
        output["message"] = TASK_FAILED_ERROR.message
    return payload


def oss_error_xml(code: str, message: str, *, request_id: str, host: str) -> bytes:
    """The body Alibaba Cloud OSS answers a refused signed URL with."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n'
        f"  <Code>{escape(code)}</Code>\n  <Message>{escape(message)}</Message>\n"
        f"  <RequestId>{escape(request_id)}</RequestId>\n  <HostId>{escape(host)}</HostId>\n"
        "</Error>\n"
    ).encode()
