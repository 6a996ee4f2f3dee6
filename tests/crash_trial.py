"""The crash trial: paid work under many crashes, as an operator's bad day would go.

30 jobs of every kind (text to image n=1..4 on both Wan2.7 models, edits with two references,
boxes and a palette, image sets, z-image-turbo, partial and slow-download faults): 20 made up
front and 10 while the workers are down. A real django-q2 cluster (`manage.py qcluster`, N
workers) has its whole process group SIGKILLed every 2–6 s, 20 times, and is restarted each time;
the emulator holds every submit's answer 3 s after it has created the task, so most kills land
with a submission in the air. Then the last cluster is left alone to recover.

It asserts, and prints per seed: every job terminal; per job exactly one provider task (or one
synchronous call); images stored = images the provider made (and bills) = images charged; no file
that no row names; the reconciliation, having read the provider, shows no difference. A
synchronous call whose answer a kill lost cannot be stored by anyone (the answer held the only
links): such a job must be parked as "may have been billed", and be the only difference.

    python -m tests.crash_trial --backend sqlite --seeds 1,2,3       # or --backend postgres
    make crash-trial                                                 # several seeds, both backends

The launcher starts PostgreSQL and Redis itself (tests/servers.py) for the postgres backend and
runs each seed in a process of its own (the studio picks its engines from the environment at
start); `--inner` is that process.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

UP_FRONT = 20
WHILE_DOWN = 10
KILLS = 20
WORKERS = 3
SUBMIT_LATENCY = 3.0
# After the last restart: interrupted submits wait out their lease (6 s), the sweep runs every
# minute, lanes of one model are sent one at a time with a 3 s answer each.
RECOVERY_TIMEOUT = 420.0
OK_LINE = "CRASH TRIAL OK"


# --- the launcher ------------------------------------------------------------------------------


def run_seed(backend: str, seed: int, workdir: Path, *, database_url: str, redis_url: str | None, kills: int, workers: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASHSCOPE_", "WAN_", "Q_", "S3_", "AWS_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=database_url,
        STUDIO_DATA_DIR=str(workdir / "data"),
        MEDIA_ROOT=str(workdir / "media"),
        SECRET_KEY="crash-trial-key-not-secret",
        LOG_LEVEL="WARNING",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    argv = [sys.executable, "-m", "tests.crash_trial", "--inner", "--backend", backend, "--seed", str(seed)]
    argv += ["--kills", str(kills), "--workers", str(workers), "--workdir", str(workdir)]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RECOVERY_TIMEOUT + 300)


def launch(backend: str, seeds: list[int], *, kills: int, workers: int) -> int:
    from tests.servers import postgres_server, redis_server

    failed = 0
    with ExitStack() as servers, tempfile.TemporaryDirectory(prefix="crash-trial-") as tmp:
        pg = redis = None
        if backend == "postgres":
            pg = servers.enter_context(postgres_server(database="trial"))
            redis = servers.enter_context(redis_server())
        for seed in seeds:
            workdir = Path(tmp) / f"seed-{seed}"
            workdir.mkdir()
            if pg is not None:
                database_url = _fresh_pg_database(pg, f"trial_{seed}")
            else:
                database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
            run = run_seed(backend, seed, workdir, database_url=database_url, redis_url=redis.url if redis else None, kills=kills, workers=workers)
            report = [line for line in run.stdout.splitlines() if line.startswith(("TRIAL", OK_LINE, "FAILED"))]
            print("\n".join(report) or run.stdout[-3000:], flush=True)
            if run.returncode != 0:
                failed += 1
                print(run.stdout[-6000:] + run.stderr[-3000:], flush=True)
    return 1 if failed else 0


def _fresh_pg_database(pg, name: str) -> str:
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=pg.port, user=pg.user, dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://{pg.user}@127.0.0.1:{pg.port}/{name}"


# --- the trial itself ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    label: str
    model: str = "wan2.7-image"
    n: int | None = 1
    fault: str = ""
    edit: bool = False
    sequential: bool = False


def kinds() -> list[Kind]:
    """The 30 jobs of the trial, every kind the issue names."""
    return [
        *(Kind("text to image", n=n) for n in (1, 2, 3, 4)),
        *(Kind("text to image, pro", model="wan2.7-image-pro", n=n) for n in (1, 2, 3, 4)),
        *(Kind("edit: 2 references, boxes, palette", n=n, edit=True) for n in (1, 2, 1, 2, 1, 2)),
        *(Kind("image set", model="wan2.7-image-pro", n=n, sequential=True) for n in (2, 3, 2, 3)),
        *(Kind("z-image-turbo", model="z-image-turbo", n=None) for _ in range(3)),
        *(Kind("partial", n=4, fault="partial") for _ in range(2)),
        *(Kind("slow download", n=2, fault="slow_download") for _ in range(3)),
        *(Kind("text to image", n=1) for _ in range(4)),
    ]


def make(owner, kind: Kind, prompt: str):
    from tests.pipeline_helpers import make_job, png_reference

    params: dict = {"n": kind.n}
    references = ()
    if kind.model == "z-image-turbo":
        params["size"] = "1024*1024"
    if kind.edit:
        references = (png_reference(400, 300), png_reference(300, 400, "#884422", boxes=[(20, 30, 200, 300)]))
        params["color_palette"] = [("#112233", 6000), ("#445566", 2500), ("#778899", 1500)]
    if kind.sequential:
        params["enable_sequential"] = True
    marker = f"[fault:{kind.fault}] " if kind.fault else ""
    return make_job(owner, f"{marker}{prompt}", references=references, model=kind.model, **params)


def log(message: str, began: float) -> None:
    print(f"[{time.monotonic() - began:6.1f}s] {message}", flush=True)


class TrialFailed(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise TrialFailed(message)


def inner(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    began = time.monotonic()
    clusters: list = []
    emulators: list = []
    try:
        row = _trial(args, began, clusters, emulators)
        print(row, flush=True)
        print(OK_LINE, flush=True)
        return 0
    except (TrialFailed, AssertionError) as exc:
        print(f"FAILED (backend {args.backend}, seed {args.seed}): {exc}", flush=True)
        if clusters:
            print(f"--- last cluster log (tail) ---\n{clusters[-1].output()[-4000:]}", flush=True)
        return 1
    finally:
        for cluster in clusters:
            cluster.stop()
        for emulator in emulators:
            emulator.shutdown()


def _trial(args: argparse.Namespace, began: float, clusters: list, emulators: list) -> str:
    import httpx
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Sum
    from django.utils import timezone

    from studio.accounts.models import Membership, Team
    from studio.accounting.models import LedgerEntry
    from studio.gallery import integrity
    from studio.pipeline.models import TERMINAL_STATUSES, Job, JobStatus
    from studio.wan.capabilities import MODELS
    from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
    from tests.cluster import Cluster, cluster_env, wait_for

    S = JobStatus
    rng = random.Random(args.seed)
    started_at = timezone.now()
    owner = get_user_model().objects.create_user("alice", password="alice-password-1")
    Membership.objects.create(user=owner, team=Team.objects.create(name="Lighthouse"), role="admin")

    emulator = EmulatorServer(
        EmulatorConfig(pending_seconds=0.5, running_seconds=1.5, submit_latency_seconds=SUBMIT_LATENCY)
    ).start()
    emulators.append(emulator)
    env = cluster_env(
        emulator.url,
        DATABASE_URL=os.environ["DATABASE_URL"],
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        Q_WORKERS=str(args.workers),
    )
    workdir = Path(args.workdir)

    plan = kinds()
    rng.shuffle(plan)
    tag = uuid.uuid4().hex[:6]
    jobs = [make(owner, kind, f"{kind.label} #{i} seed {args.seed} {tag}") for i, kind in enumerate(plan[:UP_FRONT])]
    later = plan[UP_FRONT:]
    log(f"{len(jobs)} jobs made up front; backend {args.backend}, {args.workers} workers, seed {args.seed}", began)

    def start() -> Cluster:
        cluster = Cluster(env, workdir / f"cluster-{len(clusters)}.log")
        clusters.append(cluster)
        return cluster

    in_flight_at_kills = {"submitting": 0, "downloading": 0}
    cluster = start()
    for k in range(args.kills):
        time.sleep(rng.uniform(2.0, 6.0))
        statuses = list(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True))
        in_flight_at_kills["submitting"] += statuses.count(S.SUBMITTING)
        in_flight_at_kills["downloading"] += statuses.count(S.DOWNLOADING)
        cluster.kill()
        if later:
            kind = later.pop(0)
            jobs.append(make(owner, kind, f"{kind.label} #{len(jobs)} seed {args.seed} {tag}"))
        cluster = start()
    log(
        f"{args.kills} kills done ({in_flight_at_kills['submitting']} submissions and "
        f"{in_flight_at_kills['downloading']} downloads were in flight at the kills); recovering",
        began,
    )

    ids = [j.pk for j in jobs]

    def all_terminal() -> bool:
        return not Job.objects.filter(pk__in=ids).exclude(status__in=TERMINAL_STATUSES).exists()

    try:
        wait_for(all_terminal, timeout=RECOVERY_TIMEOUT, what="every job to end")
    except AssertionError:
        rows = Job.objects.filter(pk__in=ids).exclude(status__in=TERMINAL_STATUSES)
        stuck = [f"{j.pk} {j.model} {j.status} lease {j.lease_until} next {j.next_attempt_at}" for j in rows]
        raise TrialFailed("jobs not terminal after recovery:\n" + "\n".join(stuck)) from None
    log("every job terminal", began)
    cluster.stop()

    stats = httpx.get(emulator.root_url + "/emulator/stats").json()
    billed_by_prompt = stats["images_billed_by_prompt"]
    made = stored_total = charged_total = 0
    possibly_billed: set[int] = set()
    succeeded = 0
    for job in Job.objects.filter(pk__in=ids).order_by("pk"):
        sync = MODELS[job.model].sync_only
        calls = stats["sync_by_prompt"].get(job.prompt, 0) if sync else stats["by_prompt"].get(job.prompt, 0)
        check(calls == 1, f"job {job.pk} ({job.model}, {job.status}): {calls} provider {'calls' if sync else 'tasks'}, not 1")
        billed = billed_by_prompt.get(job.prompt, 0)
        stored = job.outputs.count()
        charged = LedgerEntry.objects.filter(job=job).aggregate(n=Sum("image_count"))["n"] or 0
        made += billed
        stored_total += stored
        charged_total += charged
        if sync and job.status == S.UNKNOWN_OUTCOME:
            check(job.attention.get("reason") == "sync_lost", f"job {job.pk} parked for {job.attention}")
            check(stored == charged == 0, f"job {job.pk}: a lost sync answer, yet {stored} stored, {charged} charged")
            possibly_billed.add(job.pk)
            continue
        check(job.status == S.SUCCEEDED, f"job {job.pk} ({job.model}) ended {job.status}: {job.error_code} {job.error_message}")
        succeeded += 1
        check(
            billed == stored == charged == job.images_stored,
            f"job {job.pk} ({job.model}): provider made {billed}, stored {stored}, charged {charged}",
        )

    summary = integrity.Summary()
    problems = list(integrity.check(summary)) + list(
        integrity.orphans(summary, grace=timezone.timedelta(0), now=timezone.now())
    )
    check(not problems, "stored files: " + "; ".join(str(p) for p in problems))

    differences = _reconciliation(started_at, possibly_billed)
    row = (
        f"TRIAL backend={args.backend} seed={args.seed} jobs={len(ids)} kills={args.kills} workers={args.workers} "
        f"succeeded={succeeded} needs_attention={len(possibly_billed)} provider_images={made} "
        f"stored={stored_total} charged={charged_total} stray_files=0 differences={differences} "
        f"(possibly billed sync calls: {len(possibly_billed)}) "
        f"in_flight_at_kills=submitting:{in_flight_at_kills['submitting']},downloading:{in_flight_at_kills['downloading']} "
        f"seconds={time.monotonic() - began:.0f}"
    )
    return row


def _reconciliation(started_at, possibly_billed: set[int]) -> int:
    """Read the provider, reconcile the trial's period; the only differences allowed are the
    lost synchronous answers. Returns how many differences other than those there are (0)."""
    from django.utils import timezone

    from studio.billing.filters import Filters
    from studio.billing.reconcile import reconcile
    from studio.pipeline.provider_tasks import provider_tasks_refresh

    provider_tasks_refresh(start=started_at - timezone.timedelta(minutes=1), end=timezone.now())
    result = reconcile(Filters.for_period(start=started_at.date(), end=timezone.now().date()))
    unexpected = [m for m in result.mismatches if m.job_id not in possibly_billed]
    listed = {m.job_id for m in result.mismatches if m.job_id in possibly_billed}
    check(not unexpected, "reconciliation differences: " + "; ".join(f"{m.job_id}: {m.note}" for m in unexpected))
    check(listed == possibly_billed, f"lost sync answers {sorted(possibly_billed)} not all listed as may-have-been-billed")
    return len(unexpected)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seeds", default="1", help="comma-separated seeds (launcher)")
    parser.add_argument("--seed", type=int, default=1, help="the seed (inner)")
    parser.add_argument("--kills", type=int, default=KILLS)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--workdir")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    return launch(args.backend, seeds, kills=args.kills, workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
