"""Provider JSON parsed into typed, frozen objects at the edge; nothing past here digs into dicts.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Response parameters" of the synchronous call,
of "Step 1: Create a task" and of "Step 2: Query the result by task ID"; 003 and 001 for the
image-synthesis endpoints' output.results[]. The parsers accept extra
keys, `code`/`message` at the top level or inside `output` (a FAILED task carries them there), and
the SDK's camelCase `requestId`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from studio.wan.capabilities import TASK_STATUSES, TERMINAL_TASK_STATUSES, parse_size
from studio.wan.errors import MalformedResponse

__all__ = [
    "GenerationResult",
    "MalformedResponse",
    "OutputItem",
    "SubmittedTask",
    "TaskResult",
    "Usage",
    "parse_generation",
    "parse_submitted",
    "parse_task",
]

# Reference: 002, submit_time — "Time is in UTC+8. Format: YYYY-MM-DD HH:mm:ss.SSS."
PROVIDER_TZ = timezone(timedelta(hours=8), "UTC+8")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Usage:
    image_count: int | None
    # As the provider wrote it ("1488*704" or "1376×768"), or "W*H" made from Qwen's separate
    # width and height; width/height either way.
    size: str | None
    width: int | None
    height: int | None
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None


@dataclass(frozen=True)
class OutputItem:
    type: str
    image: str | None
    text: str | None
    # output.results[] of the image-synthesis endpoints (references 003, 001): the prompt as
    # the provider rewrote it, and a failed result's code and message (a partial failure).
    orig_prompt: str | None = None
    actual_prompt: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class GenerationResult:
    """The answer of the synchronous endpoint."""

    request_id: str | None
    images: tuple[str, ...]
    texts: tuple[str, ...]
    finished: bool
    usage: Usage
    # Every item in answer order, for callers that care how text and images interleave.
    items: tuple[OutputItem, ...] = ()


@dataclass(frozen=True)
class SubmittedTask:
    task_id: str
    task_status: str
    request_id: str | None


@dataclass(frozen=True)
class TaskResult:
    task_id: str
    task_status: str
    request_id: str | None
    submit_time: datetime | None
    scheduled_time: datetime | None
    end_time: datetime | None
    finished: bool | None
    images: tuple[str, ...]
    texts: tuple[str, ...]
    usage: Usage | None
    code: str | None
    message: str | None
    # Older task APIs report {"TOTAL", "SUCCEEDED", "FAILED"} counts; kept as given.
    raw_task_metrics: dict[str, object] | None
    items: tuple[OutputItem, ...] = ()

    @property
    def is_terminal(self) -> bool:
        return self.task_status in TERMINAL_TASK_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.task_status == "SUCCEEDED"


def _require_mapping(value: object, what: str, body: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"expected {what} to be an object", body=body)
    return value


def _optional_str(mapping: Mapping[str, object], key: str) -> str | None:
    value = mapping.get(key)
    # The SDK shapes carry "code": "" and "message": "" on success; empty means absent.
    return value if isinstance(value, str) and value else None


def _optional_int(mapping: Mapping[str, object], key: str) -> int | None:
    value = mapping.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_bool(mapping: Mapping[str, object], key: str) -> bool | None:
    value = mapping.get(key)
    return value if isinstance(value, bool) else None


def _request_id(body: Mapping[str, object]) -> str | None:
    return _optional_str(body, "request_id") or _optional_str(body, "requestId")


def _parse_time(value: object) -> datetime | None:
    """'2026-03-26 17:16:01.663' (UTC+8) -> an aware datetime.

    A time that does not parse becomes None rather than an error: times are informational,
    and refusing a SUCCEEDED task over one would lose images already paid for.
    """
    if not isinstance(value, str) or not value:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=PROVIDER_TZ)
        except ValueError:
            continue
    return None


def _parse_usage(value: object) -> Usage | None:
    """Both shapes of usage: wan's {"image_count", "size": "W*H", tokens} (reference: 002,
    usage) and Qwen's {"width", "height", "image_count"} (reference:
    https://www.alibabacloud.com/help/en/model-studio/qwen-image-api, response usage)."""
    if not isinstance(value, Mapping):
        return None
    size = _optional_str(value, "size")
    width_height = parse_size(size) if size else None
    width, height = _optional_int(value, "width"), _optional_int(value, "height")
    if width_height is None and width and height:
        width_height = (width, height)
        size = f"{width}*{height}"
    return Usage(
        image_count=_optional_int(value, "image_count"),
        size=size,
        width=width_height[0] if width_height else None,
        height=width_height[1] if width_height else None,
        input_tokens=_optional_int(value, "input_tokens"),
        output_tokens=_optional_int(value, "output_tokens"),
        total_tokens=_optional_int(value, "total_tokens"),
    )


_EMPTY_USAGE = Usage(None, None, None, None, None, None, None)


def _parse_item(value: object, body: object) -> OutputItem:
    item = _require_mapping(value, "a content item", body)
    image = _optional_str(item, "image")
    text = _optional_str(item, "text")
    # "type" is documented but an item with just "image" or "text" is unambiguous.
    kind = _optional_str(item, "type") or ("image" if image else "text" if text else "")
    if not kind:
        raise MalformedResponse("content item has neither type, image nor text", body=body)
    return OutputItem(type=kind, image=image, text=text)


def _parse_choices(output: Mapping[str, object], body: object) -> tuple[OutputItem, ...]:
    """Every content item of every choice, in order. A missing `choices` means no output yet."""
    choices = output.get("choices")
    if choices is None:
        return ()
    if not isinstance(choices, list):
        raise MalformedResponse("expected output.choices to be a list", body=body)
    items: list[OutputItem] = []
    for choice in choices:
        choice_map = _require_mapping(choice, "a choice", body)
        message = _require_mapping(choice_map.get("message"), "choice.message", body)
        content = message.get("content", [])
        if not isinstance(content, list):
            raise MalformedResponse("expected message.content to be a list", body=body)
        items.extend(_parse_item(entry, body) for entry in content)
    return tuple(items)


def _parse_results(output: Mapping[str, object], body: object) -> tuple[OutputItem, ...]:
    """output.results[] (references 003 and 001): {url, orig_prompt, actual_prompt}, or
    {code, message} for an image that failed while others succeeded."""
    results = output.get("results")
    if results is None:
        return ()
    if not isinstance(results, list):
        raise MalformedResponse("expected output.results to be a list", body=body)
    items: list[OutputItem] = []
    for entry in results:
        result = _require_mapping(entry, "a result", body)
        url = _optional_str(result, "url")
        items.append(
            OutputItem(
                type="image" if url else "failed",
                image=url,
                text=None,
                orig_prompt=_optional_str(result, "orig_prompt"),
                actual_prompt=_optional_str(result, "actual_prompt"),
                code=_optional_str(result, "code"),
                message=_optional_str(result, "message"),
            )
        )
    return tuple(items)


def _output_items(output: Mapping[str, object], body: object) -> tuple[OutputItem, ...]:
    return _parse_choices(output, body) + _parse_results(output, body)


def _images(items: tuple[OutputItem, ...]) -> tuple[str, ...]:
    return tuple(item.image for item in items if item.type == "image" and item.image)


def _texts(items: tuple[OutputItem, ...]) -> tuple[str, ...]:
    return tuple(item.text for item in items if item.type == "text" and item.text)


def _error_field(body: Mapping[str, object], output: Mapping[str, object], key: str) -> str | None:
    # A FAILED task puts code/message in output; the SDK shape repeats an empty one at the top.
    return _optional_str(output, key) or _optional_str(body, key)


def parse_generation(body: object) -> GenerationResult:
    """The synchronous endpoint's success body."""
    top = _require_mapping(body, "the response", body)
    output = _require_mapping(top.get("output"), "output", body)
    items = _output_items(output, body)
    return GenerationResult(
        request_id=_request_id(top),
        images=_images(items),
        texts=_texts(items),
        # The sync endpoint answers when done; a missing flag means finished.
        finished=_optional_bool(output, "finished") is not False,
        usage=_parse_usage(top.get("usage")) or _EMPTY_USAGE,
        items=items,
    )


def _task_identity(output: Mapping[str, object], body: object) -> tuple[str, str]:
    task_id = _optional_str(output, "task_id")
    status = _optional_str(output, "task_status")
    if task_id is None or status is None:
        raise MalformedResponse("output lacks task_id or task_status", body=body)
    # An unheard-of status is not guessed at: calling it UNKNOWN (terminal) could abandon a
    # task that is still running. The poll fails instead and can be tried again. SUSPENDED is
    # heard of (the official SDK's TaskStatus) and is not terminal (see TASK_STATUSES).
    if status not in TASK_STATUSES:
        raise MalformedResponse(f"unexpected task_status {status!r}", body=body)
    return task_id, status


def parse_submitted(body: object) -> SubmittedTask:
    """The async endpoint's answer: the task id to poll."""
    top = _require_mapping(body, "the response", body)
    output = _require_mapping(top.get("output"), "output", body)
    task_id, status = _task_identity(output, body)
    return SubmittedTask(task_id=task_id, task_status=status, request_id=_request_id(top))


def parse_task(body: object) -> TaskResult:
    """GET /tasks/{task_id}: the task's status, times and, once done, its output."""
    top = _require_mapping(body, "the response", body)
    output = _require_mapping(top.get("output"), "output", body)
    task_id, status = _task_identity(output, body)
    items = _output_items(output, body)
    metrics = output.get("task_metrics")
    return TaskResult(
        task_id=task_id,
        task_status=status,
        request_id=_request_id(top),
        submit_time=_parse_time(output.get("submit_time")),
        scheduled_time=_parse_time(output.get("scheduled_time")),
        end_time=_parse_time(output.get("end_time")),
        finished=_optional_bool(output, "finished"),
        images=_images(items),
        texts=_texts(items),
        usage=_parse_usage(top.get("usage")),
        code=_error_field(top, output, "code"),
        message=_error_field(top, output, "message"),
        raw_task_metrics=dict(metrics) if isinstance(metrics, Mapping) else None,
        items=items,
    )


@dataclass(frozen=True)
class ListedTask:
    """One row of the provider's task list (used to reconcile an interrupted submission)."""

    task_id: str
    task_status: str
    model: str | None
    created_at: datetime | None
    request_id: str | None


def parse_task_list(body: object) -> tuple[tuple[ListedTask, ...], int]:
    """The provider's task list page -> (tasks, total pages).

    Not in the seed documents: the shape is DashScope's task-management API (GET /tasks with
    start_time, end_time, model_name, status, page_no, page_size) as its SDK's `list` reads it.
    """
    mapping = _require_mapping(body, "task list", body)
    rows = mapping.get("data")
    if not isinstance(rows, list):
        raise MalformedResponse("task list has no data array", body=body)
    tasks: list[ListedTask] = []
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("task_id"), str):
            raise MalformedResponse("task list row without a task_id", body=body)
        unique_key = row.get("user_api_unique_key")
        model = row.get("model_name")
        if not isinstance(model, str) and isinstance(unique_key, str):
            # "apikey:v1:aigc:image-generation:generation:wan2.7-image-pro" ends with the model.
            model = unique_key.rsplit(":", 1)[-1]
        created = row.get("gmt_create")
        tasks.append(
            ListedTask(
                task_id=row["task_id"],
                task_status=str(row.get("status") or row.get("task_status") or "UNKNOWN"),
                model=model if isinstance(model, str) else None,
                created_at=datetime.fromtimestamp(created / 1000, tz=PROVIDER_TZ)
                if isinstance(created, (int, float))
                else None,
                request_id=row.get("request_id") if isinstance(row.get("request_id"), str) else None,
            )
        )
    pages = mapping.get("total_page")
    return tuple(tasks), pages if isinstance(pages, int) else 1


@dataclass(frozen=True)
class TaskListPage:
    """One page of the task list, with the paging the provider says it used."""

    tasks: tuple[ListedTask, ...]
    page_no: int | None
    # The page size the provider served. The reference documents its default (10) but no
    # maximum, so a caller reads this rather than assuming the size it asked for.
    page_size: int | None
    total: int | None
    total_page: int


def parse_task_list_page(body: object) -> TaskListPage:
    """A task list answer with its paging (page_no, page_size, total, total_page).

    Reference: "Asynchronous task management API", batch query of task statuses,
    https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks.
    """
    tasks, total_page = parse_task_list(body)
    mapping = _require_mapping(body, "task list", body)
    return TaskListPage(
        tasks=tasks,
        page_no=_paging_number(mapping.get("page_no")),
        page_size=_paging_number(mapping.get("page_size")),
        total=_paging_number(mapping.get("total")),
        total_page=total_page,
    )


def _paging_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
