"""Alibaba's own Python SDK (`dashscope` on PyPI) runs its documented samples against the emulator.

A client nobody here wrote: whatever it sends, the emulator must take as the real service does.
The SDK is pointed at the emulator the way the samples point it at a region,
`dashscope.base_http_api_url = ...` (it reads that module attribute on every call).

The samples' shapes come from the public documentation:
  * ../shared/seeds/002_e63ba47cef0cee16.txt, "Python SDK": image editing (synchronous and
    asynchronous: async_call, wait, fetch, cancel) and image set generation with
    ImageGeneration; "Text-to-image" and the InvalidParameter error for the request shapes;
  * ../shared/seeds/000_ddfe7cc9c4930e90.txt: ImageSynthesis.async_call / wait / fetch / cancel
    for wan2.5-i2i-preview;
  * the task list: "Asynchronous task management API",
    https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks, called through
    the SDK's `list` (start_time, end_time, model_name, status, page_no, page_size).
The samples' public image URLs are replaced by base64 data URLs (the samples' "Method 3"), since
nothing here reaches the internet; their prompts and parameters are kept.

Real time, not a fake clock: the SDK's `wait` sleeps between polls (1 s at first), so the tasks
here are PENDING for 0.2 s and RUNNING for 0.3 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any

import dashscope
import httpx
import pytest
from dashscope import ImageSynthesis
from dashscope.aigc.image_generation import ImageGeneration
from dashscope.api_entities.dashscope_response import Message

from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.emulator_fixtures import API_KEY, open_png
from tests.images import png_data_url

UTC8 = timezone(timedelta(hours=8))
EDIT_PROMPT = "Spray the graffiti from image 2 onto the car in image 1"
CAT_SET_PROMPT = (
    "A cinematic image set documenting the same stray orange cat, with consistent features "
    "throughout. First image: Spring, the orange cat weaves through blooming cherry blossom trees. "
    "Second image: Summer, the orange cat cools off in the shade of a tree on an old street. Third "
    "image: Autumn, the orange cat walks on a carpet of golden fallen leaves. Fourth image: Winter, "
    "the orange cat leaves footprints in the snow."
)
CAR = png_data_url(1200, 800, "#aa3322")
PAINT = png_data_url(800, 800, "#22aa55")


@pytest.fixture
def start_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., EmulatorServer]]:
    """start(**EmulatorConfig fields) -> a real-clock emulator the SDK is pointed at."""
    started: list[EmulatorServer] = []

    def start(**settings: Any) -> EmulatorServer:
        settings.setdefault("pending_seconds", 0.2)
        settings.setdefault("running_seconds", 0.3)
        server = EmulatorServer(EmulatorConfig(**settings)).start()
        # As the samples do: dashscope.base_http_api_url = 'https://dashscope-intl.aliyuncs.com/api/v1'
        monkeypatch.setattr(dashscope, "base_http_api_url", server.url)
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()


@pytest.fixture
def emulator(start_emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    return start_emulator()


def edit_message() -> Message:
    return Message(role="user", content=[{"text": EDIT_PROMPT}, {"image": CAR}, {"image": PAINT}])


def images_of(rsp: Any) -> list[str]:
    return [item["image"] for item in rsp.output.choices[0].message.content]


def download_png_size(url: str) -> tuple[int, int]:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    return tuple(open_png(response.content).size)  # type: ignore[return-value]


def stats(server: EmulatorServer) -> dict[str, Any]:
    return dict(httpx.get(server.root_url + "/emulator/stats").json())


# --- ImageGeneration (wan2.7): the samples of seed 002 ------------------------------------------


def test_synchronous_image_edit(emulator: EmulatorServer) -> None:
    # Seed 002, "Image editing", "Synchronous call".
    rsp = ImageGeneration.call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[edit_message()], watermark=False, n=1, size="2K"
    )

    assert rsp.status_code == HTTPStatus.OK, (rsp.code, rsp.message)
    (url,) = images_of(rsp)
    assert rsp.output.finished is True
    assert rsp.usage["image_count"] == 1
    width, height = (int(side) for side in rsp.usage["size"].split("*"))
    assert download_png_size(url) == (width, height)
    # The SDK named itself on every request (X-DashScope-Sdk-Client), and was served.
    clients = stats(emulator)["requests_by_sdk_client"]
    assert list(clients) and all(name.startswith(f"python-sdk/{dashscope.__version__}") for name in clients)


def test_text_to_image(emulator: EmulatorServer) -> None:
    # Seed 002, "Text-to-image": its request (size 2K, n 1, watermark off, thinking mode),
    # made with the SDK's ImageGeneration.call like the other samples there.
    rsp = ImageGeneration.call(
        model="wan2.7-image-pro",
        api_key=API_KEY,
        messages=[
            Message(
                role="user",
                content=[{"text": "A flower shop with exquisite windows, a beautiful wooden door, and flowers on display"}],
            )
        ],
        size="2K",
        n=1,
        watermark=False,
        thinking_mode=True,
    )

    assert rsp.status_code == HTTPStatus.OK, (rsp.code, rsp.message)
    (url,) = images_of(rsp)
    assert download_png_size(url) == (2048, 2048)


def test_asynchronous_image_edit_with_wait_then_fetch(emulator: EmulatorServer) -> None:
    # Seed 002, "Image editing", "Asynchronous call": create_async_task, wait_for_completion,
    # fetch_task_status. async_call sends "parameters": {..., "is_async": true}.
    response = ImageGeneration.async_call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[edit_message()], watermark=False, n=1, size="2K"
    )
    assert response.status_code == 200, (response.code, response.message)
    assert response.output.task_status == "PENDING"

    status = ImageGeneration.wait(task=response, api_key=API_KEY)
    fetched = ImageGeneration.fetch(task=response.output.task_id, api_key=API_KEY)

    assert status.output.task_status == "SUCCEEDED"
    assert status.output.task_id == response.output.task_id
    assert len(images_of(status)) == 1 and status.usage["image_count"] == 1
    assert fetched.status_code == HTTPStatus.OK
    assert fetched.output.task_status == "SUCCEEDED" and images_of(fetched) == images_of(status)
    assert stats(emulator)["tasks_created"] == 1


def test_a_pending_task_is_canceled(start_emulator: Callable[..., EmulatorServer]) -> None:
    # Seed 002, "Asynchronous call", cancel_task: "Only tasks in the PENDING state can be canceled."
    start_emulator(pending_seconds=60.0)
    task = ImageGeneration.async_call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[edit_message()], watermark=False, n=1, size="2K"
    )

    response = ImageGeneration.cancel(task=task, api_key=API_KEY)
    again = ImageGeneration.cancel(task=task, api_key=API_KEY)
    status = ImageGeneration.wait(task=task, api_key=API_KEY)

    # The sample prints response.output.task_status, but the SDK's cancel returns a plain
    # DashScopeAPIResponse whose output is a dict (dashscope/client/base_api.py, BaseAsyncApi.cancel),
    # so the sample's attribute access raises whatever the service answers; the dict is read here.
    assert response.status_code == HTTPStatus.OK and response.output["task_status"] == "CANCELED"
    assert again.status_code == 400 and again.code == "UnsupportedOperation"
    assert status.output.task_status == "CANCELED"


def test_image_set_synchronous_and_asynchronous(emulator: EmulatorServer) -> None:
    # Seed 002, "Image set generation": the synchronous call, then the asynchronous one with wait.
    message = Message(role="user", content=[{"text": CAT_SET_PROMPT}])

    rsp = ImageGeneration.call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[message], enable_sequential=True, n=4, size="2K"
    )
    response = ImageGeneration.async_call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[message], enable_sequential=True, n=4, size="2K"
    )
    assert response.status_code == 200, (response.code, response.message)
    status = ImageGeneration.wait(task=response, api_key=API_KEY)

    assert rsp.status_code == HTTPStatus.OK, (rsp.code, rsp.message)
    assert len(images_of(rsp)) == 4 and rsp.usage["image_count"] == 4
    assert status.output.task_status == "SUCCEEDED"
    assert len(images_of(status)) == 4 and status.usage["image_count"] == 4


def test_an_invalid_parameter_comes_back_as_the_sdks_error_code_and_message(emulator: EmulatorServer) -> None:
    # Seed 002, "Task execution abnormal": {"code": "InvalidParameter", "message": ...}; the
    # samples print rsp.code and rsp.message when status_code is not 200.
    rsp = ImageGeneration.call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[edit_message()], n=5, size="2K"
    )
    task = ImageGeneration.async_call(
        model="wan2.7-image-pro", api_key=API_KEY, messages=[edit_message()], n=5, size="2K"
    )

    for answer in (rsp, task):
        assert answer.status_code == HTTPStatus.BAD_REQUEST
        assert answer.code == "InvalidParameter"
        assert "parameters.n" in answer.message
        assert answer.request_id
    assert stats(emulator)["tasks_created"] == 0


def test_a_wrong_key_is_refused_as_the_sdk_expects(emulator: EmulatorServer) -> None:
    rsp = ImageGeneration.call(model="wan2.7-image-pro", api_key="sk-not-a-key", messages=[edit_message()])

    assert (rsp.status_code, rsp.code) == (HTTPStatus.UNAUTHORIZED, "InvalidApiKey")


# --- ImageSynthesis (wan2.5-i2i-preview): the samples of seed 000 -------------------------------


def test_image_synthesis_async_call_wait_fetch_and_cancel(start_emulator: Callable[..., EmulatorServer]) -> None:
    # Seed 000, "Asynchronous request example": create_async_task, wait_async_task,
    # fetch_task_status, cancel_task (the SDK's image2image/image-synthesis endpoint).
    emulator = start_emulator()
    sample = {
        "api_key": API_KEY,
        "model": "wan2.5-i2i-preview",
        "prompt": "Place the alarm clock from Image 1 next to the vase on the dining table in Image 2.",
        "images": [png_data_url(1104, 1472), png_data_url(1696, 960, "#886644")],
        "negative_prompt": "",
        "n": 1,
        "prompt_extend": True,
        "watermark": False,
        "seed": 12345,
    }

    created = ImageSynthesis.async_call(**sample)
    assert created.status_code == HTTPStatus.OK, (created.code, created.message)
    done = ImageSynthesis.wait(task=created, api_key=API_KEY)
    fetched = ImageSynthesis.fetch(task=created, api_key=API_KEY)
    too_late = ImageSynthesis.cancel(task=created, api_key=API_KEY)

    assert done.status_code == HTTPStatus.OK and done.output.task_status == "SUCCEEDED"
    (result,) = done.output.results
    assert download_png_size(result.url)[0] > 0
    assert fetched.output.task_status == "SUCCEEDED" and fetched.usage.image_count == 1
    # Only PENDING tasks can be canceled (seed 000's comment on cancel_task).
    assert too_late.status_code == 400 and too_late.code == "UnsupportedOperation"
    assert stats(emulator)["tasks_created"] == 1


# --- the task list, through the SDK's `list` ----------------------------------------------------


def listed_ids(answer: Any) -> list[str]:
    return [row["task_id"] for row in answer.output["data"]]


def test_the_task_list(start_emulator: Callable[..., EmulatorServer]) -> None:
    # Reference: manage-asynchronous-tasks, batch query: start_time/end_time YYYYMMDDhhmmss,
    # model_name, status, page_no, page_size; the SDK's ImageGeneration.list sends them.
    start_emulator(pending_seconds=60.0, max_list_page_size=10, api_keys=frozenset({API_KEY, "sk-bob"}))
    made = []
    for i in range(12):
        key = API_KEY if i % 2 else "sk-bob"  # two keys of one account
        task = ImageGeneration.async_call(
            model="wan2.7-image", api_key=key, messages=[Message(role="user", content=[{"text": f"Tile {i}"}])]
        )
        assert task.status_code == 200, (task.code, task.message)
        made.append(task.output.task_id)
    now = datetime.now(UTC8)
    window = {"start_time": (now - timedelta(hours=1)).strftime("%Y%m%d%H%M%S"), "end_time": now.strftime("%Y%m%d%H%M%S")}

    first = ImageGeneration.list(api_key=API_KEY, **window, model_name="wan2.7-image", page_size=100)
    second = ImageGeneration.list(api_key=API_KEY, **window, model_name="wan2.7-image", page_no=2, page_size=10)
    default = ImageGeneration.list(api_key=API_KEY)
    pending = ImageGeneration.list(api_key=API_KEY, status="PENDING", model_name="wan2.7-image-pro")
    too_long = ImageGeneration.list(
        api_key=API_KEY, start_time="20260330000000", end_time="20260331000001", page_size=10
    )

    assert first.status_code == HTTPStatus.OK and first.request_id
    # Asked for 100 a page; the emulator's cap is 10, and the answer says so.
    assert (first.output["page_size"], first.output["total"], first.output["total_page"]) == (10, 12, 2)
    assert set(listed_ids(first) + listed_ids(second)) == set(made)
    assert listed_ids(default) == listed_ids(first)  # no times: the last 24 hours, 10 a page
    assert listed_ids(pending) == []
    assert all("end_time" not in row for row in first.output["data"])  # none has ended
    assert too_long.status_code == HTTPStatus.BAD_REQUEST and too_long.code == "InvalidParameter"
    assert "at most 24 hours" in too_long.message
