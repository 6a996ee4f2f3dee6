"""The gallery page with 10,000 images in the database: its server time and its SQL queries.

Rows only: jobs and their OutputImage rows are bulk-inserted (with some reviews and stars, so the
grid's joins have something to find); no files are written, because the page itself never reads
one (thumbnails are separate requests). The page is requested through Django's test Client in
this process — the whole request stack (middleware, session, view, template) without a network —
as a member of the team, and timed with a monotonic clock.

Parameters (environment): BENCH_GALLERY_IMAGES=10000, BENCH_GALLERY_REQUESTS=50.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from studio.accounts.models import Membership, Role, Team
from studio.gallery.filters import Cursor
from studio.gallery.models import ImageReview, ReviewState, Star
from studio.pipeline.models import Job, JobStatus, OutputImage
from tests.bench.scenarios import percentile

# A mix like a team's: single images, batches, and storyboard sets (every fifth job).
BATCH_SIZES = (1, 2, 4, 3)
SET_FRAMES = 6
SUBJECTS = ("lighthouse", "harbour", "fox", "teapot", "city at night", "forest path", "robot", "sailboat")
STYLES = ("watercolour", "35mm photo", "ink drawing", "isometric render", "oil painting")
AUTHORS = 5


@dataclass(frozen=True)
class Timing:
    label: str
    url: str
    median_ms: float
    p95_ms: float
    queries: int
    images_shown: int


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, got {raw!r}")
    return int(raw)


def seed(images: int) -> tuple[Team, object]:
    """A team with `images` images in the gallery; returns the team and a member to look with."""
    users = get_user_model()
    team = Team.objects.create(name=f"Bench gallery {time.time_ns()}")
    authors = []
    for i in range(AUTHORS):
        user = users.objects.create_user(f"gallery-{team.pk}-{i}", password=None)
        Membership.objects.create(team=team, user=user, role=Role.ADMIN if i == 0 else Role.MEMBER)
        authors.append(user)
    now = timezone.now()
    plans: list[tuple[int, bool]] = []
    total = 0
    while total < images:
        sequential = len(plans) % 5 == 4
        n = min(SET_FRAMES if sequential else BATCH_SIZES[len(plans) % len(BATCH_SIZES)], images - total)
        plans.append((n, sequential))
        total += n
    with transaction.atomic():
        jobs = Job.objects.bulk_create(
            [
                Job(
                    owner=authors[i % AUTHORS],
                    team=team,
                    model="wan2.7-image" if i % 3 else "wan2.7-image-pro",
                    prompt=f"A {SUBJECTS[i % len(SUBJECTS)]} in {STYLES[i % len(STYLES)]} style, variation {i}",
                    parameters={"size": "2K", "n": n, "enable_sequential": sequential, "watermark": False, "seed": i},
                    region="singapore",
                    status=JobStatus.SUCCEEDED,
                    task_id=f"bench-gallery-{team.pk}-{i}",
                    usage_image_count=n,
                    usage_size="2048*2048",
                    images_stored=n,
                )
                for i, (n, sequential) in enumerate(plans)
            ],
            batch_size=500,
        )
        # auto_now_add ignores given values: the history (newest first, one job a minute) is set afterwards.
        for i, job in enumerate(jobs):
            job.created_at = job.finished_at = now - timedelta(minutes=len(jobs) - i)
        Job.objects.bulk_update(jobs, ["created_at", "finished_at"], batch_size=500)
        outputs = OutputImage.objects.bulk_create(
            [
                OutputImage(
                    job=job,
                    index=index,
                    file=f"outputs/{job.pk}/{index}.png",
                    thumbnail=f"thumbnails/{job.pk}/{index}.webp",
                    width=2048,
                    height=2048,
                    byte_size=4_000_000,
                    sha256="0" * 64,
                    source_url=f"https://dashscope-result.example/{job.pk}/{index}.png",
                )
                for job, (n, _) in zip(jobs, plans, strict=True)
                for index in range(n)
            ],
            batch_size=1000,
        )
        member = authors[1]
        states = (ReviewState.APPROVED, ReviewState.REJECTED, ReviewState.CHANGES_REQUESTED)
        ImageReview.objects.bulk_create(
            [
                ImageReview(image=o, state=states[i % 3], set_by=authors[0], set_at=now)
                for i, o in enumerate(outputs)
                if i % 10 < 3
            ],
            batch_size=1000,
        )
        Star.objects.bulk_create([Star(user=member, image=o) for i, o in enumerate(outputs) if i % 20 == 0], batch_size=1000)
    return team, member


def measure(client: Client, label: str, url: str, requests: int, **headers: str) -> Timing:
    first = client.get(url, **headers)  # warms the template and query caches
    if first.status_code != 200:
        raise RuntimeError(f"{url} answered {first.status_code}")
    shown = first.content.decode().count('class="frame"') + first.content.decode().count('class="tile"')
    with CaptureQueriesContext(connection) as captured:
        client.get(url, **headers)
    # Counted now: the captured list is a view of the connection's log, which the next request clears.
    queries = len(captured)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return Timing(label, url, statistics.median(times), percentile(times, 95), queries, shown)


def scenario() -> list[str]:
    """Print the gallery figures; returns what failed (nothing, or why the page could not be measured)."""
    images = _env_int("BENCH_GALLERY_IMAGES", 10_000)
    requests = _env_int("BENCH_GALLERY_REQUESTS", 50)
    print(f"[6] The gallery page with {images:,} images in the database, {requests} requests each (Django's test")
    print("    Client in the bench process: middleware, session, view and template, no network; SQLite, DEBUG off).")
    started = time.monotonic()
    team, member = seed(images)
    jobs = Job.objects.filter(team=team).count()
    print(f"    Seeded {images:,} images in {jobs:,} jobs (batches and 6-frame sets, 30% reviewed, 5% starred) "
          f"in {time.monotonic() - started:.1f} s.")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(member)
    try:
        index = reverse("gallery:index")
    except Exception as exc:  # the grid view arrives with the gallery's browse URLs
        print(f"    FAILED: no gallery page to measure ({exc})")
        return [f"gallery: {exc}"]
    # Scrolled far down: the htmx request for the page after the 2,400th job (page 101 of the grid).
    deep = Job.objects.filter(team=team).order_by("-created_at", "-pk")[2399]
    cursor = Cursor(at=deep.created_at, id=deep.pk).encode()
    pages = [
        ("first page", index, {}),
        ("text search", f"{index}?q=lighthouse", {}),
        ("approved only", f"{index}?state=approved", {}),
        ("scrolled, page 101 (htmx)", f"{index}?cursor={cursor}", {"HTTP_HX_REQUEST": "true"}),
    ]
    failures: list[str] = []
    for label, url, headers in pages:
        try:
            t = measure(client, label, url, requests, **headers)
        except (RuntimeError, AssertionError) as exc:
            failures.append(f"gallery {label}: {exc}")
            print(f"    {label} ({url}): FAILED — {exc}")
            continue
        print(f"    {label} ({url}): median {t.median_ms:.1f} ms, p95 {t.p95_ms:.1f} ms, "
              f"{t.queries} SQL queries, {t.images_shown} images shown")
    print()
    return failures
