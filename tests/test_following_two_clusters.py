"""The account's 20 task queries a second hold across machines: two clusters (real qcluster
processes) and a third caller in this process share one budget, and the emulator, which refuses
past 20 in any second, never has to.
"""

from __future__ import annotations

import threading

import httpx
import pytest

from studio.pipeline import provider
from studio.pipeline.models import Job, JobStatus
from studio.wan import errors
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.cluster import Cluster, cluster_env, wait_for
from tests.pipeline_helpers import make_job

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
S = JobStatus
JOBS = 40


@pytest.fixture
def emulator():
    server = EmulatorServer(EmulatorConfig(pending_seconds=0.5, running_seconds=3.0, max_task_queries_per_second=20)).start()
    yield server
    server.shutdown()


class Neighbour(threading.Thread):
    """Another machine's task calls (/healthz, a person's decision page): as many as the budget gives."""

    def __init__(self, task_id: str) -> None:
        super().__init__(daemon=True)
        self.task_id, self.stop, self.answered, self.refused_here = task_id, threading.Event(), 0, 0

    def run(self) -> None:
        from django.db import close_old_connections

        with provider.make_client(max_retries=0) as client:
            while not self.stop.is_set():
                try:
                    client.get_task(self.task_id)
                    self.answered += 1
                except errors.RateLimitError:
                    self.refused_here += 1
        close_old_connections()


def test_two_clusters_and_a_neighbour_stay_within_the_accounts_task_queries(alice, emulator, media, tmp_path, settings):
    settings.DASHSCOPE_BASE_URL = emulator.url
    env = cluster_env(emulator.url, Q_WORKERS="1", WAN_SUBMITS_PER_SECOND="50", WAN_MAX_CONCURRENT_TASKS="100")
    clusters = [Cluster(env, tmp_path / f"cluster-{name}.log") for name in "ab"]
    neighbour = None
    try:
        jobs = [make_job(alice, f"Harbour at dusk {i}") for i in range(JOBS)]
        first = wait_for(lambda: Job.objects.exclude(task_id=None).values_list("task_id", flat=True).first(), what="a task")
        neighbour = Neighbour(first)
        neighbour.start()
        wait_for(
            lambda: not Job.objects.filter(pk__in=[j.pk for j in jobs]).exclude(status__in=[S.SUCCEEDED, S.FAILED]).exists(),
            timeout=240,
            what="every job to finish",
        )
    finally:
        if neighbour:
            neighbour.stop.set()
            neighbour.join(timeout=10)
        for cluster in clusters:
            cluster.stop()

    assert sorted(set(Job.objects.values_list("status", flat=True))) == [S.SUCCEEDED]
    stats = httpx.get(emulator.root_url + "/emulator/stats").json()
    assert stats["errors_by_code"].get("Throttling.RateQuota", 0) == 0, "the provider never had to refuse a task call"
    assert max(stats["max_task_queries_per_second_by_account"].values()) <= 20
    assert neighbour.answered > 0, "the neighbour had its share"
    assert stats["task_list_queries"] > 0, "the clusters followed the tasks through the list"
