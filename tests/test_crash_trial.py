"""The crash trial (tests/crash_trial.py) on both backends: 30 jobs of every kind, the cluster's
whole process group SIGKILLed 20 times every 2–6 s, submits answered 3 s after their task exists.

Every job must end with one provider task (or one synchronous call), images stored = made =
charged, no stray file, and a reconciliation with no difference. One seed per backend here
(CRASH_TRIAL_SEED picks another); `make crash-trial` runs several.
"""

from __future__ import annotations

import os

import pytest

from tests.crash_trial import OK_LINE, _fresh_pg_database, run_seed

pytestmark = pytest.mark.slow


def _seed(default: int) -> int:
    return int(os.environ.get("CRASH_TRIAL_SEED") or default)


def _assert_trial_passed(run, capsys) -> None:
    report = run.stdout + run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("TRIAL")]
    with capsys.disabled():
        print("\n" + "\n".join(rows or ["(no figures: the trial failed)"]))
    assert run.returncode == 0 and OK_LINE in run.stdout, report[-8000:]


def test_twenty_kills_on_sqlite_lose_no_paid_image_and_pay_none_twice(tmp_path, capsys):
    run = run_seed(
        "sqlite", _seed(1), tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}", redis_url=None, kills=20, workers=3
    )
    _assert_trial_passed(run, capsys)


def test_twenty_kills_on_postgres_and_redis_lose_no_paid_image_and_pay_none_twice(postgres, redis, tmp_path, capsys):
    database_url = _fresh_pg_database(postgres, "crash_trial")
    run = run_seed("postgres", _seed(2), tmp_path, database_url=database_url, redis_url=redis.url, kills=20, workers=2)
    _assert_trial_passed(run, capsys)
