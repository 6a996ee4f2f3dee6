"""The real WanClient against the running emulator over real HTTP: issue 3's "Done when".

The emulator runs with a fake clock; tests move it between polls. Where the client would wait
before a retry, it is given a FakeSleep that records the wait (and may move the emulator's clock),
so nothing here sleeps to synchronise.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt (sizes, n, task statuses, error shape).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from PIL import Image

from studio.wan.capabilities import get_model, within_tolerance
from studio.wan.client import WanClient
from studio.wan.errors import (
    APIStatusError,
    AuthenticationError,
    ContentRejectedError,
    InvalidRequestError,
    RateLimitError,
    ServerError,
    SubmissionOutcomeUnknown,
)
from studio.wan.responses import TaskResult
from tests.emulator_fixtures import API_KEY, Emulator, FakeClock, body, open_png
from tests.images import png_data_url

UTC8 = timedelta(hours=8)


class FakeSleep:
    """Stands in for time.sleep inside the client: records each wait, may move the emulator's clock."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.waits: list[float] = []
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


@pytest.fixture
def connect() -> Iterator[Callable[..., WanClient]]:
    """connect(emulator, api_key=..., sleep=...) -> a WanClient on the emulator, closed at the end."""
    clients: list[WanClient] = []

    def make(
        target: Emulator, *, api_key: str = API_KEY, sleep: FakeSleep | None = None
    ) -> WanClient:
        clients.append(
            WanClient(api_key=api_key, base_url=target.url, max_retries=2, sleep=sleep or FakeSleep())
        )
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def wan(emulator: Emulator, connect: Callable[..., WanClient], fake_sleep: FakeSleep) -> WanClient:
    return connect(emulator, sleep=fake_sleep)


def run_task(emulator: Emulator, wan: WanClient, request: dict[str, object]) -> TaskResult:
    """Submit, move the clock past PENDING and RUNNING, and read the task once."""
    task_id = wan.submit(request).task_id
    config = emulator.server.config
    emulator.clock.advance(config.pending_seconds + config.running_seconds)
    return wan.get_task(task_id)


def at(clock: FakeClock) -> datetime:
    return datetime.fromtimestamp(clock.now, timezone.utc)


def png_size(emulator: Emulator, url: str) -> tuple[int, int]:
    return tuple(open_png(emulator.download(url)).size)  # type: ignore[return-value]


# --- success ----------------------------------------------------------------------------------


def test_sync_generation_returns_images_whose_pngs_have_the_reported_size(
    emulator: Emulator, wan: WanClient
) -> None:
    result = wan.generate(body(n=2, size="1280*720"))

    assert result.finished is True
    assert len(result.images) == 2
    assert result.usage.image_count == 2
    assert result.usage.size == "1280*720"
    assert result.request_id
    for url in result.images:
        assert png_size(emulator, url) == (result.usage.width, result.usage.height)


def test_async_task_is_polled_from_pending_through_running_to_succeeded(
    emulator: Emulator, wan: WanClient
) -> None:
    submitted_at = at(emulator.clock)
    submitted = wan.submit(body(n=2))
    assert submitted.task_status == "PENDING"
    assert submitted.request_id

    pending = wan.get_task(submitted.task_id)
    emulator.clock.advance(2.0)
    running = wan.get_task(submitted.task_id)
    emulator.clock.advance(3.0)
    done = wan.get_task(submitted.task_id)

    assert (pending.task_status, pending.finished, pending.is_terminal) == ("PENDING", False, False)
    assert (running.task_status, running.is_terminal) == ("RUNNING", False)
    assert running.scheduled_time == submitted_at + timedelta(seconds=2)
    assert done.succeeded and done.is_terminal and done.finished is True
    assert done.task_id == submitted.task_id
    assert len(done.images) == 2
    assert done.usage is not None and done.usage.image_count == 2 and done.usage.size == "1024*1024"
    assert done.code is None and done.message is None
    for moment in (done.submit_time, done.scheduled_time, done.end_time):
        assert moment is not None and moment.utcoffset() == UTC8
    assert done.submit_time == submitted_at
    assert done.end_time == submitted_at + timedelta(seconds=5)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_n_images_come_back_as_n_distinct_links(emulator: Emulator, wan: WanClient, n: int) -> None:
    task = run_task(emulator, wan, body(n=n))

    assert len(set(task.images)) == n
    assert task.usage is not None and task.usage.image_count == n


def has_frame_label(image: Image.Image) -> bool:
    """The emulator labels each frame of an image set ("Frame 2 of 4") on a dark plate in the
    bottom-left corner; a plain image has only its gradient there."""
    unit = max(10, min(image.size) // 40)
    margin = unit // 2
    return image.getpixel((margin - 1, image.height - margin - unit // 2)) == (0x1C, 0x1C, 0x1E)


@pytest.mark.parametrize("n", [2, 5])
def test_image_set_gives_at_most_n_distinct_frames(emulator: Emulator, wan: WanClient, n: int) -> None:
    request = body("the same cat through the seasons", n=n, enable_sequential=True)
    task = run_task(emulator, wan, request)
    single = open_png(emulator.download(wan.generate(body("one picture")).images[0]))

    frames = [emulator.download(url) for url in task.images]

    assert 1 <= len(frames) <= n
    assert task.usage is not None and task.usage.image_count == len(frames)
    assert len(set(frames)) == len(frames)
    assert all(open_png(frame).size == (1024, 1024) for frame in frames)
    assert all(has_frame_label(open_png(frame)) for frame in frames)
    assert not has_frame_label(single)


# --- size rules, checked on the downloaded PNG ------------------------------------------------


@pytest.mark.parametrize(
    ("model", "preset", "side"),
    [
        ("wan2.7-image", "1K", 1024),
        ("wan2.7-image", "2K", 2048),
        ("wan2.7-image-pro", "1K", 1024),
        ("wan2.7-image-pro", "2K", 2048),
        ("wan2.7-image-pro", "4K", 4096),
    ],
)
def test_text_to_image_presets_are_squares_of_the_documented_pixels(
    emulator: Emulator, wan: WanClient, model: str, preset: str, side: int
) -> None:
    result = wan.generate(body(model=model, size=preset))

    assert png_size(emulator, result.images[0]) == (side, side)
    assert (result.usage.width, result.usage.height) == (side, side)


@pytest.mark.parametrize(
    ("model", "images"),
    [("wan2.7-image", []), ("wan2.7-image-pro", [(600, 400)])],
)
def test_4k_is_refused_outside_pro_text_to_image(
    wan: WanClient, model: str, images: list[tuple[int, int]]
) -> None:
    request = body(model=model, size="4K", images=[png_data_url(w, h) for w, h in images])

    with pytest.raises(InvalidRequestError) as caught:
        wan.generate(request)

    assert caught.value.code == "InvalidParameter"


@pytest.mark.parametrize(
    ("inputs", "preset", "total"),
    [
        ([(600, 300)], "1K", 1024 * 1024),
        ([(400, 400), (300, 900)], "2K", 2048 * 2048),
        ([(1200, 300), (500, 400)], "1K", 1024 * 1024),
    ],
)
def test_edit_output_takes_the_last_images_aspect_at_the_preset_pixels(
    emulator: Emulator,
    wan: WanClient,
    inputs: list[tuple[int, int]],
    preset: str,
    total: int,
) -> None:
    request = body("make it blue", images=[png_data_url(w, h) for w, h in inputs], size=preset)
    width, height = inputs[-1]
    asked = (round(math.sqrt(total * width / height)), round(math.sqrt(total * height / width)))

    result = wan.generate(request)
    got = png_size(emulator, result.images[0])

    assert within_tolerance(get_model("wan2.7-image"), asked, got)
    assert got == (result.usage.width, result.usage.height)


@pytest.mark.parametrize(
    ("model", "inputs", "size"),
    [
        ("wan2.7-image", [], "1280*720"),
        ("wan2.7-image-pro", [], "3000*1500"),
        ("wan2.7-image", [(600, 300)], "1024*768"),
    ],
)
def test_width_by_height_is_delivered_exactly(
    emulator: Emulator, wan: WanClient, model: str, inputs: list[tuple[int, int]], size: str
) -> None:
    request = body(model=model, images=[png_data_url(w, h) for w, h in inputs], size=size)

    result = wan.generate(request)

    width, height = (int(side) for side in size.split("*"))
    assert png_size(emulator, result.images[0]) == (width, height)


# --- injected faults --------------------------------------------------------------------------


def test_moderation_raises_a_permanent_content_rejection(emulator: Emulator, wan: WanClient) -> None:
    for call in (wan.submit, wan.generate):
        with pytest.raises(ContentRejectedError) as caught:
            call(body("a cat [fault:moderation]"))

        assert caught.value.permanent
        assert caught.value.code == "DataInspectionFailed"
        assert caught.value.status_code == 400
        assert caught.value.request_id
    assert emulator.stats()["tasks_created"] == 0


def test_task_failed_ends_as_a_failed_task_with_code_and_message(
    emulator: Emulator, wan: WanClient
) -> None:
    task = run_task(emulator, wan, body("a cat [fault:task_failed]"))

    assert task.task_status == "FAILED"
    assert task.is_terminal and not task.succeeded
    assert task.code == "InternalError.Algo"
    assert task.message
    assert task.images == ()


def test_http500_raises_server_error_unretried_and_creates_no_task(
    emulator: Emulator, wan: WanClient, fake_sleep: FakeSleep
) -> None:
    with pytest.raises(ServerError) as caught:
        wan.submit(body("a cat [fault:http500]"))

    assert caught.value.status_code == 500
    assert caught.value.code == "InternalError"
    stats = emulator.stats()
    assert stats["tasks_created"] == 0
    assert stats["errors_by_code"] == {"InternalError": 1}
    assert fake_sleep.waits == []


def test_dropped_answer_is_an_unknown_outcome_and_exactly_one_task_exists(
    emulator: Emulator, wan: WanClient, fake_sleep: FakeSleep
) -> None:
    with pytest.raises(SubmissionOutcomeUnknown) as caught:
        wan.submit(body("a cat [fault:drop]"))

    assert caught.value.request_sent_at.tzinfo is not None
    stats = emulator.stats()
    assert stats["tasks_created"] == 1
    assert stats["drops"] == 1
    assert fake_sleep.waits == []


def test_partial_fault_succeeds_with_fewer_images_than_n(emulator: Emulator, wan: WanClient) -> None:
    task = run_task(emulator, wan, body("a cat [fault:partial]", n=4))

    assert task.succeeded
    assert 1 <= len(task.images) < 4
    assert task.usage is not None and task.usage.image_count == len(task.images)


def test_expired_url_fault_gives_a_result_link_that_answers_403(
    emulator: Emulator, wan: WanClient
) -> None:
    task = run_task(emulator, wan, body("a cat [fault:expired_url]"))

    response = httpx.get(task.images[0])

    assert task.succeeded
    assert response.status_code == 403
    assert "Request has expired" in response.text


def test_slow_download_trickles_in_the_whole_png(
    start_emulator: Callable[..., Emulator], connect: Callable[..., WanClient]
) -> None:
    emulator = start_emulator(slow_download_chunks=4, slow_download_pause_seconds=0.05)
    result = connect(emulator).generate(body("a cat [fault:slow_download]"))

    started = time.monotonic()
    size = png_size(emulator, result.images[0])

    assert time.monotonic() - started >= 3 * 0.05
    assert size == (result.usage.width, result.usage.height)


def test_truncated_download_sends_less_than_it_promises(emulator: Emulator, wan: WanClient) -> None:
    result = wan.generate(body("a cat [fault:truncated_download]"))
    received = bytearray()

    with pytest.raises(httpx.RemoteProtocolError):
        with httpx.stream("GET", result.images[0]) as response:
            promised = int(response.headers["Content-Length"])
            for chunk in response.iter_raw():
                received += chunk

    assert 0 < len(received) < promised


# --- throttling -------------------------------------------------------------------------------


def test_throttled_submission_raises_rate_limit_error_after_the_clients_retries(
    start_emulator: Callable[..., Emulator], connect: Callable[..., WanClient]
) -> None:
    emulator = start_emulator(max_submissions_per_second=1)
    waits = FakeSleep()  # the emulator's clock stands still: every retry is throttled again
    wan = connect(emulator, sleep=waits)
    wan.submit(body())

    with pytest.raises(RateLimitError) as caught:
        wan.submit(body())

    assert caught.value.code == "Throttling.RateQuota"
    assert caught.value.status_code == 429
    assert not caught.value.permanent
    stats = emulator.stats()
    assert stats["errors_by_code"] == {"Throttling.RateQuota": 3}  # the request and 2 retries
    assert stats["tasks_created"] == 1
    assert len(waits.waits) == 2


def test_throttled_submission_succeeds_once_the_window_has_passed(
    start_emulator: Callable[..., Emulator], connect: Callable[..., WanClient]
) -> None:
    emulator = start_emulator(max_submissions_per_second=1, retry_after_seconds=1)
    waits = FakeSleep(emulator.clock)  # waiting moves the emulator's clock on
    wan = connect(emulator, sleep=waits)
    wan.submit(body())

    second = wan.submit(body())

    assert second.task_status == "PENDING"
    assert waits.waits == [1.0]  # the Retry-After the emulator sent
    stats = emulator.stats()
    assert stats["tasks_created"] == 2
    assert stats["errors_by_code"] == {"Throttling.RateQuota": 1}


# --- cancel and unknown tasks -----------------------------------------------------------------


def test_pending_task_is_canceled(emulator: Emulator, wan: WanClient) -> None:
    task_id = wan.submit(body()).task_id

    canceled = wan.cancel_task(task_id)
    emulator.clock.advance(10.0)

    assert canceled is not None and canceled.task_status == "CANCELED"
    later = wan.get_task(task_id)
    assert later.task_status == "CANCELED" and later.is_terminal and later.images == ()


def test_cancel_of_a_running_task_is_refused_with_unsupported_operation(
    emulator: Emulator, wan: WanClient, fake_sleep: FakeSleep
) -> None:
    task_id = wan.submit(body()).task_id
    emulator.clock.advance(2.5)

    with pytest.raises(APIStatusError) as caught:
        wan.cancel_task(task_id)

    assert caught.value.code == "UnsupportedOperation"
    assert caught.value.status_code == 400
    assert fake_sleep.waits == []
    emulator.clock.advance(5.0)
    assert wan.get_task(task_id).succeeded


def test_unknown_task_id_reads_as_unknown(wan: WanClient) -> None:
    task = wan.get_task(str(uuid.uuid4()))

    assert task.task_status == "UNKNOWN"
    assert task.is_terminal


def test_task_older_than_the_task_ttl_reads_as_unknown(
    start_emulator: Callable[..., Emulator], connect: Callable[..., WanClient]
) -> None:
    emulator = start_emulator(task_ttl_seconds=60.0)
    wan = connect(emulator)
    task_id = wan.submit(body()).task_id
    emulator.clock.advance(59.0)
    assert wan.get_task(task_id).succeeded

    emulator.clock.advance(2.0)

    assert wan.get_task(task_id).task_status == "UNKNOWN"


# --- authentication ---------------------------------------------------------------------------


def test_invalid_key_raises_a_permanent_authentication_error_without_retries(
    emulator: Emulator, connect: Callable[..., WanClient]
) -> None:
    waits = FakeSleep()
    wan = connect(emulator, api_key="sk-not-a-key", sleep=waits)
    calls: list[Callable[[], object]] = [
        lambda: wan.submit(body()),
        lambda: wan.generate(body()),
        lambda: wan.get_task("some-task"),
    ]

    for call in calls:
        with pytest.raises(AuthenticationError) as caught:
            call()
        assert caught.value.permanent
        assert caught.value.code == "InvalidApiKey"
        assert caught.value.status_code == 401
        assert "sk-not-a-key" not in str(caught.value)

    assert emulator.stats()["errors_by_code"] == {"InvalidApiKey": 3}
    assert waits.waits == []


# --- the task list ----------------------------------------------------------------------------


def test_list_tasks_returns_the_windows_tasks_of_one_model_across_pages(
    emulator: Emulator, wan: WanClient
) -> None:
    pro = "wan2.7-image-pro"
    wan.submit(body("before the window", model=pro))
    emulator.clock.advance(60.0)
    start = at(emulator.clock)
    inside = []
    for i in range(3):
        inside.append(wan.submit(body(f"inside {i}", model=pro)).task_id)
        emulator.clock.advance(1.0)
    wan.submit(body("another model", model="wan2.7-image"))
    end = at(emulator.clock)
    emulator.clock.advance(60.0)
    wan.submit(body("after the window", model=pro))

    listed = wan.list_tasks(start=start, end=end, model=pro, page_size=2)

    assert [task.task_id for task in listed] == inside[::-1]
    assert {task.model for task in listed} == {pro}
    assert all(task.created_at is not None and start <= task.created_at <= end for task in listed)
    assert emulator.stats()["task_list_queries"] == 2  # two pages of two


def test_list_tasks_passes_every_filter(emulator: Emulator, wan: WanClient) -> None:
    # Reference: "Asynchronous task management API", batch query — task_id, model_name, status;
    # https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks
    pro = "wan2.7-image-pro"
    done = wan.submit(body("done", model=pro)).task_id
    emulator.clock.advance(5.0)
    pending = wan.submit(body("pending", model=pro)).task_id
    other_model = wan.submit(body("another model")).task_id

    assert [t.task_id for t in wan.list_tasks(status="SUCCEEDED")] == [done]
    assert [t.task_id for t in wan.list_tasks(model=pro, status="PENDING")] == [pending]
    assert [t.task_id for t in wan.list_tasks(task_id=done)] == [done]
    # Without times the provider answers its default window, the last 24 hours.
    assert {t.task_id for t in wan.list_tasks()} == {done, pending, other_model}


def test_list_tasks_reads_every_page_at_the_size_the_provider_echoes(
    start_emulator: Callable[..., Emulator], connect: Callable[..., WanClient]
) -> None:
    # The reference documents no page_size maximum: this provider serves 10 when asked for 100.
    emulator = start_emulator(max_list_page_size=10)
    wan = connect(emulator)
    made = []
    for i in range(25):
        made.append(wan.submit(body(f"Tile {i}")).task_id)
        emulator.clock.advance(1.0)

    listed = wan.list_tasks(page_size=100)

    assert [task.task_id for task in listed] == made[::-1]
    assert emulator.stats()["task_list_queries"] == 3


def test_list_tasks_over_more_than_24_hours_is_refused(emulator: Emulator, wan: WanClient) -> None:
    end = at(emulator.clock)

    with pytest.raises(InvalidRequestError) as caught:
        wan.list_tasks(start=end - timedelta(hours=24, seconds=1), end=end)

    assert caught.value.code == "InvalidParameter"
    assert "at most 24 hours per query" in caught.value.message


def test_dropped_submission_is_found_again_in_the_task_list(emulator: Emulator, wan: WanClient) -> None:
    start = at(emulator.clock)
    with pytest.raises(SubmissionOutcomeUnknown):
        wan.submit(body("lost answer [fault:drop]"))

    (found,) = wan.list_tasks(start=start, end=at(emulator.clock))

    assert found.task_status == "PENDING"
    emulator.clock.advance(5.0)
    assert wan.get_task(found.task_id).succeeded
