"""The bench's SDK baseline (tests/bench/sdk_baseline.py) against a real emulator, small and quick.

A real clock, as in tests/test_official_sdk.py: the SDK's `wait` sleeps between its queries, so
the tasks here take 1 s at the provider. The bench's Rig (Django, a web process, clusters) is not
needed: the baseline only uses the rig's emulator, which a stand-in provides the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dashscope
import httpx
import pytest

from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.bench.sdk_baseline import run_sdk_baseline


class EmulatorOnlyRig:
    """What tests/bench/rig.py's Rig offers the baseline: reset, stats, and each task's end."""

    def __init__(self, emulator: EmulatorServer) -> None:
        self.emulator = emulator

    def reset(self, **emulator_config: object) -> None:
        self.emulator.reset()
        self.emulator.update_config(emulator_config)

    def emulator_stats(self) -> dict[str, Any]:
        return dict(httpx.get(self.emulator.root_url + "/emulator/stats").json())

    def provider_end(self, task_id: str) -> datetime:
        return datetime.fromtimestamp(self.emulator.state.tasks[task_id].ended_at, tz=UTC)


@pytest.fixture
def rig() -> Iterator[EmulatorOnlyRig]:
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.0, running_seconds=0.0)).start()
    try:
        yield EmulatorOnlyRig(server)
    finally:
        server.shutdown()


def test_the_sdk_baseline_runs_every_job_to_a_downloaded_image(rig: EmulatorOnlyRig) -> None:
    url_before = dashscope.base_http_api_url

    result = run_sdk_baseline(rig, count=4, latency=1, threads=2)

    assert (result.jobs, result.threads, result.succeeded) == (4, 2, 4), result.summary()
    assert result.failed_by == {} and result.lost == 0
    assert isinstance(result.refused_429, int) and result.refused_429 >= 0
    assert isinstance(result.sdk_answers_429, int) and result.sdk_answers_429 >= 0
    for figure in (result.end_to_downloaded_p50, result.end_to_downloaded_p95):
        assert math.isfinite(figure) and figure >= 0
    assert result.end_to_downloaded_p50 <= result.end_to_downloaded_p95
    # The SDK's queries reached the emulator and were counted there: at least one per task.
    assert result.task_queries >= 4 and result.calls_max_per_second >= 1
    assert result.calls_per_second_avg > 0
    assert result.peak_threads >= 2 and result.peak_rss_mib > 0 and result.seconds > 0
    assert "2 threads: 4/4 succeeded" in result.summary()
    # The SDK is pointed back where it was.
    assert dashscope.base_http_api_url == url_before


def test_the_emulator_counts_refused_task_queries(rig: EmulatorOnlyRig) -> None:
    # The counter the baseline reads: task queries answered 429 past the account's limit.
    rig.reset(max_task_queries_per_second=1)
    with httpx.Client(base_url=rig.emulator.url, headers={"Authorization": "Bearer sk-emulator"}) as http:
        answers = [http.get("/tasks/no-such-task").status_code for _ in range(3)]

    stats = rig.emulator_stats()
    refused = answers.count(429)
    assert refused >= 1
    assert stats["task_queries_refused"] == refused
    assert sum(stats["task_queries_refused_by_account"].values()) == refused
