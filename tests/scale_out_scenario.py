"""The scale-out scenario: the whole pipeline on PostgreSQL + Redis + S3 with two worker clusters.

Run by tests/test_scale_out.py in its own process, with DATABASE_URL, REDIS_URL and the S3_*
variables pointing at servers from tests/servers.py: pytest-django's test database is made from
the settings of the pytest process (SQLite), so the PostgreSQL one needs a process of its own.

What it proves (issue 8): two clusters take work from one Redis queue, as two machines would; one
is SIGKILLed while both are busy, which loses every doorbell it had fetched (Redis delivers at most
once); the recovery sweep resumes what it left, so every job completes exactly once, every image
is stored exactly once in the bucket, and the gallery serves it through the access-checked view.

Exits 0 and prints "SCALE-OUT OK" on success; otherwise exits 1 with what went wrong.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

# (prompt, n): the slow downloads keep both clusters' workers busy when one is killed.
JOBS = [
    ("[fault:slow_download] A lighthouse in fog", 2),
    ("[fault:slow_download] A harbour at night", 2),
    ("[fault:slow_download] Gulls over a pier", 2),
    ("[fault:slow_download] A red buoy", 1),
    ("A keeper's cottage", 1),
    ("A storm front over the cape", 2),
]
# Worst case after the kill: the lost poller's claim runs out (follow.PENDING_SECONDS, 60 s), then
# the next scheduled sweep (every minute, checked every 30 s) starts a new poller. Usually ~40 s.
RECOVERY_TIMEOUT = 180.0
BEGAN = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - BEGAN:6.1f}s] {message}", flush=True)


class ScenarioFailed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def main() -> int:
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test Client's host, and locmem e-mail
    workdir = Path(os.environ.get("SCENARIO_DIR") or ROOT / "var" / "scale-out")
    workdir.mkdir(parents=True, exist_ok=True)
    clusters: list = []
    emulators: list = []
    try:
        _run(workdir, clusters, emulators)
        log("SCALE-OUT OK")
        return 0
    except (ScenarioFailed, AssertionError) as exc:
        print(f"SCALE-OUT FAILED: {exc}", flush=True)
        for i, cluster in enumerate(clusters):
            print(f"--- cluster {'AB'[i]} log (tail) ---\n{cluster.output()[-4000:]}", flush=True)
        return 1
    finally:
        for cluster in clusters:
            cluster.stop()
        for emulator in emulators:
            emulator.shutdown()


def _run(workdir: Path, clusters: list, emulators: list) -> None:
    """Fills `clusters` and `emulators` as it starts them, so main() stops them whatever happens."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from studio.accounts.models import Membership, Team
    from studio.pipeline.models import Job, JobStatus, OutputImage
    from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
    from tests.cluster import Cluster, cluster_env, wait_for
    from tests.pipeline_helpers import make_job
    from tests.servers import S3

    S = JobStatus
    check(connection.vendor == "postgresql", f"the scenario must run on PostgreSQL, not {connection.vendor}")
    check("redis" in settings.Q_CLUSTER and "orm" not in settings.Q_CLUSTER, "the broker must be Redis")
    check(settings.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage", "storage must be S3")
    s3 = S3(
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        bucket=os.environ["S3_BUCKET"],
        region=os.environ["S3_REGION"],
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )

    call_command("migrate", verbosity=0)
    log("migrated PostgreSQL")
    users = get_user_model().objects
    alice = users.create_user("alice", password="alice-password-1")
    mallory = users.create_user("mallory", password="mallory-password-1")
    Membership.objects.create(user=alice, team=Team.objects.create(name="Lighthouse"), role="admin")
    Membership.objects.create(user=mallory, team=Team.objects.create(name="Harbour"), role="admin")

    emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.5, running_seconds=1.5)).start()
    emulators.append(emulator)
    env = cluster_env(emulator.url, DATABASE_URL=os.environ["DATABASE_URL"])
    clusters.append(Cluster(env, workdir / "cluster-a.log"))
    tag = uuid.uuid4().hex[:8]
    jobs = [make_job(alice, f"{prompt} #{tag}", n=n) for prompt, n in JOBS]
    log(f"cluster A started; {len(jobs)} jobs queued ({sum(n for _, n in JOBS)} images)")

    def statuses() -> list[str]:
        return list(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True))

    # A is mid-download (a slow one) before B joins, so A certainly holds work when it dies.
    wait_for(lambda: S.DOWNLOADING in statuses(), timeout=60, what="cluster A to start downloading")
    clusters.append(Cluster(env, workdir / "cluster-b.log"))
    wait_for(lambda: len(_live_clusters()) >= 2, timeout=30, what="cluster B to join cluster A")
    log(f"both clusters running; statuses {sorted(statuses())}")
    finished = (S.SUCCEEDED, S.FAILED, S.EXPIRED, S.UNKNOWN_OUTCOME, S.CANCELED)
    check(not all(s in finished for s in statuses()), "every job finished before the kill: nothing to prove")
    poller = "A" if _poller_in_group(clusters[0].proc.pid) else "not A"
    clusters[0].kill()
    log(f"cluster A SIGKILLed mid-flight (the poller was {poller}'s); statuses {sorted(statuses())}")

    try:
        wait_for(lambda: all(s in finished for s in statuses()), timeout=RECOVERY_TIMEOUT, what="recovery")
    except AssertionError:
        raise ScenarioFailed(f"jobs unfinished {RECOVERY_TIMEOUT:.0f}s after the kill:\n{_pipeline_state(jobs)}") from None
    log(f"all jobs finished: {sorted(statuses())}")

    import httpx

    by_prompt = httpx.get(emulator.root_url + "/emulator/stats").json()["by_prompt"]
    expected_keys: list[str] = []
    for job in Job.objects.filter(pk__in=[j.pk for j in jobs]).order_by("pk"):
        check(job.status == S.SUCCEEDED, f"job {job.pk} ({job.prompt!r}) ended {job.status}: {job.error_message}")
        check(by_prompt.get(job.prompt) == 1, f"job {job.pk}: {by_prompt.get(job.prompt)} provider tasks, not 1")
        indexes = list(job.outputs.order_by("index").values_list("index", flat=True))
        check(indexes == list(range(job.requested_n)) and job.images_stored == job.requested_n,
              f"job {job.pk}: stored images {indexes}, images_stored {job.images_stored}, asked {job.requested_n}")
        for output in job.outputs.all():
            expected_keys += [output.file.name, output.thumbnail.name]
    keys = s3.keys()
    check(keys == sorted(expected_keys), f"bucket keys {keys} are not exactly the stored images {sorted(expected_keys)}")
    check(len(keys) == 2 * sum(n for _, n in JOBS), f"{len(keys)} objects in the bucket")
    log(f"every job completed once; the bucket holds exactly {len(keys)} objects (images and thumbnails)")

    output = OutputImage.objects.filter(job__in=jobs).order_by("pk").first()
    url = reverse("gallery:download", args=[output.pk])
    alices, mallorys = Client(), Client()
    alices.force_login(alice)
    mallorys.force_login(mallory)
    response = alices.get(url)
    check(response.status_code == 200, f"alice's download answered {response.status_code}")
    served = b"".join(response.streaming_content)
    stored = s3.client().get_object(Bucket=s3.bucket, Key=output.file.name)["Body"].read()
    check(served == stored and hashlib.sha256(served).hexdigest() == output.sha256,
          "the gallery served bytes that differ from the stored image")
    check(mallorys.get(url).status_code == 404, "another team's member was not refused with 404")
    signed = output.file.url
    check("X-Amz-Signature=" in signed and "X-Amz-Expires=" in signed, f"a storage URL is not signed: {signed}")
    log("the gallery serves the image from S3 through the access-checked view (and 404s to another team)")


def _pipeline_state(jobs: list) -> str:
    """What the recovery machinery sees, for a failure message."""
    from django.utils import timezone
    from django_q.models import Schedule

    from studio.pipeline.models import Job, ProviderAccount

    lines = [f"now {timezone.now():%H:%M:%S.%f}"]
    fields = ("pk", "status", "lease_until", "next_attempt_at", "task_id")
    lines += [str(row) for row in Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list(*fields)]
    lines += [str(row) for row in ProviderAccount.objects.values_list("api_key_id", "follower", "follower_until")]
    lines += [str(row) for row in Schedule.objects.values_list("name", "next_run")]
    return "\n".join(lines)


def _poller_in_group(pgid: int) -> bool:
    """Whether the provider poller's lease is held by a process of this process group."""
    from studio.pipeline.models import ProviderAccount

    holders = ProviderAccount.objects.exclude(follower="").values_list("follower", flat=True)
    for holder in holders:
        parts = (holder or "").split(":")
        if len(parts) >= 2 and parts[1].isdigit():
            try:
                stat = Path(f"/proc/{parts[1]}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                return True
    return False


def _live_clusters() -> list:
    from django_q.status import Stat

    return [stat for stat in Stat.get_all() if stat.status not in ("Stopped",)]


if __name__ == "__main__":
    sys.exit(main())
