"""`manage.py wan generate --team T --user U`: a terminal's request becomes a job of that team,
through the editor's gate, the team's budget and ledger, and into its gallery."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command

from studio.accounting.models import TeamBudget
from studio.pipeline.models import Job, JobStatus
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.cluster import Cluster, cluster_env
from tests.images import png_bytes


def _generate(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("wan", "generate", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_a_user_outside_the_team_is_refused_and_nothing_is_queued(alice, mallory):
    code, _, err = _generate("--prompt", "a boat", "--team", "Lighthouse", "--user", "mallory")
    assert code == 2
    assert "mallory is not a member" in err
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_team_without_user_is_a_usage_problem(alice):
    code, _, err = _generate("--prompt", "a boat", "--team", "Lighthouse")
    assert code == 2 and "--team and --user go together" in err


@pytest.mark.django_db
def test_the_gate_refuses_like_the_editor_and_nothing_is_queued(alice):
    code, _, err = _generate("--prompt", "a boat", "--size", "9000*9000", "--team", "Lighthouse", "--user", "alice")
    assert code == 1
    assert "parameters.size" in err
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_the_team_budget_applies(alice, media):
    TeamBudget.objects.create(team=alice.teams.get(), monthly_images=1)
    code, _, err = _generate("--prompt", "a boat", "--n", "2", "--team", "Lighthouse", "--user", "alice")
    assert code == 1
    assert "budget" in err.lower()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_queued_job_belongs_to_the_team_with_its_references_and_boxes(alice, media, tmp_path):
    image = tmp_path / "room.png"
    image.write_bytes(png_bytes(400, 300))
    code, out, _ = _generate(
        "--prompt", "Put a lamp in the box", "--image", str(image), "--bbox", "1:10,10,200,200",
        "--team", str(alice.teams.get().pk), "--user", "alice",
    )
    assert code == 0, out
    job = Job.objects.get()
    assert (job.team.name, job.owner.username, job.status) == ("Lighthouse", "alice", JobStatus.QUEUED)
    assert [ref.boxes for ref in job.references.all()] == [[[10, 10, 200, 200]]]
    assert f"job {job.pk} queued" in out


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_wait_saves_the_images_a_running_cluster_stored_in_the_gallery(alice, media, tmp_path):
    emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.2, running_seconds=0.3)).start()
    cluster = Cluster(cluster_env(emulator.url), tmp_path / "cluster.log")
    try:
        prompt = f"A harbour at night #{uuid.uuid4().hex[:8]}"
        out_dir = tmp_path / "out"
        code, out, err = _generate(
            "--prompt", prompt, "--n", "2", "--size", "1K", "--team", "Lighthouse", "--user", "alice", "--wait", "--out", str(out_dir)
        )
    finally:
        cluster.stop()
        emulator.shutdown()
    assert code == 0, (out, err, cluster.output()[-2000:])
    job = Job.objects.get(prompt=prompt)
    assert job.status == JobStatus.SUCCEEDED
    assert job.outputs.count() == 2
    assert sorted(p.name for p in out_dir.iterdir()) == [f"job{job.pk}-1.png", f"job{job.pk}-2.png"]
    assert [(e.kind, e.team.name, e.image_count) for e in job.ledger_entries.all()] == [("charge", "Lighthouse", 2)]
