"""GET /tasks: the account's tasks, filtered and paged, as DashScope's task-management API has them.

The studio reads this list to find the task of a submission whose answer was lost (the `drop`
fault, or a crash while `submit_latency_seconds` holds the answer back), and to reconcile what
the provider billed.

Not in the seed documents. Reference: "Asynchronous task management API", batch query of task
statuses — https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (Chinese
original, which has the parameter table: https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks):

  GET /api/v1/tasks?task_id=&start_time=YYYYMMDDhhmmss&end_time=YYYYMMDDhhmmss&model_name=&status=
                    &page_no=1&page_size=10
  {"request_id", "data": [{api_key_id, task_id, status, model_name, gmt_create, start_time,
   end_time, request_id, region, user_api_unique_key}], "total", "total_page", "page_no", "page_size"}

  * every task of the caller's Alibaba Cloud account, whichever of its keys made it;
  * start_time missing: the 24 hours before end_time; end_time missing: the 24 hours after
    start_time; both missing: the last 24 hours; the two may be at most 24 hours apart;
  * task_id returns only that task; model_name and status filter; page_no defaults to 1 and
    page_size to 10 (no maximum is documented: the emulator's is a setting, and the answer
    echoes the page_size it used);
  * a row's start_time / end_time appear once the task has them (the reference's RUNNING row
    has no end_time), rather than as null.

Times in the query are UTC+8 wall-clock seconds; times in the rows are milliseconds since the epoch.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from studio.wan.capabilities import (
    MODELS,
    TASK_LIST_DEFAULT_PAGE_SIZE,
    TASK_LIST_MAX_SPAN_SECONDS,
    TASK_STATUSES,
)
from studio.wan_emulator.intake import invalid
from studio.wan_emulator.protocol import ASYNC_PATHS, PROVIDER_TZ
from studio.wan_emulator.state import Task

LIST_PATH = "/tasks"
# Reference (above): page_size — "每页查询条数，默认查询10条" (10 rows a page by default).
DEFAULT_PAGE_SIZE = TASK_LIST_DEFAULT_PAGE_SIZE
# Reference (above): "请确保您设定的开始和结束时间的差距不超过24小时" — at most 24 hours apart,
# and 24 hours is also the default window.
MAX_SPAN_SECONDS = TASK_LIST_MAX_SPAN_SECONDS
REGION = "emulator"

_TIME = re.compile(r"[0-9]{14}")
_WHOLE = re.compile(r"[0-9]{1,9}")
_TIME_FORMAT = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class ListQuery:
    # Unix seconds: tasks created at or after `start`, and before `end` (exclusive).
    start: float
    end: float
    task_id: str | None
    model: str | None
    status: str | None
    page_no: int
    page_size: int

    def matches(self, task: Task, *, now: float) -> bool:
        if not self.start <= task.submitted_at < self.end:
            return False
        if self.task_id is not None and task.task_id != self.task_id:
            return False
        if self.model is not None and task.model != self.model:
            return False
        return self.status is None or task.status(now) == self.status


def parse_list_query(query: dict[str, list[str]], *, now: float, max_page_size: int) -> ListQuery:
    """The query string's filters; Refused (400 InvalidParameter) names a bad parameter.

    A page_size above `max_page_size` is served at `max_page_size` (and echoed so), not refused.
    """
    start = _time(query, "start_time")
    end = _time(query, "end_time")
    if start is not None and end is not None:
        if start > end:
            raise invalid("start_time must not be later than end_time")
        if end - start > MAX_SPAN_SECONDS:
            hours = (end - start) / 3600
            raise invalid(
                f"start_time and end_time are {hours:g} hours apart; the task list answers at most "
                "24 hours per query: narrow the window or query it in parts"
            )
    status = _text(query, "status")
    if status is not None and status not in TASK_STATUSES:
        raise invalid(f"status must be one of {', '.join(TASK_STATUSES)}")
    page_size = _positive(query, "page_size", default=DEFAULT_PAGE_SIZE)
    if start is None and end is None:
        lo, hi = now - MAX_SPAN_SECONDS, math.inf
    elif start is None:
        assert end is not None
        lo, hi = end - MAX_SPAN_SECONDS, end + 1
    elif end is None:
        lo, hi = start, start + MAX_SPAN_SECONDS + 1
    else:
        # The end second is included whole: the client writes times truncated to seconds.
        lo, hi = start, end + 1
    return ListQuery(
        start=lo,
        end=hi,
        task_id=_text(query, "task_id"),
        model=_text(query, "model_name"),
        status=status,
        page_no=_positive(query, "page_no", default=1),
        page_size=min(page_size, max_page_size),
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
    row: dict[str, object] = {
        "api_key_id": api_key_id(task.api_key),
        "task_id": task.task_id,
        "status": status,
        "model_name": task.model,
        "gmt_create": _millis(task.submitted_at),
        "request_id": task.request_id,
        "region": REGION,
        "user_api_unique_key": unique_key(task.model),
    }
    # A task's start and end are known once it has reached them (a CANCELED one never started).
    if status in ("RUNNING", "SUCCEEDED", "FAILED"):
        row["start_time"] = _millis(task.scheduled_at)
    if status in ("SUCCEEDED", "FAILED", "CANCELED"):
        row["end_time"] = _millis(task.ended_at)
    return row


def api_key_id(api_key: str) -> str:
    """A stable number naming a key (the reference's "15xxxx"), never the key itself."""
    return str(int(hashlib.sha256(api_key.encode()).hexdigest()[:8], 16))


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


def _positive(query: dict[str, list[str]], name: str, *, default: int) -> int:
    value = _text(query, name)
    if value is None:
        return default
    if not _WHOLE.fullmatch(value) or int(value) < 1:
        raise invalid(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)
