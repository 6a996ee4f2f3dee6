"""Every page of the studio at a wide monitor (1440×900) and a phone (390×844): nothing wider than
the screen, and each page's main content on screen.

`make screenshots` runs this module with SCREENSHOTS_DIR set: every page at both sizes is saved
there as <page>-<width>x<height>.png (full page), for anyone to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from studio.api.tokens import token_create
from studio.gallery.models import Board
from studio.pipeline.models import Batch, Job, JobStatus
from studio.webhooks.events import emit_ping
from studio.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"wide": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


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


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("size", VIEWPORTS)
def test_no_page_is_wider_than_the_screen(browser, live_server, alice, studio_with_work, size):
    wider: dict[str, int] = {}
    context = browser.new_context(viewport=VIEWPORTS[size], storage_state=_state(browser, live_server, alice))
    try:
        page = context.new_page()
        for name, path in pages(studio_with_work).items():
            response = page.goto(live_server.url + path)
            assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate(OVERFLOW)
            if overflow > 0:
                wider[name] = overflow
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                viewport = VIEWPORTS[size]
                page.screenshot(path=str(Path(SHOTS) / f"{name}-{viewport['width']}x{viewport['height']}.png"), full_page=True)
    finally:
        context.close()
    assert wider == {}, f"pages wider than {VIEWPORTS[size]['width']} px, by how many px: {wider}"


def test_the_login_page_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        assert page.evaluate(OVERFLOW) <= 0
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / "login-390x844.png"), full_page=True)
    finally:
        context.close()


def _state(browser, live_server, user) -> dict:
    """The session cookie of `user`, to open contexts of any size with it."""
    context = logged_in_context(browser, live_server, user)
    try:
        return context.storage_state()
    finally:
        context.close()
