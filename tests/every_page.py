"""Every page of the studio, with the work that makes each one show something: the list the every-page
browser tests share (tests/test_every_page_browser.py, tests/test_zh_pages_browser.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from studio.api.tokens import token_create
from studio.gallery.models import Board
from studio.pipeline.models import Batch, Job, JobStatus
from studio.webhooks.events import emit_ping
from studio.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.gallery_helpers import finished_job

# What the people in studio_with_work wrote: user content, shown as typed in any language.
USER_CONTENT = (
    "A red fox in the snow, watercolour",
    "A lighthouse at dawn",
    "Autumn campaign",
    "A neon street at night",
    "nightly catalogue export",
    "Fox series",
    "Catalogue sync",
    "upstream timed out",
    "Lighthouse",
    "alice",
    "bob",
)


@pytest.fixture
def studio_with_work(alice, bob, media):
    """Alice's team with finished work, a board, a job that needs a decision, and Alice on the staff."""
    get_user_model().objects.filter(pk=alice.pk).update(is_staff=True, is_superuser=True)
    fox = finished_job(alice, n=2, prompt="A red fox in the snow, watercolour", seed=4242)
    finished_job(bob, n=1, prompt="A lighthouse at dawn")
    board = Board.objects.create(team=alice.teams.get(), name="Autumn campaign", created_by=alice)
    board.items.create(image=fox.outputs.first(), added_by=alice)
    stuck = finished_job(alice, n=1, prompt="A neon street at night")
    Job.objects.filter(pk=stuck.pk).update(
        status=JobStatus.UNKNOWN_OUTCOME, attention={"reason": "sync_lost", "since": "2026-12-01T00:00:00Z"}
    )
    token_create(user=bob, team=alice.teams.get(), name="nightly catalogue export")
    first, second = fox.outputs.order_by("index")
    batch = Batch.objects.create(team=alice.teams.get(), owner=alice, name="Fox series", finished_at=fox.created_at)
    Job.objects.filter(pk=fox.pk).update(batch=batch)
    hook = WebhookEndpoint.objects.create(
        team=alice.teams.get(), url="https://hooks.example.com/wan-studio/events/receiver-for-the-catalogue", description="Catalogue sync"
    )
    ping = emit_ping(endpoint=hook)
    WebhookDelivery.objects.filter(pk=ping.pk).update(attempts=1)
    ping.attempt_log.create(number=1, started_at=ping.created_at, duration_ms=37, response_status=500, response_body="upstream timed out", error="The endpoint answered 500; only a 2xx answer counts as delivered.")
    return {"image": first, "other": second, "stuck": stuck, "batch": batch, "hook": hook, "ping": ping}


def pages(work) -> dict[str, str]:
    return {
        "home": "/",
        "create": "/create/",
        "gallery": "/gallery/",
        "image": f"/gallery/images/{work['image'].pk}/",
        "boards": "/gallery/boards/",
        "compare": f"/gallery/compare/{work['image'].pk}/{work['other'].pk}/",
        "shares": "/shares/",
        "review": "/gallery/review/",
        "trash": "/gallery/trash/",
        "batches": "/batches/",
        "batch": f"/batches/{work['batch'].pk}/",
        "attention": "/jobs/attention/",
        "decision": f"/jobs/{work['stuck'].pk}/attention",
        "team": "/accounts/team/",
        "password": "/accounts/password/",
        "api_tokens": "/accounts/api-tokens/",
        "team_api_tokens": "/accounts/team/api-tokens/",
        "billing": "/billing/",
        "reconciliation": "/billing/reconciliation/",
        "admin": "/admin/",
        "webhooks": "/accounts/team/webhooks/",
        "webhook": f"/accounts/team/webhooks/{work['hook'].pk}",
        "delivery": f"/accounts/team/webhooks/{work['hook'].pk}/deliveries/{work['ping'].pk}",
    }
