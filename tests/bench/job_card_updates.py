"""What keeping one waiting job card live costs, three ways: `python -m tests.bench.job_card_updates`.

A job waits 60 s and changes five times (sending, at the provider, generating, downloading, done).
Measured in this process through Django's test Client (middleware, session, view, template; no
network), on a throwaway SQLite database:

- poll-2s-full: what the card did before — an htmx GET every 2 s, a full card each time;
- poll-1s-204 (chosen): a GET every 1 s carrying the version the card shows; the server answers an
  empty 204 until something changed, then the card (studio.editor.job_views.job_card);
- sse: a server-sent-events stream (prototyped here, not shipped): one long request whose server
  side reads the job every second and writes the card when it changed, a comment every 15 s.

Server CPU is process time per request (per stream second for SSE); bytes are what the server
sends (status line and headers included for each response). What the browser sends per poll
(cookie, htmx headers: about 0.8 KB, measured in Chromium) is counted too. SSE's real cost is not in these figures:
every waiting tab holds one server worker for as long as it waits, and the deployment runs
gunicorn's sync workers (README: 4), so four waiting tabs would leave no worker for anyone else.

Parameters (environment): BENCH_CARD_SECONDS=60 (how long the job waits).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass

# What Chromium sends for one card poll (request line, cookie, HX-*, Accept, UA, CSRF token),
# measured once with Playwright's request.all_headers(): about 800 bytes.
REQUEST_HEADER_BYTES = 800
SSE_HEARTBEAT_SECONDS = 15
STEPS = ("submitting", "submitted", "running", "downloading", "succeeded")


@dataclass
class Cost:
    name: str
    requests: int = 0
    full_renders: int = 0
    bytes_down: int = 0
    bytes_up: int = 0
    cpu: float = 0.0
    holds_worker: bool = False

    def row(self) -> str:
        return (
            f"{self.name:<13} {self.requests:>4} requests  {self.full_renders:>2} cards  "
            f"{self.bytes_down / 1024:>6.1f} KiB down  {self.bytes_up / 1024:>5.1f} KiB up  "
            f"{self.cpu * 1000:>7.1f} ms server CPU ({self.cpu * 1000 / max(self.requests, 1):.2f} ms a request)"
            f"{'  + one worker held for the whole wait' if self.holds_worker else ''}"
        )


def _response_bytes(response) -> int:
    head = len(b"HTTP/1.1 200 OK\r\n") + len(response.serialize_headers()) + 4
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return head + len(body)


def main() -> int:
    seconds = int(os.environ.get("BENCH_CARD_SECONDS", "60"))
    scratch = tempfile.mkdtemp(prefix="job-card-bench-")
    os.environ.setdefault("STUDIO_DATA_DIR", scratch)
    os.environ.setdefault("MEDIA_ROOT", os.path.join(scratch, "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        print(f"One job card kept live while its job waits {seconds} s and changes {len(STEPS)} times:")
        for cost in measure(seconds):
            print(cost.row())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


def measure(seconds: int) -> list[Cost]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from studio.accounts.models import Membership, Team
    from studio.editor import job_cards
    from studio.pipeline.models import Job
    from tests.pipeline_helpers import make_job

    user = get_user_model().objects.create_user("alice")
    Membership.objects.create(user=user, team=Team.objects.create(name="Lighthouse"), role="admin")
    client = Client(HTTP_HX_REQUEST="true")
    client.force_login(user)
    # When the job changes, in seconds from the start.
    change_at = {round(seconds * (i + 1) / (len(STEPS) + 1)): status for i, status in enumerate(STEPS)}

    def run(name: str, every: int, conditional: bool) -> Cost:
        job = make_job(user, n=2)
        cost = Cost(name)
        version = ""
        for second in range(seconds):
            if second in change_at:
                Job.objects.filter(pk=job.pk).update(status=change_at[second], attempt=second, finished_at=timezone.now())
            if second % every:
                continue
            query = {"v": version} if conditional else {}
            started = time.process_time()
            response = client.get(f"/jobs/{job.pk}/card", query)
            cost.cpu += time.process_time() - started
            cost.requests += 1
            cost.bytes_up += REQUEST_HEADER_BYTES
            cost.bytes_down += _response_bytes(response)
            if response.status_code == 200:
                cost.full_renders += 1
                version = response.content.decode().partition("?v=")[2].partition('"')[0]
                if 'data-waiting="false"' in response.content.decode():
                    break  # the ended card polls no more
        return cost

    def run_sse() -> Cost:
        """The stream's server side, second by second (the sleeps between are not CPU)."""
        from django.template.loader import render_to_string

        job = make_job(user, n=2)
        cost = Cost("sse", requests=1, holds_worker=True)
        started = time.process_time()
        first = client.get(f"/jobs/{job.pk}/card")  # the stream's one request: session, auth, first card
        cost.cpu += time.process_time() - started
        cost.bytes_up += REQUEST_HEADER_BYTES
        cost.bytes_down += _response_bytes(first)
        cost.full_renders = 1
        version = first.content.decode().partition("?v=")[2].partition('"')[0]
        for second in range(seconds):
            if second in change_at:
                Job.objects.filter(pk=job.pk).update(status=change_at[second], attempt=second, finished_at=timezone.now())
            started = time.process_time()
            card = job_cards.card_for(Job.objects.select_related("team", "owner").get(pk=job.pk))
            event = b""
            if card.version != version:
                version = card.version
                html = render_to_string("editor/_job_card.html", {"job": card.job, "card": card, "user": user})
                event = b"event: card\ndata: " + html.replace("\n", "\ndata: ").encode() + b"\n\n"
                cost.full_renders += 1
            elif second % SSE_HEARTBEAT_SECONDS == 0:
                event = b": keep-alive\n\n"
            cost.cpu += time.process_time() - started
            cost.bytes_down += len(event)
            if not card.waiting:
                break
        return cost

    # Warm up first (templates compiled, URLs resolved), so no way pays for starting the process.
    warm = make_job(user)
    for _ in range(3):
        client.get(f"/jobs/{warm.pk}/card")
    return [run("poll-2s-full", 2, False), run("poll-1s-204", 1, True), run_sse()]


if __name__ == "__main__":
    sys.exit(main())
