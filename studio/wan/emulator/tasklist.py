"""GET /tasks: the caller's tasks, filtered and paged, as DashScope's task-management API has them.

The studio reads this list to find the task of a submission whose answer was lost (the `drop`
fault, or a crash while `submit_latency_seconds` holds the answer back).

Not in the seed documents: the query parameters and the answer's shape are those of DashScope's
task-management API (the one the official SDK's `list` calls), as studio.wan.responses
`parse_task_list` reads them:

  GET /api/v1/tasks?start_time=YYYYMMDDhhmmss&end_time=YYYYMMDDhhmmss&model_name=&status=
                    &page_no=1&page_size=10
  {"request_id", "data": [{task_id, status, model_name, gmt_create, start_time, end_time,
   request_id, region, user_api_unique_key}], "total", "total_page", "page_no", "page_size"}

Times in the query are UTC+8 wall-clock seconds; times in the rows are milliseconds since the epoch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from studio.wan.capabilities import MODELS, TASK_STATUSES
from studio.wan.emulator.intake import invalid
from studio.wan.emulator.protocol import ASYNC_PATHS, PROVIDER_TZ
from studio.wan.emulator.state import Task

LIST_PATH = "/tasks"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
REGION = "emulator"

_TIME = re.compile(r"[0-9]{14}")
_WHOLE = re.compile(r"[0-9]{1,9}")
_TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class ListQuery:
    # Unix seconds: tasks created at or after `start`, and before `end` (exclusive).
    start: float | None
    end: float | None
    model: str | None
    status: str | None
    page_no: int
    page_size: int

    def matches(self, task: Task, *, now: float) -> bool:
        if self.start is not None and task.submitted_at < self.start:
            return False
        if self.end is not None and task.submitted_at >= self.end:
            return False
        if self.model is not None and task.model != self.model:
            return False
        return self.status is None or task.status(now) == self.status


def parse_list_query(query: dict[str, list[str]]) -> ListQuery:
    """The query string's filters; Refused (400 InvalidParameter) names a bad parameter."""
    start = _time(query, "start_time")
    end = _time(query, "end_time")
    if start is not None and end is not None and start > end:
        raise invalid("start_time must not be later than end_time")
    status = _text(query, "status")
    if status is not None and status not in TASK_STATUSES:
        raise invalid(f"status must be one of {', '.join(TASK_STATUSES)}")
    return ListQuery(
        start=start,
        # The end second is included whole: the client writes times truncated to seconds.
        end=None if end is None else end + 1,
        model=_text(query, "model_name"),
        status=status,
        page_no=_positive(query, "page_no", default=1, most=None),
        page_size=_positive(query, "page_size", default=DEFAULT_PAGE_SIZE, most=MAX_PAGE_SIZE),
    )


def task_list_json(
    tasks: Sequence[Task], query: ListQuery, *, now: float, request_id: str
) -> dict[str, object]:
    """One page of the tasks that match, from tasks already sorted newest first."""
    matching = [task for task in tasks if query.matches(task, now=now)]
    first = (query.page_no - 1) * query.page_size
    page = matching[first : first + query.page_size]
    return {
        "request_id": request_id,
        "data": [listed_task_json(task, now=now) for task in page],
        "total": len(matching),
        "total_page": math.ceil(len(matching) / query.page_size),
        "page_no": query.page_no,
        "page_size": query.page_size,
    }


def listed_task_json(task: Task, *, now: float) -> dict[str, object]:
    status = task.status(now)
    # A task's start and end are known once it has reached them (a CANCELED one never started).
    started = status in ("RUNNING", "SUCCEEDED", "FAILED")
    ended = status in ("SUCCEEDED", "FAILED", "CANCELED")
    return {
        "task_id": task.task_id,
        "status": status,
        "model_name": task.model,
        "gmt_create": _millis(task.submitted_at),
        "start_time": _millis(task.scheduled_at) if started else None,
        "end_time": _millis(task.ended_at) if ended else None,
        "request_id": task.request_id,
        "region": REGION,
        "user_api_unique_key": unique_key(task.model),
    }


def unique_key(model: str) -> str:
    """'apikey:v1:aigc:image-generation:generation:wan2.7-image' — the service and the model."""
    caps = MODELS.get(model)
    path = caps.async_path if caps is not None and caps.async_path else min(ASYNC_PATHS)
    service = path.removeprefix("/services/").strip("/").replace("/", ":")
    return f"apikey:v1:{service}:{model}"


def _millis(timestamp: float) -> int:
    return round(timestamp * 1000)


def _text(query: dict[str, list[str]], name: str) -> str | None:
    value = (query.get(name) or [""])[0].strip()
    return value or None


def _time(query: dict[str, list[str]], name: str) -> float | None:
    value = _text(query, name)
    if value is None:
        return None
    if not _TIME.fullmatch(value):
        raise invalid(f"{name} must be YYYYMMDDhhmmss (UTC+8), got {value!r}")
    try:
        moment = datetime.strptime(value, _TIME_FORMAT)
    except ValueError:
        raise invalid(f"{name} is not a real time: {value!r}") from None
    return moment.replace(tzinfo=PROVIDER_TZ).timestamp()


def _positive(query: dict[str, list[str]], name: str, *, default: int, most: int | None) -> int:
    value = _text(query, name)
    if value is None:
        return default
    if not _WHOLE.fullmatch(value) or int(value) < 1 or (most is not None and int(value) > most):
        limit = f" and at most {most}" if most is not None else ""
        raise invalid(f"{name} must be a whole number of at least 1{limit}, got {value!r}")
    return int(value)
