"""Scale-out: the whole pipeline on PostgreSQL + Redis + S3, two worker clusters, one SIGKILLed.

The scenario itself (tests/scale_out_scenario.py) runs in its own process with the environment
pointing at real servers from tests/servers.py: this pytest process already holds a database
made from the default settings, and the studio picks its engines from the environment at start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def test_two_clusters_on_postgres_redis_and_s3_lose_nothing_when_one_is_killed(postgres, redis, s3, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_", "Q_", "S3_", "AWS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=postgres.url,
        REDIS_URL=redis.url,
        SCENARIO_DIR=str(tmp_path),
        STUDIO_DATA_DIR=str(tmp_path / "data"),
        SECRET_KEY="scale-out-scenario-key-not-secret",
        **s3.env(),
    )
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "scale_out_scenario.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "SCALE-OUT OK" in run.stdout, report
