"""The emulator's task list (GET /tasks) and the account's task-query rate, rule by rule, over HTTP.

Not in the seed documents. Reference: "Asynchronous task management API", batch query of task
statuses — https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks; its
parameter table is in the Chinese original,
https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks:
account-wide; start_time / end_time YYYYMMDDhhmmss, the last 24 hours by default and at most 24
hours apart; task_id, model_name and status filters; page_no (1) and page_size (10); rows carry
start_time / end_time only once the task has them; 20 queries a second per account.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from studio.wan_emulator.config import config_from_command_line
from studio.wan_emulator.tasklist import api_key_id
from studio.wan.responses import parse_task_list_page
from tests.emulator_fixtures import API_KEY, ASYNC_HEADERS, ASYNC_PATH, Emulator, body

UTC8 = timezone(timedelta(hours=8))
HOUR = 3600.0
# alice's key and bob's key belong to one account (the default); mallory's to another.
BOB_KEY = "sk-bob"
MALLORY_KEY = "sk-mallory"
T0 = datetime(2026, 3, 31, 11, 0, 0, tzinfo=timezone.utc)


def utc8(moment: datetime) -> str:
    return moment.astimezone(UTC8).strftime("%Y%m%d%H%M%S")


def hours_after_t0(hours: float) -> str:
    return utc8(T0 + timedelta(hours=hours))


def two_accounts(start: Callable[..., Emulator], **settings: Any) -> Emulator:
    return start(
        api_keys=frozenset({API_KEY, BOB_KEY, MALLORY_KEY}), accounts={MALLORY_KEY: "elsewhere"}, **settings
    )


def submit_as(emulator: Emulator, api_key: str, request: dict[str, Any]) -> str:
    headers = {**ASYNC_HEADERS, "Authorization": f"Bearer {api_key}"}
    response = httpx.post(emulator.url + ASYNC_PATH, json=request, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["output"]["task_id"])


def ids(answer: dict[str, Any]) -> list[str]:
    return [row["task_id"] for row in answer["data"]]


def tasks_at(emulator: Emulator, hours: list[float]) -> dict[float, str]:
    """One task at each of these hours after T0 (the clock ends at the last one)."""
    made = {}
    for hour in hours:
        emulator.clock.now = (T0 + timedelta(hours=hour)).timestamp()
        made[hour] = emulator.submit_ok(body(f"made at T0+{hour}h"))
    return made


# --- whose tasks --------------------------------------------------------------------------------


def test_the_list_shows_every_task_of_the_account_whichever_key_made_it(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = two_accounts(start_emulator)
    alices = emulator.submit_ok(body("alice's"))
    emulator.clock.advance(1.0)
    bobs = submit_as(emulator, BOB_KEY, body("bob's", model="wan2.7-image-pro"))
    mallorys = submit_as(emulator, MALLORY_KEY, body("another account's"))

    seen_by_alice = emulator.task_list(API_KEY)
    seen_by_bob = emulator.task_list(BOB_KEY)
    seen_by_mallory = emulator.task_list(MALLORY_KEY)

    assert ids(seen_by_alice) == ids(seen_by_bob) == [bobs, alices]
    assert ids(seen_by_mallory) == [mallorys]
    # Each row says which key made it, by an id, never by the key.
    assert [row["api_key_id"] for row in seen_by_alice["data"]] == [api_key_id(BOB_KEY), api_key_id(API_KEY)]
    assert BOB_KEY not in json.dumps(seen_by_alice) and API_KEY not in json.dumps(seen_by_bob)


def test_a_row_is_shaped_as_the_reference_shows_it(emulator: Emulator) -> None:
    submitted = emulator.submit(body(model="wan2.7-image-pro")).json()

    answer = emulator.task_list()

    assert (answer["total"], answer["total_page"], answer["page_no"], answer["page_size"]) == (1, 1, 1, 10)
    assert isinstance(answer["request_id"], str) and answer["request_id"]
    assert answer["data"] == [
        {
            "api_key_id": api_key_id(API_KEY),
            "task_id": submitted["output"]["task_id"],
            "status": "PENDING",
            "model_name": "wan2.7-image-pro",
            "gmt_create": int(emulator.clock.now * 1000),
            "request_id": submitted["request_id"],
            "region": "emulator",
            "user_api_unique_key": "apikey:v1:aigc:image-generation:generation:wan2.7-image-pro",
        }
    ]


def test_start_and_end_times_are_left_out_until_the_task_has_them(emulator: Emulator) -> None:
    submitted_at = emulator.clock.now
    running = emulator.submit_ok(body("runs"))
    canceled = emulator.submit_ok(body("canceled"))
    assert emulator.http.post(f"/tasks/{canceled}/cancel").status_code == 200

    def row(task_id: str) -> dict[str, Any]:
        (found,) = emulator.task_list(task_id=task_id)["data"]
        return dict(found)

    pending = row(running)
    emulator.clock.advance(2.0)  # PENDING for 2 s, then RUNNING for 3 s
    started = row(running)
    emulator.clock.advance(3.0)
    finished = row(running)

    assert "start_time" not in pending and "end_time" not in pending
    assert started["start_time"] == int((submitted_at + 2.0) * 1000) and "end_time" not in started
    assert (finished["start_time"], finished["end_time"]) == (
        int((submitted_at + 2.0) * 1000),
        int((submitted_at + 5.0) * 1000),
    )
    # A canceled task ended without ever starting.
    assert "start_time" not in row(canceled) and row(canceled)["end_time"] == int(submitted_at * 1000)
    assert all(None not in r.values() for r in (pending, started, finished, row(canceled)))


# --- the time window --------------------------------------------------------------------------


def test_without_times_the_list_covers_the_last_24_hours(start_emulator: Callable[..., Emulator]) -> None:
    # Tasks are kept 72 hours here, so only the window (not the task TTL) can leave one out.
    emulator = start_emulator(task_ttl_seconds=72 * HOUR)
    made = tasks_at(emulator, [0, 2])
    emulator.clock.advance(23 * HOUR)  # T0+25h: the first task is 25 hours old, the second 23

    assert ids(emulator.task_list()) == [made[2]]


def test_with_only_an_end_time_the_list_covers_the_24_hours_before_it(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(task_ttl_seconds=72 * HOUR)
    made = tasks_at(emulator, [0, 10, 30, 31])

    answer = emulator.task_list(end_time=hours_after_t0(30))

    assert ids(answer) == [made[30], made[10]]


def test_with_only_a_start_time_the_list_covers_the_24_hours_after_it(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(task_ttl_seconds=72 * HOUR)
    made = tasks_at(emulator, [0, 1, 10, 25, 26])

    answer = emulator.task_list(start_time=hours_after_t0(1))

    assert ids(answer) == [made[25], made[10], made[1]]


def test_start_and_end_may_be_24_hours_apart_and_no_more(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(task_ttl_seconds=72 * HOUR)
    made = tasks_at(emulator, [0, 24])

    whole_day = emulator.task_list(start_time=hours_after_t0(0), end_time=hours_after_t0(24))
    refused = emulator.http.get(
        "/tasks", params={"start_time": hours_after_t0(0), "end_time": utc8(T0 + timedelta(hours=24, seconds=1))}
    )

    assert ids(whole_day) == [made[24], made[0]]
    assert refused.status_code == 400
    assert refused.json()["code"] == "InvalidParameter"
    message = refused.json()["message"]
    assert "start_time and end_time are 24.0003 hours apart" in message
    assert "at most 24 hours per query" in message


def test_the_window_is_read_as_utc8_seconds_and_filters_by_model(emulator: Emulator) -> None:
    emulator.clock.now = T0.timestamp()
    emulator.submit_ok(body("too early"))
    emulator.clock.advance(60.0)
    inside = emulator.submit_ok(body("inside", model="wan2.7-image-pro"))
    emulator.clock.advance(60.0)
    # A dropped submission: its id never came back, the list is where it is found again.
    with pytest.raises(httpx.RemoteProtocolError):
        emulator.submit(body("dropped at the window's last second [fault:drop]"))
    emulator.clock.advance(1.0)
    emulator.submit_ok(body("too late"))
    window = {"start_time": utc8(T0 + timedelta(seconds=30)), "end_time": utc8(T0 + timedelta(seconds=120))}
    assert window["start_time"] == "20260331190030"

    in_window = emulator.task_list(**window)["data"]
    pro_only = emulator.task_list(**window, model_name="wan2.7-image-pro")["data"]

    assert [row["model_name"] for row in in_window] == ["wan2.7-image", "wan2.7-image-pro"]
    assert in_window[1]["task_id"] == inside
    assert [row["task_id"] for row in pro_only] == [inside]


# --- filters ------------------------------------------------------------------------------------


def test_a_task_id_lists_only_that_task(emulator: Emulator) -> None:
    first = emulator.submit_ok(body("first"))
    emulator.submit_ok(body("second"))

    answer = emulator.task_list(task_id=first)

    assert ids(answer) == [first]
    assert answer["total"] == 1
    assert emulator.task_list(task_id="no-such-task")["data"] == []


def test_the_status_filter_lists_tasks_in_that_status(emulator: Emulator) -> None:
    done = emulator.submit_ok(body())
    emulator.clock.advance(5.0)
    pending = emulator.submit_ok(body())

    assert ids(emulator.task_list(status="SUCCEEDED")) == [done]
    assert ids(emulator.task_list(status="PENDING")) == [pending]
    assert ids(emulator.task_list(status="FAILED")) == []


def test_a_task_older_than_the_task_ttl_is_not_listed(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(task_ttl_seconds=60.0)
    emulator.submit_ok(body())
    emulator.clock.advance(61.0)

    assert emulator.task_list()["total"] == 0


# --- paging -------------------------------------------------------------------------------------


def test_a_page_holds_10_tasks_unless_asked_otherwise(emulator: Emulator) -> None:
    for i in range(12):
        emulator.submit_ok(body(f"Tile {i}"))

    answer = emulator.task_list()

    assert len(answer["data"]) == 10
    assert (answer["total"], answer["total_page"], answer["page_no"], answer["page_size"]) == (12, 2, 1, 10)


def test_a_bigger_page_than_the_cap_is_served_at_the_cap_and_says_so(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = start_emulator(max_list_page_size=10)
    created = []
    for i in range(25):
        created.append(emulator.submit_ok(body(f"Tile {i}")))
        emulator.clock.advance(1.0)

    pages = [emulator.task_list(page_no=page, page_size=100) for page in (1, 2, 3, 4)]

    assert {page["page_size"] for page in pages} == {10}
    assert [len(page["data"]) for page in pages] == [10, 10, 5, 0]
    assert {(page["total"], page["total_page"]) for page in pages} == {(25, 3)}
    assert [row["task_id"] for page in pages for row in page["data"]] == created[::-1]


def test_the_page_cap_can_be_changed_at_run_time(emulator: Emulator) -> None:
    for i in range(4):
        emulator.submit_ok(body(f"Tile {i}"))

    assert emulator.configure(max_list_page_size=3).status_code == 200
    answer = emulator.task_list(page_size=50)

    assert (len(answer["data"]), answer["page_size"], answer["total_page"]) == (3, 3, 2)
    assert emulator.configure(max_list_page_size=0).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"start_time": "2026-03-31 19:00:00"},
        {"end_time": "20261399000000"},
        {"start_time": "20260331190001", "end_time": "20260331190000"},
        {"status": "DONE"},
        {"page_no": "0"},
        {"page_size": "0"},
        {"page_size": "ten"},
    ],
)
def test_malformed_parameters_are_refused_by_name(emulator: Emulator, params: dict[str, str]) -> None:
    response = emulator.http.get("/tasks", params=params)

    assert response.status_code == 400
    assert response.json()["code"] == "InvalidParameter"
    assert next(iter(params)) in response.json()["message"]


def test_the_answer_is_what_the_studio_parses(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(max_list_page_size=10)
    answer = emulator.submit(body(model="wan2.7-image-pro")).json()

    page = parse_task_list_page(emulator.task_list(page_size=100))

    assert (page.page_no, page.page_size, page.total, page.total_page) == (1, 10, 1, 1)
    (listed,) = page.tasks
    assert listed.task_id == answer["output"]["task_id"]
    assert listed.request_id == answer["request_id"]
    assert (listed.model, listed.task_status) == ("wan2.7-image-pro", "PENDING")
    assert listed.created_at is not None and listed.created_at.timestamp() == emulator.clock.now


# --- the account's query rate -------------------------------------------------------------------


def query(emulator: Emulator, path: str, api_key: str) -> httpx.Response:
    return emulator.http.get(path, headers={"Authorization": f"Bearer {api_key}"})


def test_list_and_single_task_queries_share_the_accounts_20_a_second(
    start_emulator: Callable[..., Emulator],
) -> None:
    emulator = two_accounts(start_emulator)
    task_id = emulator.submit_ok(body())

    served = [query(emulator, f"/tasks/{task_id}", API_KEY) for _ in range(10)]
    served += [query(emulator, "/tasks", BOB_KEY) for _ in range(10)]
    refused = query(emulator, f"/tasks/{task_id}", API_KEY)
    other_account = query(emulator, "/tasks", MALLORY_KEY)
    emulator.clock.advance(1.0)
    a_second_later = query(emulator, f"/tasks/{task_id}", API_KEY)

    assert {response.status_code for response in served} == {200}
    assert refused.status_code == 429
    assert refused.json()["code"] == "Throttling.RateQuota"
    assert refused.json()["message"] == "Requests rate limit exceeded, please try again later."
    assert other_account.status_code == 200 and a_second_later.status_code == 200
    stats = emulator.stats()
    assert stats["max_task_queries_per_second_by_account"] == {"default": 21, "elsewhere": 1}
    assert stats["max_task_queries_per_second_by_key"] == {API_KEY: 11, BOB_KEY: 10, MALLORY_KEY: 1}
    assert stats["max_task_queries_per_second"] == 21
    assert stats["errors_by_code"] == {"Throttling.RateQuota": 1}
    # The refused query was not answered, so it is not counted as a task query.
    assert stats["task_queries"] == 11 and stats["task_list_queries"] == 11


def test_the_query_rate_is_a_setting(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(max_task_queries_per_second=2, retry_after_seconds=1)

    answers = [query(emulator, "/tasks", API_KEY) for _ in range(3)]
    assert emulator.configure(max_task_queries_per_second=None).status_code == 200
    unlimited = [query(emulator, "/tasks", API_KEY) for _ in range(30)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["Retry-After"] == "1"
    assert {a.status_code for a in unlimited} == {200}


# --- accounts as settings -----------------------------------------------------------------------


def test_accounts_are_a_runtime_setting(start_emulator: Callable[..., Emulator]) -> None:
    emulator = start_emulator(api_keys=frozenset({API_KEY, BOB_KEY}))
    bobs = submit_as(emulator, BOB_KEY, body("bob's"))
    assert ids(emulator.task_list(API_KEY)) == [bobs]

    assert emulator.configure(accounts={BOB_KEY: "bobs-own"}).status_code == 200

    assert ids(emulator.task_list(API_KEY)) == []
    assert ids(emulator.task_list(BOB_KEY)) == [bobs]
    assert emulator.configure(accounts=["not", "a", "mapping"]).status_code == 400


def test_the_command_line_reads_accounts_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAN_EMULATOR_ACCOUNTS", "sk-a=team-1, sk-b=team-1,sk-c=team-2")

    config = config_from_command_line({"api_keys": ["sk-a", "sk-b", "sk-c", "sk-d"]})

    assert [config.account_of(k) for k in ("sk-a", "sk-b", "sk-c", "sk-d")] == [
        "team-1",
        "team-1",
        "team-2",
        "default",
    ]
    monkeypatch.setenv("WAN_EMULATOR_ACCOUNTS", "sk-a")
    with pytest.raises(ValueError, match="key=account pairs"):
        config_from_command_line({})
