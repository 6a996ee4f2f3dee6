"""`manage.py wan generate --team T --user U`: the same generation as a job of a team.

Without --team/--user, `wan generate` is the protocol tool: it talks to the provider directly and
touches no team, budget, ledger or gallery. With them, the request passes the editor's gate
(job_create: validation, the team's budget, the ledger) and is queued like a job made in the
browser; a running cluster (`make run`) sends it and stores its images in the team's gallery.
--wait follows the job in the database until it ends and copies its images to --out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from studio.accounts.models import Membership
from studio.pipeline.budgets import BudgetExceeded
from studio.pipeline.gate import ReferenceImage, RequestRefused
from studio.pipeline.jobs import job_create
from studio.pipeline.models import Job

# How often --wait reads the job's row; a person at a terminal, not a test, is waiting.
WAIT_EVERY_SECONDS = 1.0


def queue_main(options: dict[str, Any], request, *, stdout, stderr) -> int:
    membership = _membership(options.get("team"), options.get("user"), stderr)
    if membership is None:
        return 2
    references = [
        ReferenceImage(content=image.data, mime=image.mime, width=image.width, height=image.height, boxes=boxes)
        for image, boxes in zip(request.images, request.boxes or [()] * len(request.images), strict=True)
    ]
    try:
        job = job_create(owner=membership.user, team=membership.team, request=request, references=references)
    except RequestRefused as exc:
        for problem in exc.problems:
            stderr.write(str(problem))
        return 1
    except BudgetExceeded as exc:
        stderr.write(f"team {membership.team.name}: {exc}")
        return 1
    stdout.write(f"job {job.pk} queued for team {membership.team.name} (a running cluster sends it; `make run` starts one)")
    if not options.get("wait"):
        return 0
    return _wait(job, Path(options.get("out") or "."), stdout=stdout, stderr=stderr)


def _membership(team: str | None, username: str | None, stderr) -> Membership | None:
    if not team or not username:
        stderr.write("--team and --user go together: the job is made by that user, in that team")
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        stderr.write(f"--user {username!r}: no active user of that name")
        return None
    lookup = {"team_id": int(team)} if team.isascii() and team.isdigit() else {"team__name": team}
    membership = Membership.objects.select_related("team", "user").filter(user=user, **lookup).first()
    if membership is None:
        stderr.write(f"--team {team!r}: {username} is not a member of such a team")
    return membership


def _wait(job: Job, out_dir: Path, *, stdout, stderr) -> int:
    last = None
    while True:
        job.refresh_from_db()
        if job.status != last:
            stdout.write(f"job {job.pk}: {job.get_status_display()}")
            last = job.status
        if job.is_terminal:
            break
        time.sleep(WAIT_EVERY_SECONDS)
    outputs = list(job.outputs.order_by("index"))
    if not outputs:
        stderr.write(f"job {job.pk} ended {job.status}: {job.error_message or 'no images'}")
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for output in outputs:
        path = out_dir / f"job{job.pk}-{output.index + 1}.png"
        with output.file.open("rb") as source, path.open("wb") as target:
            target.write(source.read())
        stdout.write(f"saved {path} ({output.width}*{output.height}); also in the team's gallery")
    return 0
