"""The emulator speaks DashScope's protocol over real HTTP: shapes, lifecycle, auth, faults, limits.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt (endpoints, headers, response and error
shapes, task statuses, UTC+8 times).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from studio.wan.capabilities import parse_size
from studio.wan_emulator.config import config_from_command_line
from studio.wan.validator import validate_body
from tests.emulator_fixtures import (
    ASYNC_HEADERS,
    API_KEY,
    ASYNC_PATH,
    SYNC_PATH,
    Emulator,
    body,
    image_urls,
    open_png,
)
from tests.images import png_data_url

UTC8 = timezone(timedelta(hours=8))
TIME_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$")


def provider_time(text: str) -> float:
    assert TIME_FORMAT.match(text), text
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC8).timestamp()


def assert_uuid(value: str) -> None:
    assert str(uuid.UUID(value)) == value


# --- shapes and lifecycle ---------------------------------------------------------------------


def test_sync_call_answers_with_images_usage_and_request_id(emulator: Emulator) -> None:
    response = emulator.generate(body(n=2))

    assert response.status_code == 200
    answer = response.json()
    assert_uuid(answer["request_id"])
    assert answer["output"]["finished"] is True
    choice = answer["output"]["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert [item["type"] for item in choice["message"]["content"]] == ["image", "image"]
    usage = answer["usage"]
    assert usage["image_count"] == 2
    assert usage["size"] == "1024*1024"
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_task_goes_pending_running_succeeded_as_the_clock_moves(emulator: Emulator) -> None:
    submitted_at = emulator.clock.now
    response = emulator.submit(body(n=1))
    assert response.status_code == 200
    created = response.json()
    assert created["output"]["task_status"] == "PENDING"
    assert_uuid(created["request_id"])
    task_id = created["output"]["task_id"]

    pending = emulator.task(task_id)
    assert pending["output"]["task_status"] == "PENDING"
    assert pending["output"]["finished"] is False
    assert provider_time(pending["output"]["submit_time"]) == submitted_at
    assert "usage" not in pending and "choices" not in pending["output"]

    emulator.clock.advance(2.0)
    running = emulator.task(task_id)["output"]
    assert running["task_status"] == "RUNNING"
    assert provider_time(running["scheduled_time"]) == submitted_at + 2.0
    assert "end_time" not in running

    emulator.clock.advance(3.0)
    done = emulator.task(task_id)
    assert done["output"]["task_status"] == "SUCCEEDED"
    assert done["output"]["finished"] is True
    assert provider_time(done["output"]["end_time"]) == submitted_at + 5.0
    assert len(image_urls(done)) == 1
    assert done["usage"]["image_count"] == 1
    assert done["usage"]["size"] == "1024*1024"
    assert_uuid(done["request_id"])


def test_times_are_written_in_utc_plus_8(emulator: Emulator) -> None:
    emulator.clock.now = datetime(2026, 3, 31, 11, 57, 58, 840000, tzinfo=timezone.utc).timestamp()
    task_id = emulator.submit_ok(body())

    assert emulator.task(task_id)["output"]["submit_time"] == "2026-03-31 19:57:58.840"


def test_submit_without_async_header_is_refused_like_the_service(emulator: Emulator) -> None:
    response = emulator.http.post(ASYNC_PATH, json=body())

    assert response.status_code == 403
    assert response.json()["code"] == "AccessDenied"
    assert response.json()["message"] == "current user api does not support synchronous calls"


def test_the_official_sdks_is_async_parameter_is_accepted_as_the_service_does(emulator: Emulator) -> None:
    # dashscope 2.x, aigc/image_generation.py: ImageGeneration.async_call sends
    # "parameters": {..., "is_async": true} with X-DashScope-Async: enable (and the SDK headers).
    sdk_body = body("A flower shop", is_async=True)
    sdk_headers = {
        **ASYNC_HEADERS,
        "X-DashScope-Sdk-Client": "python-sdk/2.0.2",
        "X-DashScope-Sdk-Session-Id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "User-Agent": "dashscope/2.0.2; python/3.12.1; platform/Linux; processor/x86_64",
        "Accept": "application/json; charset=utf-8",
    }

    submitted = emulator.http.post(ASYNC_PATH, json=sdk_body, headers=sdk_headers)
    made_now = emulator.http.post(SYNC_PATH, json=body("A flower shop", is_async=False))
    not_a_flag = emulator.http.post(ASYNC_PATH, json=body("A flower shop", is_async="yes"), headers=ASYNC_HEADERS)

    assert submitted.status_code == 200 and made_now.status_code == 200
    assert emulator.finish(submitted.json()["output"]["task_id"])["output"]["task_status"] == "SUCCEEDED"
    assert not_a_flag.status_code == 400 and "is_async" in not_a_flag.json()["message"]
    assert emulator.stats()["requests_by_sdk_client"] == {"python-sdk/2.0.2": 1}
    # The studio's own validator stays strict: the studio never sends it.
    assert any(p.path == "parameters.is_async" for p in validate_body(sdk_body).problems)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", SYNC_PATH),
        ("POST", ASYNC_PATH),
        ("GET", "/tasks/some-task"),
        ("POST", "/tasks/some-task/cancel"),
        ("GET", "/tasks"),
    ],
)
def test_every_endpoint_needs_an_api_key(emulator: Emulator, method: str, path: str) -> None:
    missing = httpx.request(method, emulator.url + path, json=body(), headers=ASYNC_HEADERS)
    wrong = httpx.request(
        method,
        emulator.url + path,
        json=body(),
        headers={**ASYNC_HEADERS, "Authorization": "Bearer sk-wrong"},
    )

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["code"] == wrong.json()["code"] == "InvalidApiKey"
    assert missing.json()["message"] == "No API-key provided."
    assert wrong.json()["message"] == "Invalid API-key provided."
    assert_uuid(missing.json()["request_id"])


def test_unknown_task_id_answers_unknown(emulator: Emulator) -> None:
    answer = emulator.task("00000000-0000-4000-8000-000000000000")

    assert answer["output"]["task_status"] == "UNKNOWN"


def test_task_older_than_its_ttl_answers_unknown(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(task_ttl_seconds=60.0)
    task_id = emulator.submit_ok(body())
    emulator.clock.advance(59.0)
    assert emulator.task(task_id)["output"]["task_status"] == "SUCCEEDED"

    emulator.clock.advance(2.0)

    assert emulator.task(task_id)["output"]["task_status"] == "UNKNOWN"


# Reference: "Asynchronous task management API",
# https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks — a key can query
# (and cancel) every task of its Alibaba Cloud account, whichever key made it, and no other's.


def test_every_key_of_the_account_reads_and_cancels_its_tasks(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(api_keys=frozenset({"sk-emulator", "sk-colleague"}))
    task_id = emulator.submit_ok(body())
    colleague = {"Authorization": "Bearer sk-colleague"}

    read = httpx.get(f"{emulator.url}/tasks/{task_id}", headers=colleague)
    canceled = httpx.post(f"{emulator.url}/tasks/{task_id}/cancel", headers=colleague)

    assert read.json()["output"]["task_status"] == "PENDING"
    assert canceled.status_code == 200
    assert emulator.task(task_id)["output"]["task_status"] == "CANCELED"


def test_another_accounts_task_is_unknown_and_cannot_be_canceled(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(
        api_keys=frozenset({"sk-emulator", "sk-other"}), accounts={"sk-other": "another-account"}
    )
    task_id = emulator.submit_ok(body())
    other = {"Authorization": "Bearer sk-other"}

    read = httpx.get(f"{emulator.url}/tasks/{task_id}", headers=other)
    cancel = httpx.post(f"{emulator.url}/tasks/{task_id}/cancel", headers=other)

    assert read.json()["output"]["task_status"] == "UNKNOWN"
    assert cancel.status_code == 400 and cancel.json()["code"] == "UnsupportedOperation"
    assert emulator.task(task_id)["output"]["task_status"] == "PENDING"


def test_malformed_json_is_an_invalid_parameter(emulator: Emulator) -> None:
    response = emulator.http.post(
        SYNC_PATH, content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"


def test_connection_stays_usable_after_an_answer_that_skipped_the_body(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.url) as anonymous:
        refused = anonymous.post(SYNC_PATH, json=body())
        allowed = anonymous.get("/tasks/x", headers={"Authorization": "Bearer sk-emulator"})

    assert refused.status_code == 401
    assert allowed.status_code == 200


def test_unknown_paths_and_methods_are_refused(emulator: Emulator) -> None:
    assert emulator.http.get("/services/aigc/no-such-service").status_code == 404
    assert emulator.http.get(SYNC_PATH).status_code == 405


# --- cancel -----------------------------------------------------------------------------------


def test_pending_task_can_be_canceled(emulator: Emulator) -> None:
    task_id = emulator.submit_ok(body())

    response = emulator.http.post(f"/tasks/{task_id}/cancel")

    assert response.status_code == 200
    assert response.json()["output"]["task_status"] == "CANCELED"
    emulator.clock.advance(10.0)
    later = emulator.task(task_id)["output"]
    assert later["task_status"] == "CANCELED"
    assert later["finished"] is True
    assert emulator.stats()["cancels"] == 1


def test_running_task_cannot_be_canceled(emulator: Emulator) -> None:
    task_id = emulator.submit_ok(body())
    emulator.clock.advance(2.5)

    response = emulator.http.post(f"/tasks/{task_id}/cancel")

    assert response.status_code == 400
    assert response.json()["code"] == "UnsupportedOperation"
    assert "PENDING" in response.json()["message"]
    assert emulator.finish(task_id)["output"]["task_status"] == "SUCCEEDED"


# --- result links -----------------------------------------------------------------------------


def test_result_link_downloads_the_png_without_a_key(emulator: Emulator) -> None:
    answer = emulator.generate(body(size="1280*720")).json()

    data = emulator.download(image_urls(answer)[0])

    assert open_png(data).size == parse_size(answer["usage"]["size"]) == (1280, 720)


def test_result_link_is_refused_after_its_ttl(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(result_ttl_seconds=30.0)
    url = emulator.image_urls(body())[0]
    assert httpx.get(url).status_code == 200

    emulator.clock.advance(31.0)
    response = httpx.get(url)

    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "Request has expired" in response.text


def test_result_link_with_a_bad_signature_or_unknown_token_is_refused(emulator: Emulator) -> None:
    url = emulator.image_urls(body())[0]
    token = url.split("/results/")[1].split(".png")[0]

    forged = httpx.get(re.sub(r"Signature=\w+", "Signature=" + "0" * 64, url))
    longer = httpx.get(re.sub(r"Expires=(\d+)", lambda m: f"Expires={int(m[1]) + 3600}", url))
    unknown = httpx.get(url.replace(token, "x" * len(token)))

    assert forged.status_code == longer.status_code == 403
    assert unknown.status_code == 404


def test_task_result_links_expire_ttl_after_the_task_ends(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(result_ttl_seconds=100.0)
    task_id = emulator.submit_ok(body())
    url = image_urls(emulator.finish(task_id))[0]

    expires = int(re.search(r"Expires=(\d+)", url)[1])  # type: ignore[index]

    assert expires == int(emulator.clock.now + 100.0)


# --- faults -----------------------------------------------------------------------------------


def test_moderation_fault_refuses_the_submission(emulator: Emulator) -> None:
    response = emulator.submit(body("a cat [fault:moderation]"))

    assert response.status_code == 400
    assert response.json()["code"] == "DataInspectionFailed"
    assert emulator.stats()["tasks_created"] == 0


def test_configured_moderation_fault_applies_to_every_request(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(faults=frozenset({"moderation"}))

    assert emulator.generate(body()).json()["code"] == "DataInspectionFailed"


def test_task_failed_fault_ends_the_task_failed(emulator: Emulator) -> None:
    task_id = emulator.submit_ok(body("a cat [fault:task_failed]"))

    answer = emulator.finish(task_id)

    assert answer["output"]["task_status"] == "FAILED"
    assert answer["output"]["code"] == "InternalError.Algo"
    assert answer["output"]["message"]
    assert answer["output"]["finished"] is True
    assert "usage" not in answer and "choices" not in answer["output"]


def test_http500_fault_answers_500_and_creates_nothing(emulator: Emulator) -> None:
    response = emulator.submit(body("a cat [fault:http500]"))

    assert response.status_code == 500
    assert response.json()["code"] == "InternalError"
    assert emulator.stats()["tasks_created"] == 0


def test_drop_fault_closes_the_connection_but_creates_the_task(emulator: Emulator) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        emulator.submit(body("a cat [fault:drop]"))

    stats = emulator.stats()
    assert stats["tasks_created"] == 1
    assert stats["by_prompt"] == {"a cat [fault:drop]": 1}
    assert stats["drops"] == 1


def test_slow_download_fault_trickles_the_whole_image(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(slow_download_chunks=4, slow_download_pause_seconds=0.05)
    url = emulator.image_urls(body("a cat [fault:slow_download]"))[0]

    started = time.monotonic()
    data = emulator.download(url)

    assert time.monotonic() - started >= 0.15
    assert open_png(data).size == (1024, 1024)


def test_truncated_download_fault_sends_less_than_promised(emulator: Emulator) -> None:
    url = emulator.image_urls(body("a cat [fault:truncated_download]"))[0]

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url)


def test_expired_url_fault_gives_links_that_are_already_expired(emulator: Emulator) -> None:
    task_id = emulator.submit_ok(body("a cat [fault:expired_url]"))
    url = image_urls(emulator.finish(task_id))[0]

    response = httpx.get(url)

    assert response.status_code == 403
    assert "Request has expired" in response.text


def test_partial_fault_succeeds_with_fewer_images(emulator: Emulator) -> None:
    task_id = emulator.submit_ok(body("a cat [fault:partial]", n=4))

    answer = emulator.finish(task_id)

    assert answer["output"]["task_status"] == "SUCCEEDED"
    assert 1 <= answer["usage"]["image_count"] < 4
    assert len(image_urls(answer)) == answer["usage"]["image_count"]


# --- throttling -------------------------------------------------------------------------------


def test_submissions_over_the_rate_are_throttled(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(max_submissions_per_second=2, retry_after_seconds=1)
    assert emulator.submit(body()).status_code == 200
    assert emulator.generate(body()).status_code == 200

    refused = emulator.submit(body())

    assert refused.status_code == 429
    assert refused.json()["code"] == "Throttling.RateQuota"
    assert refused.headers["Retry-After"] == "1"
    emulator.clock.advance(1.0)
    assert emulator.submit(body()).status_code == 200


def test_too_many_tasks_in_progress_are_throttled(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(max_concurrent_tasks=2)
    emulator.submit_ok(body())
    emulator.submit_ok(body())

    refused = emulator.submit(body())

    assert refused.status_code == 429
    assert refused.json()["code"] == "Throttling"
    emulator.clock.advance(5.0)
    assert emulator.submit(body()).status_code == 200


# --- the task list (its rules: test_emulator_task_list.py) ------------------------------------


def list_tasks(emulator: Emulator, **params: object) -> dict[str, Any]:
    return emulator.task_list(**params)


# --- submit latency: the task exists before its id reaches the caller ----------------------------


def first_listed_row(emulator: Emulator) -> dict[str, Any]:
    """Ask for the task list until it shows a task (the list is the thing being observed)."""
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        rows = list_tasks(emulator)["data"]
        if rows:
            return dict(rows[0])
    raise AssertionError("no task was listed within 10 s")


def test_slow_submit_answers_after_its_task_is_already_listed(emulator: Emulator) -> None:
    assert emulator.configure(submit_latency_seconds=1.5).status_code == 200
    answers: list[httpx.Response] = []

    def submit() -> None:
        headers = {**ASYNC_HEADERS, "Authorization": f"Bearer {API_KEY}"}
        answers.append(httpx.post(emulator.url + ASYNC_PATH, json=body(), headers=headers, timeout=30))

    submitting = threading.Thread(target=submit)
    submitting.start()
    listed = first_listed_row(emulator)
    answered_before_listing = bool(answers)
    submitting.join(timeout=30)

    assert not answered_before_listing
    assert listed["status"] == "PENDING"
    assert answers[0].status_code == 200
    assert answers[0].json()["output"]["task_id"] == listed["task_id"]
    assert answers[0].json()["request_id"] == listed["request_id"]


def test_caller_that_gives_up_on_a_slow_submit_still_created_a_counted_task(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(submit_latency_seconds=30.0)

    with pytest.raises(httpx.ReadTimeout):
        emulator.http.post(ASYNC_PATH, json=body("given up"), headers=ASYNC_HEADERS, timeout=0.3)

    stats = emulator.stats()
    assert stats["tasks_created"] == 1
    assert stats["by_prompt"] == {"given up": 1}
    assert list_tasks(emulator)["total"] == 1


def test_submit_latency_comes_from_the_environment_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WAN_EMULATOR_SUBMIT_SECONDS", "2.5")

    assert config_from_command_line({}).submit_latency_seconds == 2.5


# --- counters and control ---------------------------------------------------------------------


def test_stats_count_tasks_queries_and_downloads(emulator: Emulator) -> None:
    first = emulator.submit_ok(body("a red fox"))
    emulator.submit_ok(body("a red fox"))
    emulator.submit_ok(body("a blue whale"))
    for _ in range(3):
        emulator.task(first)
    emulator.clock.advance(5.0)
    url = image_urls(emulator.task(first))[0]
    emulator.download(url)
    emulator.download(url)

    stats = emulator.stats()

    assert stats["tasks_created"] == 3
    assert stats["by_prompt"] == {"a red fox": 2, "a blue whale": 1}
    assert stats["task_queries"] == 4
    assert stats["task_queries_by_task"][first] == 4
    assert stats["max_task_queries_per_second"] == 3
    assert stats["downloads"] == 2
    assert list(stats["downloads_by_result"].values()) == [2]


def test_config_can_be_changed_at_run_time_and_reset(emulator: Emulator) -> None:
    assert emulator.configure(faults=["http500"], pending_seconds=0).status_code == 200
    assert emulator.submit(body()).status_code == 500

    bad = emulator.configure(faults=["no_such_fault"])
    assert bad.status_code == 400 and "no_such_fault" in bad.json()["message"]
    assert emulator.configure(pending_secs=1).status_code == 400

    httpx.post(emulator.server.root_url + "/emulator/reset")
    assert emulator.submit(body()).status_code == 200
    assert emulator.stats()["tasks_created"] == 1
    assert emulator.server.config.faults == frozenset()


# --- persistence and the command line ---------------------------------------------------------


def test_state_file_keeps_tasks_and_links_across_restarts(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    state_file = str(tmp_path / "emulator.json")
    first = start_emulator(state_file=state_file, pending_seconds=0.0, running_seconds=0.0)
    task_id = first.submit_ok(body("kept across restarts", images=[png_data_url(300, 300)]))
    first.server.shutdown()

    second = start_emulator(state_file=state_file, pending_seconds=0.0, running_seconds=0.0)
    answer = second.task(task_id)

    assert answer["output"]["task_status"] == "SUCCEEDED"
    assert open_png(second.download(image_urls(answer)[0])).size == (1024, 1024)


@pytest.mark.slow
@pytest.mark.parametrize(
    "program",
    [["-m", "studio.wan_emulator"], ["manage.py", "wan", "emulator"]],
    ids=["python -m studio.wan_emulator", "manage.py wan emulator"],
)
def test_command_line_serves_until_sigterm(program: list[str]) -> None:
    env = {**os.environ, "WAN_EMULATOR_PENDING_SECONDS": "0", "WAN_EMULATOR_RUNNING_SECONDS": "0"}
    command = [sys.executable, *program, "--port", "0", "--api-key", "sk-cli"]
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = re.search(r"http://\S+/api/v1", line)[0]  # type: ignore[index]
        response = httpx.post(
            base_url + ASYNC_PATH,
            json=body(),
            headers={**ASYNC_HEADERS, "Authorization": "Bearer sk-cli"},
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
