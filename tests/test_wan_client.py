"""The Wan client against a real HTTP server on 127.0.0.1 (no mocks of httpx or of our code).

Response bodies are the documented examples of ../shared/seeds/002_e63ba47cef0cee16.txt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import httpx
import pytest

from studio.wan.client import WanClient
from studio.wan.errors import (
    AccountError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ContentRejectedError,
    InvalidRequestError,
    MalformedResponse,
    RateLimitError,
    ServerError,
    SubmissionOutcomeUnknown,
    WanError,
    error_from_response,
)
from tests.http_script_server import ScriptServer, answer, drop, free_port, hang, truncate

API_KEY = "sk-test-4f9c2a7e51b84d0c"
FAST = httpx.Timeout(0.5, connect=0.5)
SYNC = "/api/v1/services/aigc/multimodal-generation/generation"
ASYNC = "/api/v1/services/aigc/image-generation/generation"
TASK_ID = "a81ee7cb-014c-473d-b842-76e98311cxxx"
IMAGE = "https://dashscope-xxx.oss-xxx.aliyuncs.com/xxx.png?Expires=xxx"

BODY = {
    "model": "wan2.7-image-pro",
    "input": {"messages": [{"role": "user", "content": [{"text": "A flower shop"}]}]},
    "parameters": {"size": "2K", "n": 1, "watermark": False, "thinking_mode": True},
}
SYNC_OK = {
    "output": {
        "choices": [
            {
                "finish_reason": "stop",
                "message": {"content": [{"image": IMAGE, "type": "image"}], "role": "assistant"},
            }
        ],
        "finished": True,
    },
    "usage": {
        "image_count": 1, "input_tokens": 10867, "output_tokens": 2, "size": "1488*704",
        "total_tokens": 10869,
    },
    "request_id": "71dfc3c6-f796-9972-97e4-bc4efc4faxxx",
}
SUBMIT_OK = {
    "output": {"task_status": "PENDING", "task_id": "0385dc79-5ff8-4d82-bcb6-xxxxxx"},
    "request_id": "4909100c-7b5a-9f92-bfe5-xxxxxx",
}
TASK_OK = {
    "request_id": "810fa5f5-334c-91f3-aaa4-ed89cf0caxxx",
    "output": {
        "task_id": TASK_ID,
        "task_status": "SUCCEEDED",
        "submit_time": "2026-03-26 17:16:01.663",
        "scheduled_time": "2026-03-26 17:16:01.716",
        "end_time": "2026-03-26 17:16:22.961",
        "finished": True,
        "choices": SYNC_OK["output"]["choices"],  # type: ignore[index]
    },
    "usage": {
        "size": "2976*1408", "total_tokens": 11017, "image_count": 1, "output_tokens": 2,
        "input_tokens": 11015,
    },
}
# The SDK-style shape: camelCase requestId, empty code/message, "2985*1405".
TASK_OK_SDK = {
    "requestId": "60a08540-f1c1-9e76-8cd3-d5949db8cxxx",
    "usage": {"input_tokens": 18711, "output_tokens": 2, "total_tokens": 18713,
              "image_count": 1, "size": "2985*1405"},
    "output": {**TASK_OK["output"], "submit_time": "2026-03-31 19:57:58.840"},  # type: ignore[dict-item]
    "status_code": 200,
    "code": "",
    "message": "",
}


def error_body(code: str, message: str = "refused") -> dict[str, str]:
    return {"request_id": "7438d53d-6eb8-4596-8835-xxxxxx", "code": code, "message": message}


class FakeSleep:
    """Records the delays asked for instead of waiting; can run a hook on each call."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.hook: Callable[[], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.hook is not None:
            self.hook()


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    with ScriptServer() as running:
        yield running


@pytest.fixture
def sleeps() -> FakeSleep:
    return FakeSleep()


def make_client(base: str, sleeps: FakeSleep, **kwargs: object) -> WanClient:
    options: dict[str, object] = {"timeout": FAST, "sleep": sleeps, **kwargs}
    return WanClient(api_key=API_KEY, base_url=base + "/api/v1", **options)  # type: ignore[arg-type]


@pytest.fixture
def client(server: ScriptServer, sleeps: FakeSleep) -> Iterator[WanClient]:
    with make_client(server.url, sleeps) as wan:
        yield wan


def raised(kind: type[WanError], call: Callable[[], object]) -> WanError:
    """Run call, expect kind, and check the key shows nowhere in the error."""
    with pytest.raises(kind) as info:
        call()
    error = info.value
    texts = [str(error), repr(error), error.message, repr(getattr(error, "body", None)),
             str(error.__cause__)]
    assert not any(API_KEY in text for text in texts)
    return error


# --- successful calls and the requests they send ----------------------------------------------


def test_generate_posts_to_the_sync_endpoint_and_parses_images(client, server):
    server.script(answer(200, SYNC_OK))
    result = client.generate(BODY)
    assert result.images == (IMAGE,)
    assert result.finished is True
    assert result.request_id == "71dfc3c6-f796-9972-97e4-bc4efc4faxxx"
    assert (result.usage.image_count, result.usage.width, result.usage.height) == (1, 1488, 704)
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", SYNC)
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "wan-studio"
    assert "x-dashscope-async" not in request.headers
    assert request.json() == BODY


def test_submit_posts_to_the_async_endpoint_with_the_async_header(client, server):
    server.script(answer(200, SUBMIT_OK))
    task = client.submit(BODY)
    assert (task.task_id, task.task_status) == ("0385dc79-5ff8-4d82-bcb6-xxxxxx", "PENDING")
    assert task.request_id == "4909100c-7b5a-9f92-bfe5-xxxxxx"
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", ASYNC)
    assert request.headers["x-dashscope-async"] == "enable"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json() == BODY


def test_get_task_parses_a_succeeded_task_with_times_in_utc_plus_8(client, server):
    server.script(answer(200, TASK_OK))
    task = client.get_task(TASK_ID)
    assert task.succeeded and task.is_terminal and task.finished
    assert task.images == (IMAGE,)
    assert task.submit_time == datetime(2026, 3, 26, 9, 16, 1, 663000, tzinfo=timezone.utc)
    assert task.end_time == datetime(2026, 3, 26, 9, 16, 22, 961000, tzinfo=timezone.utc)
    assert task.scheduled_time is not None and task.scheduled_time.utcoffset().total_seconds() == 8 * 3600
    assert task.code is None and task.message is None
    (request,) = server.requests
    assert (request.method, request.path) == ("GET", f"/api/v1/tasks/{TASK_ID}")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert "x-dashscope-async" not in request.headers


def test_sdk_shaped_task_reads_request_id_and_usage_size(client, server):
    server.script(answer(200, TASK_OK_SDK))
    task = client.get_task(TASK_ID)
    assert task.request_id == "60a08540-f1c1-9e76-8cd3-d5949db8cxxx"
    assert task.usage is not None
    assert (task.usage.size, task.usage.width, task.usage.height) == ("2985*1405", 2985, 1405)
    assert task.code is None  # "" means no error


def test_failed_task_is_a_result_with_its_code_and_message(client, server):
    failed = {"request_id": "r-1", "output": {
        "task_id": TASK_ID, "task_status": "FAILED", "submit_time": "2026-03-26 17:16:01.663",
        "end_time": "2026-03-26 17:16:03.000", "code": "InternalError.Algo",
        "message": "Algorithm process error."}}
    server.script(answer(200, failed))
    task = client.get_task(TASK_ID)
    assert task.is_terminal and not task.succeeded
    assert (task.code, task.message) == ("InternalError.Algo", "Algorithm process error.")
    assert task.images == () and task.usage is None


def test_unknown_task_is_terminal_without_output(client, server):
    server.script(answer(200, {"request_id": "r-2",
                               "output": {"task_id": TASK_ID, "task_status": "UNKNOWN"}}))
    task = client.get_task(TASK_ID)
    assert task.task_status == "UNKNOWN" and task.is_terminal and not task.succeeded
    assert task.submit_time is None and task.images == ()


def test_running_task_is_not_terminal(client, server):
    server.script(answer(200, {"output": {"task_id": TASK_ID, "task_status": "RUNNING"}}))
    assert not client.get_task(TASK_ID).is_terminal


def test_unheard_of_task_status_is_malformed_not_guessed(client, server):
    server.script(answer(200, {"output": {"task_id": TASK_ID, "task_status": "PAUSED"}}))
    error = raised(MalformedResponse, lambda: client.get_task(TASK_ID))
    assert error.permanent is False


def test_cancel_posts_to_the_cancel_path(client, server):
    server.script(answer(200, {"request_id": "r-3"}),
                  answer(200, {"output": {"task_id": TASK_ID, "task_status": "CANCELED"}}))
    assert client.cancel_task(TASK_ID) is None
    assert client.cancel_task(TASK_ID).task_status == "CANCELED"
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", f"/api/v1/tasks/{TASK_ID}/cancel")] * 2


def test_refused_cancel_is_a_status_error(client, server):
    server.script(answer(400, error_body("UnsupportedOperation", "task is not PENDING")))
    error = raised(InvalidRequestError, lambda: client.cancel_task(TASK_ID))
    assert error.code == "UnsupportedOperation" and len(server.requests) == 1


# --- one error class per meaning --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "kind", "permanent"),
    [
        (401, "InvalidApiKey", AuthenticationError, True),
        (400, "InvalidParameter", InvalidRequestError, True),
        (400, "DataInspectionFailed", ContentRejectedError, True),
        (400, "IPInfringementSuspect", ContentRejectedError, True),
        (429, "Throttling.RateQuota", RateLimitError, False),
        (400, "Arrearage", AccountError, True),
        (429, "Throttling.AllocationQuota", AccountError, True),
        (500, "InternalError", ServerError, False),
    ],
)
def test_error_answers_become_their_class(server, sleeps, status, code, kind, permanent):
    server.script(answer(status, error_body(code)))
    with make_client(server.url, sleeps, max_retries=0) as wan:
        error = raised(kind, lambda: wan.submit(BODY))
    assert isinstance(error, APIStatusError)
    assert (error.status_code, error.code) == (status, code)
    assert error.request_id == "7438d53d-6eb8-4596-8835-xxxxxx"
    assert error.permanent is permanent
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (503, "<html>Service Unavailable</html>", ServerError),
        (403, {"message": "forbidden"}, AccountError),
        (404, {"message": "no such path"}, InvalidRequestError),
        (400, error_body("InvalidParameter.DataInspection"), InvalidRequestError),
        (200, error_body("InvalidParameter"), InvalidRequestError),
    ],
)
def test_errors_fall_back_on_the_status_when_the_code_says_nothing(status, body, kind):
    assert type(error_from_response(status, body, {})) is kind


def test_retry_after_accepts_an_http_date():
    error = error_from_response(429, error_body("Throttling"), {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert isinstance(error, RateLimitError) and error.retry_after == 0.0


# --- retries where safe, and only there ------------------------------------------------------


def test_get_task_is_retried_after_a_500(client, server, sleeps):
    server.script(answer(500, error_body("InternalError")), answer(200, TASK_OK))
    assert client.get_task(TASK_ID).succeeded
    assert len(server.requests) == 2
    assert len(sleeps.calls) == 1 and 0.0 <= sleeps.calls[0] <= 0.5


def test_get_task_gives_up_after_max_retries_with_growing_backoff(client, server, sleeps):
    server.script(*[answer(502, "bad gateway")] * 3)
    error = raised(ServerError, lambda: client.get_task(TASK_ID))
    assert error.status_code == 502 and len(server.requests) == 3
    assert len(sleeps.calls) == 2 and sleeps.calls[1] <= 1.0


def test_get_task_is_retried_after_a_dropped_connection(client, server):
    server.script(drop(), answer(200, TASK_OK))
    assert client.get_task(TASK_ID).succeeded
    assert len(server.requests) == 2


def test_get_task_read_timeouts_end_in_a_timeout_error(server, sleeps):
    server.script(hang(), hang(), hang())
    with make_client(server.url, sleeps, timeout=httpx.Timeout(0.2, connect=0.5)) as wan:
        error = raised(APITimeoutError, lambda: wan.get_task(TASK_ID))
    assert error.permanent is False and len(server.requests) == 3


def test_submit_is_not_retried_after_a_500(client, server, sleeps):
    server.script(answer(500, error_body("InternalError")), answer(200, SUBMIT_OK))
    error = raised(ServerError, lambda: client.submit(BODY))
    assert error.permanent is False  # the pipeline may decide to look before resubmitting
    assert len(server.requests) == 1 and sleeps.calls == []


def test_submit_is_retried_on_429_honouring_retry_after(client, server, sleeps):
    server.script(answer(429, error_body("Throttling.RateQuota"), {"Retry-After": "3"}),
                  answer(200, SUBMIT_OK))
    assert client.submit(BODY).task_status == "PENDING"
    assert sleeps.calls == [3.0] and len(server.requests) == 2


def test_429_after_all_retries_carries_retry_after(client, server, sleeps):
    server.script(*[answer(429, error_body("Throttling.RateQuota"), {"Retry-After": "2"})] * 3)
    error = raised(RateLimitError, lambda: client.generate(BODY))
    assert error.retry_after == 2.0 and sleeps.calls == [2.0, 2.0]


def test_a_long_retry_after_is_not_cut_short_by_retrying_sooner(client, server, sleeps):
    server.script(answer(429, error_body("Throttling.RateQuota"), {"Retry-After": "120"}),
                  answer(200, SUBMIT_OK))
    error = raised(RateLimitError, lambda: client.submit(BODY))
    # Handed back to the caller, who waits the two minutes asked for; nothing was sent meanwhile.
    assert error.retry_after == 120.0 and sleeps.calls == [] and len(server.requests) == 1


def test_submit_is_retried_when_the_connection_was_refused(sleeps):
    port = free_port()
    late = ScriptServer(port=port)
    late.script(answer(200, SUBMIT_OK))
    sleeps.hook = late.start  # the server comes up during the first backoff
    try:
        with make_client(f"http://127.0.0.1:{port}", sleeps) as wan:
            assert wan.submit(BODY).task_id == "0385dc79-5ff8-4d82-bcb6-xxxxxx"
        assert len(sleeps.calls) == 1 and len(late.requests) == 1
    finally:
        late.stop()


def test_submit_to_a_closed_port_ends_in_a_connection_error(sleeps):
    with make_client(f"http://127.0.0.1:{free_port()}", sleeps) as wan:
        error = raised(APIConnectionError, lambda: wan.submit(BODY))
    assert not isinstance(error, SubmissionOutcomeUnknown)
    assert error.permanent is False and len(sleeps.calls) == 2


# --- a paid request sent without an answer is never resent ------------------------------------


@pytest.mark.parametrize("reply", [drop(), hang(), truncate(200, SUBMIT_OK)],
                         ids=["dropped", "read-timeout", "truncated"])
def test_submit_without_an_answer_is_an_unknown_outcome(client, server, sleeps, reply):
    server.script(reply, answer(200, SUBMIT_OK))
    before = datetime.now(timezone.utc)
    error = raised(SubmissionOutcomeUnknown, lambda: client.submit(BODY))
    assert error.permanent is True
    assert before <= error.request_sent_at <= datetime.now(timezone.utc)
    assert len(server.requests) == 1 and sleeps.calls == []


def test_generate_without_an_answer_is_an_unknown_outcome(client, server, sleeps):
    server.script(drop(), answer(200, SYNC_OK))
    raised(SubmissionOutcomeUnknown, lambda: client.generate(BODY))
    assert len(server.requests) == 1 and sleeps.calls == []


def test_unreadable_success_to_a_submit_is_an_unknown_outcome(client, server):
    server.script(answer(200, "<html>gateway says hi</html>"))
    error = raised(SubmissionOutcomeUnknown, lambda: client.submit(BODY))
    assert isinstance(error.__cause__, MalformedResponse)


# --- the key stays secret ---------------------------------------------------------------------


def test_key_echoed_by_the_provider_is_redacted(client, server):
    server.script(answer(401, error_body("InvalidApiKey", f"Invalid API-key provided: {API_KEY}")))
    error = raised(AuthenticationError, lambda: client.get_task(TASK_ID))
    assert "[redacted]" in error.message


def test_client_repr_hides_the_key(client):
    assert API_KEY not in repr(client) and "hidden" in repr(client)


def test_logs_name_the_call_but_never_the_key(client, server, caplog):
    server.script(answer(200, SUBMIT_OK), answer(500, error_body("InternalError")),
                  answer(200, TASK_OK), drop())
    with caplog.at_level(logging.DEBUG, logger="studio.wan.client"):
        client.submit(BODY)
        client.get_task(TASK_ID)
        raised(SubmissionOutcomeUnknown, lambda: client.submit(BODY))
    lines = [record.getMessage() for record in caplog.records]
    assert any(f"GET /tasks/{TASK_ID} -> 200 request_id=810fa5f5" in line for line in lines)
    assert not any(API_KEY in line or "Bearer" in line for line in lines)
