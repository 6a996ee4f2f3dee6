"""An httpx client for the DashScope Wan2.7 image API. Pure Python: no Django in here.

Retries happen only where they are safe:

* reading a task (get_task) and cancelling one (cancel_task) are retried on connection errors,
  timeouts, 429 and 5xx, with exponential backoff and full jitter;
* generation requests (generate, submit) may create a paid task, so they are retried only when
  the request provably never reached the server (connect error or connect timeout), or when the
  provider refused it with 429 (nothing was created). An answer lost after sending raises
  `SubmissionOutcomeUnknown` at once, and a 5xx raises `ServerError` unretried.

The API key goes into the Authorization header and nowhere else: not into messages, reprs or logs.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from studio.wan.capabilities import DEFAULT_MODEL, MODELS
from studio.wan.errors import (
    APIConnectionError,
    APITimeoutError,
    MalformedResponse,
    RateLimitError,
    SubmissionOutcomeUnknown,
    WanError,
    error_from_response,
    request_id_of,
)
from studio.wan.responses import (
    PROVIDER_TZ,
    GenerationResult,
    ListedTask,
    SubmittedTask,
    TaskListPage,
    TaskResult,
    parse_generation,
    parse_submitted,
    parse_task,
    parse_task_list_page,
)

logger = logging.getLogger("studio.wan.client")

# A generation can take a minute; connecting should never take more than a few seconds.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# Many jobs poll at once; each poll is short, so a larger pool than httpx's default of 10 idle.
DEFAULT_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)

BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
# A Retry-After longer than this is not slept through inside a request: the error is raised with
# its retry_after, and the caller (the pipeline's scheduler) waits that long without a thread.
MAX_RETRY_AFTER_SECONDS = 60.0

_REDACTED = "[redacted]"

T = TypeVar("T")


@dataclass(frozen=True)
class _Answer:
    """A 2xx answer, decoded as JSON where possible (else the text, for the parser to refuse)."""

    body: object
    sent_at: datetime


class WanClient:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: httpx.Timeout | None = None,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = "wan-studio",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._max_retries = max_retries
        self._sleep = sleep
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": user_agent},
            timeout=timeout or DEFAULT_TIMEOUT,
            limits=DEFAULT_LIMITS,
            # A redirect would resend the key (and a paid body) somewhere unexpected.
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"WanClient(base_url={self._base_url!r}, api_key=<hidden>)"

    def __enter__(self) -> WanClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the four calls -------------------------------------------------------------------

    def generate(self, body: dict[str, Any]) -> GenerationResult:
        """Generate synchronously: one request, the images in the answer."""
        path = _model_path(body, sync=True)
        # Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "HTTP synchronous call"
        answer = self._request("POST", path, json_body=body, submission=True)
        return self._parse_submission_answer(answer, parse_generation, path)

    def submit(self, body: dict[str, Any]) -> SubmittedTask:
        """Create an asynchronous task; poll it with get_task."""
        path = _model_path(body, sync=False)
        # Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Step 1: Create a task and get
        # the task ID" — X-DashScope-Async: enable is required on this endpoint.
        answer = self._request(
            "POST", path, json_body=body, headers={"X-DashScope-Async": "enable"}, submission=True
        )
        return self._parse_submission_answer(answer, parse_submitted, path)

    def get_task(self, task_id: str) -> TaskResult:
        path = _task_path(task_id)
        # Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Step 2: Query the result by task ID"
        answer = self._request("GET", path)
        return parse_task(answer.body)

    def cancel_task(self, task_id: str) -> TaskResult | None:
        """Ask the provider to cancel a task; only PENDING tasks can be cancelled.

        Returns the task as the answer describes it, or None when the answer carries no task
        (the usual success body is just a request id). A refusal raises an APIStatusError.
        """
        path = _task_path(task_id) + "/cancel"
        # Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Python SDK" (ImageGeneration.cancel,
        # which POSTs to /tasks/{task_id}/cancel); 000_ddfe7cc9c4930e90.txt: "Only tasks in the
        # PENDING state can be canceled."
        answer = self._request("POST", path)
        output = answer.body.get("output") if isinstance(answer.body, Mapping) else None
        if isinstance(output, Mapping) and "task_status" in output:
            return parse_task(answer.body)
        return None

    def list_tasks(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        model: str | None = None,
        status: str | None = None,
        task_id: str | None = None,
        page_size: int = 100,
    ) -> list[ListedTask]:
        """Every task of the key's account created between start and end (all pages), newest first.

        The provider lists the tasks of every key of the account. Without start and end it
        answers the last 24 hours; start and end may be at most 24 hours apart (a longer span is
        refused: cut it, as studio.pipeline.provider_tasks.list_windows does). model, status and
        task_id filter. `page_size` is asked for; later pages are asked at the size the provider
        says it served, since its maximum is not documented.
        """
        # Reference: "Asynchronous task management API", batch query of task statuses —
        # https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (GET
        # {base}/tasks?task_id=&start_time=&end_time=&model_name=&status=&page_no=&page_size=,
        # the one the official SDK's `list` calls). Not in the seed documents.
        tasks: dict[str, ListedTask] = {}
        page, size = 1, page_size
        while True:
            listed = self.list_page(start=start, end=end, model=model, status=status, task_id=task_id, page_no=page, page_size=size)
            # A task created while paging shifts the newest-first rows: one may show twice.
            for row in listed.tasks:
                tasks.setdefault(row.task_id, row)
            if page >= listed.total_page or not listed.tasks:
                return list(tasks.values())
            if listed.total is not None and len(tasks) >= listed.total:
                return list(tasks.values())
            size = listed.page_size or size
            page += 1

    def list_page(
        self,
        *,
        page_no: int = 1,
        page_size: int = 100,
        start: datetime | None = None,
        end: datetime | None = None,
        model: str | None = None,
        status: str | None = None,
        task_id: str | None = None,
    ) -> TaskListPage:
        """One page of the task list (filters as in `list_tasks`), with the paging the provider
        says it served: its page_size may be smaller than the one asked for."""
        params: dict[str, str] = {}
        if start is not None:
            params["start_time"] = _list_time(start)
        if end is not None:
            params["end_time"] = _list_time(end)
        for name, value in (("model_name", model), ("status", status), ("task_id", task_id)):
            if value:
                params[name] = value
        params |= {"page_no": str(page_no), "page_size": str(page_size)}
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        return parse_task_list_page(self._request("GET", "/tasks?" + query).body)

    # --- transport, retries, errors -------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        submission: bool = False,
    ) -> _Answer:
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, json_body, headers, submission=submission)
            except WanError as error:
                if attempt >= self._max_retries or not _may_retry(error, submission=submission):
                    raise
                if _asks_longer_wait(error):
                    # Retrying sooner than the provider asked would only be refused again.
                    raise
                delay = self._delay(attempt, error)
                attempt += 1
                logger.info(
                    "retrying %s %s in %.2fs (retry %d of %d) after %s",
                    method, path, delay, attempt, self._max_retries, type(error).__name__,
                )
                self._sleep(delay)

    def _attempt(
        self,
        method: str,
        path: str,
        json_body: dict[str, Any] | None,
        headers: dict[str, str] | None,
        *,
        submission: bool,
    ) -> _Answer:
        request_headers = dict(headers or {})
        if json_body is not None:
            request_headers["Content-Type"] = "application/json"
        sent_at = datetime.now(timezone.utc)
        started = time.monotonic()
        try:
            response = self._http.request(
                method, self._base_url + path, json=json_body, headers=request_headers
            )
        except httpx.TransportError as exc:
            elapsed = time.monotonic() - started
            logger.warning(
                "%s %s failed after %.3fs: %s", method, path, elapsed, type(exc).__name__
            )
            raise _transport_error(exc, method, path, sent_at, submission=submission) from exc
        body = self._decode(response)
        request_id = request_id_of(body, response.headers)
        logger.info(
            "%s %s -> %d request_id=%s elapsed=%.3fs",
            method, path, response.status_code, request_id, time.monotonic() - started,
        )
        if not response.is_success or _is_error_body(body):
            raise error_from_response(response.status_code, body, response.headers)
        return _Answer(body=body, sent_at=sent_at)

    def _decode(self, response: httpx.Response) -> object:
        # Some gateways echo the credentials they refused; the key must never reach an error.
        text = response.text.replace(self._api_key, _REDACTED)
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _delay(self, attempt: int, error: WanError) -> float:
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return error.retry_after
        # Full jitter: spreads the retries of many workers hit by the same outage.
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
        return random.uniform(0.0, ceiling)

    def _parse_submission_answer(
        self, answer: _Answer, parse: Callable[[object], T], path: str
    ) -> T:
        """Parse a 2xx answer to a generation request.

        An unparseable 2xx means the provider accepted the request (and may bill for it) but we
        cannot tell what it created: that is an unknown outcome, not something to resubmit.
        """
        try:
            return parse(answer.body)
        except MalformedResponse as exc:
            raise SubmissionOutcomeUnknown(
                f"POST {path} was answered, but the answer could not be read ({exc.message}); "
                "a task may exist: do not resubmit blindly",
                request_sent_at=answer.sent_at,
            ) from exc


def _model_path(body: Mapping[str, Any], *, sync: bool) -> str:
    model = body.get("model")
    # A model the capability table lacks goes where the default model's requests go (the
    # multimodal endpoints, which serve most models).
    caps = (MODELS.get(model) if isinstance(model, str) else None) or MODELS[DEFAULT_MODEL]
    path = caps.sync_path if sync else caps.async_path
    if path is None:
        kind = "synchronous" if sync else "asynchronous"
        raise ValueError(f"model {caps.name} has no {kind} endpoint")
    return path


def _list_time(moment: datetime) -> str:
    # The task list takes times as YYYYMMDDhhmmss in the provider's zone (UTC+8).
    return moment.astimezone(PROVIDER_TZ).strftime("%Y%m%d%H%M%S")


def _task_path(task_id: str) -> str:
    if not task_id:
        raise ValueError("task_id is empty")
    # The id comes from the provider; quoting keeps a stray "/" or "?" from changing the path.
    return "/tasks/" + quote(task_id, safe="")


def _asks_longer_wait(error: WanError) -> bool:
    return (
        isinstance(error, RateLimitError)
        and error.retry_after is not None
        and error.retry_after > MAX_RETRY_AFTER_SECONDS
    )


def _is_error_body(body: object) -> bool:
    """A 2xx body in the documented error shape ({request_id, code, message}, no output)."""
    return isinstance(body, Mapping) and bool(body.get("code")) and "output" not in body


def _may_retry(error: WanError, *, submission: bool) -> bool:
    if isinstance(error, SubmissionOutcomeUnknown):
        return False
    if not submission:
        return not error.permanent
    # A generation request may be paid for. It is retried only when nothing can have been
    # created: it never left (connection errors raised for submissions are only those), or the
    # provider refused it for rate (429). A 5xx is NOT retried: the provider may have created
    # the task before failing, and resubmitting could pay twice; the pipeline decides.
    if isinstance(error, APIConnectionError):
        return not error.permanent
    return isinstance(error, RateLimitError) and not error.permanent


def _transport_error(
    exc: httpx.TransportError, method: str, path: str, sent_at: datetime, *, submission: bool
) -> WanError:
    what = f"{method} {path}"
    reason = type(exc).__name__
    # The request provably never left: no connection was made (or none was free in the pool).
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return APITimeoutError(f"{what}: timed out before connecting ({reason})")
    if isinstance(exc, httpx.ConnectError):
        return APIConnectionError(f"{what}: could not connect ({reason}: {exc})")
    # Refused before sending (bad scheme, a header httpx will not send): retrying cannot help.
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        return APIConnectionError(f"{what}: request not sent ({reason}: {exc})", permanent=True)
    # From here on the request was (at least partly) sent and the answer was lost.
    if submission:
        return SubmissionOutcomeUnknown(
            f"{what} was sent at {sent_at.isoformat()} but no answer came ({reason}); "
            "a task may exist: do not resubmit blindly",
            request_sent_at=sent_at,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{what}: timed out waiting for the answer ({reason})")
    return APIConnectionError(f"{what}: connection failed ({reason}: {exc})")
