"""The README's API example, run as a person would run it: a separate Python process talking to a
live studio over HTTP, whose queue is worked by a real django-q2 cluster against the emulator,
and whose webhook reaches the script's own loopback receiver (explicitly allowed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from studio.accounting.models import LedgerEntry
from studio.api.tokens import token_create
from studio.pipeline.models import Job, JobStatus
from studio.webhooks.models import WebhookDelivery
from tests.cluster import Cluster, cluster_env
from tests.images import png_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1/32"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- api-example:[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "the README's API example is marked <!-- api-example: ... --> before a python block"
    return match.group(1)


@pytest.fixture
def studio(live_server, settings, media, tmp_path):
    from studio.wan_emulator.server import EmulatorConfig, EmulatorServer

    emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.3, running_seconds=0.6)).start()
    settings.DASHSCOPE_BASE_URL = emulator.url
    settings.OUTGOING_ALLOWED_NETWORKS = [LOOPBACK]
    cluster = Cluster(cluster_env(emulator.url, OUTGOING_ALLOWED_NETWORKS=LOOPBACK), tmp_path / "cluster.log")
    yield live_server.url, emulator, cluster
    cluster.stop()
    emulator.shutdown()


def test_the_readme_script_edits_once_gets_a_signed_webhook_and_downloads_the_images(alice, studio, tmp_path):
    url, emulator, cluster = studio
    token = token_create(user=alice, team=alice.teams.get(), name="readme").secret
    photos = []
    for name, size, colour in (("lamp.png", (640, 480), "#c08040"), ("room.png", (800, 600), "#406080")):
        path = tmp_path / name
        path.write_bytes(png_bytes(*size, colour))
        photos.append(str(path))
    script = tmp_path / "edit.py"
    script.write_text(readme_example())
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, str(script), *photos],
        cwd=work, env=env | {"STUDIO_URL": url, "STUDIO_TOKEN": token}, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, (done.stdout, done.stderr[-3000:], cluster.output()[-3000:])
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["event"] == "job.succeeded"

    # One job, one provider task, one charge: the repeated request was answered from the key.
    (job,) = Job.objects.all()
    assert job.pk == summary["job"] and job.status == JobStatus.SUCCEEDED
    import httpx

    tasks = httpx.get(emulator.root_url + "/emulator/stats").json()["by_prompt"]
    assert tasks == {job.prompt: 1}
    assert [(e.kind, e.image_count) for e in LedgerEntry.objects.filter(job=job)] == [("charge", 2)]
    # What was sent: two references with their boxes, and the palette.
    assert [ref.boxes for ref in job.references.order_by("position")] == [[[10, 10, 320, 240]], [[20, 20, 780, 580]]]
    assert [c["hundredths"] for c in job.parameters["color_palette"]] == [5000, 3000, 2000]
    # The webhook was delivered once, and the images downloaded are the gallery's.
    assert WebhookDelivery.objects.filter(message__event_type="job.succeeded", status="delivered").count() == 1
    saved = [work / name for name in summary["saved"]]
    assert len(saved) == 2 == job.outputs.count()
    for path, output in zip(saved, job.outputs.order_by("index"), strict=True):
        with Image.open(path) as image:
            assert image.size == (output.width, output.height)
        assert path.read_bytes() == output.file.open("rb").read()
