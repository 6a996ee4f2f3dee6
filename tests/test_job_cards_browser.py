"""Job cards in a real browser (Debian's chromium through Playwright) against a live server:
what a person sees while a job waits, when it ends, and that the page stops asking once nothing
is in flight.

No queue cluster runs, so a job stays where the test puts it: the test moves it by writing its row
as the pipeline would, and the card's own polling brings the change to the page. Where time
matters, Playwright's clock drives the page's timers instead of waiting for them.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.pipeline.models import Job, JobStatus
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import make_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = JobStatus

# The browser's Notification, recorded instead of shown (the browser API is stubbed, not ours).
NOTIFICATION_STUB = """
window.__notes = [];
window.__asked = 0;
window.Notification = class {
  static permission = window.__startPermission || "granted";
  static requestPermission() { window.__asked += 1; this.permission = "granted"; return Promise.resolve("granted"); }
  constructor(title, options) { window.__notes.push({title, body: (options || {}).body}); }
  addEventListener() {}
  close() {}
};
"""


@pytest.fixture
def context(browser, live_server, alice, media):
    context = logged_in_context(browser, live_server, alice)
    yield context
    context.close()


def open_create(context, live_server):
    page = context.new_page()
    page.goto(f"{live_server.url}/create/")
    return page


def set_row(job: Job, **fields) -> None:
    Job.objects.filter(pk=job.pk).update(attempt=job.attempt + 1, **fields)


def waiting_with_images(owner, n: int) -> Job:
    """A job at the provider whose images are about to be stored (its outputs exist already)."""
    job = finished_job(owner, n=n)
    Job.objects.filter(pk=job.pk).update(status=S.RUNNING, finished_at=None, created_at=timezone.now() - timedelta(seconds=12))
    job.refresh_from_db()
    return job


def finish(job: Job) -> None:
    set_row(job, status=S.SUCCEEDED, finished_at=timezone.now())


def test_a_waiting_card_shows_a_placeholder_per_image_asked_for(context, live_server, alice):
    job = make_job(alice, n=3)
    page = open_create(context, live_server)
    card = page.locator(f"#job-{job.pk}")
    expect(card.locator(".placeholder")).to_have_count(3)
    expect(card.locator(".job-step")).to_contain_text("Queued, next to be sent")
    for placeholder in card.locator(".placeholder").all():
        box = placeholder.bounding_box()
        assert max(box["width"], box["height"]) >= 239


def test_the_elapsed_time_is_shown_and_keeps_counting(context, live_server, alice):
    job = make_job(alice)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(seconds=70))
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_server.url}/create/")
    elapsed = page.locator(f"#job-{job.pk} [data-elapsed-out]")
    expect(elapsed).to_have_text(re.compile(r"^1 min 1\d s$"))
    shown, began = elapsed.inner_text(), time.monotonic()
    page.clock.run_for(6_000)
    expect(elapsed).not_to_have_text(shown)
    gained = seconds_of(elapsed.inner_text()) - seconds_of(shown)
    # The page's clock ran 6 s ahead; real time may have added a little while the test ran.
    assert 5 <= gained <= 7 + (time.monotonic() - began), (shown, elapsed.inner_text())


def test_the_estimate_counts_down_while_the_job_is_at_the_provider(context, live_server, alice):
    finished_job(alice, n=1)  # sent to stored in 38 s: the team's usual time for the model
    job = make_job(alice)
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=S.RUNNING, created_at=now - timedelta(seconds=8), submitted_at=now - timedelta(seconds=5))
    page = context.new_page()
    page.clock.install()
    page.goto(f"{live_server.url}/create/")
    estimate = page.locator(f"#job-{job.pk} .estimate")
    expect(estimate).to_have_text(re.compile(r"^about 3[23] s left$"))
    page.clock.run_for(10_000)
    expect(estimate).to_have_text(re.compile(r"^about 2[0-3] s left$"))
    page.clock.run_for(30_000)
    expect(estimate).to_have_text("taking longer than the usual 38 s")


def seconds_of(text: str) -> int:
    minutes, _, seconds = text.partition(" min ")
    return int(minutes) * 60 + int(seconds.removesuffix(" s")) if seconds else int(minutes.removesuffix(" s"))


def test_the_title_says_when_a_job_is_done(context, live_server, alice):
    job = waiting_with_images(alice, n=2)
    page = open_create(context, live_server)
    expect(page).to_have_title("Create · Wan Studio")
    expect(page.locator(f"#job-{job.pk}")).to_have_attribute("data-waiting", "true")
    finish(job)
    expect(page).to_have_title(re.compile(r"^✓ 2 images — Create"))
    expect(page.locator(f"#job-{job.pk} .job-status")).to_have_text("Done")


def test_a_notification_is_shown_when_allowed(context, live_server, alice):
    context.grant_permissions(["notifications"])
    context.add_init_script(NOTIFICATION_STUB)
    job = waiting_with_images(alice, n=1)
    page = open_create(context, live_server)
    expect(page.locator(".job-notify [role=status]")).to_contain_text("Notifications on")
    expect(page.get_by_role("button", name="Allow notifications")).to_be_hidden()
    finish(job)
    page.wait_for_function("() => window.__notes.length === 1")
    note = page.evaluate("window.__notes[0]")
    assert note["title"] == f"Job {job.pk}: ✓ 1 image" and "lighthouse" in note["body"]


def test_permission_is_asked_only_when_the_button_is_pressed(context, live_server, alice):
    context.add_init_script("window.__startPermission = 'default';" + NOTIFICATION_STUB)
    make_job(alice)
    page = open_create(context, live_server)
    allow = page.get_by_role("button", name="Allow notifications")
    expect(allow).to_be_visible()
    assert page.evaluate("window.__asked") == 0
    allow.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".job-notify [role=status]")).to_contain_text("Notifications on")
    assert page.evaluate("window.__asked") == 1


def test_retry_on_a_failed_card_queues_a_new_job(context, live_server, alice):
    job = make_job(alice, n=2, seed=31)
    Job.objects.filter(pk=job.pk).update(status=S.FAILED, error_code="InternalError", finished_at=timezone.now())
    page = open_create(context, live_server)
    page.get_by_role("button", name=f"Retry job {job.pk}").click()
    expect(page.locator(f"#job-{job.pk}")).to_contain_text("Sent again as job")
    new = Job.objects.exclude(pk=job.pk).get()
    assert new.status == S.QUEUED and new.parameters["seed"] == 31 and new.parameters["n"] == 2
    expect(page.locator(".job-card").first).to_have_id(f"job-{new.pk}")
    expect(page.locator(f"#job-{new.pk} .placeholder")).to_have_count(2)


def test_a_result_is_large_and_opens_the_image_page(context, live_server, alice):
    job = finished_job(alice, n=1)
    page = open_create(context, live_server)
    result = page.locator(f"#job-{job.pk}").get_by_role("img", name=re.compile("Result 1 of job"))
    expect(result).to_be_visible()
    box = result.bounding_box()
    assert max(box["width"], box["height"]) >= 240
    result.click()
    expect(page).to_have_url(f"{live_server.url}/gallery/images/{job.outputs.get().pk}/")


def test_a_card_fits_a_phone_screen(context, live_server, alice):
    make_job(alice, n=3, prompt="A lighthouse at dawn " + "x" * 120)
    finished_job(alice, n=1, image_size=(640, 480))
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/create/")
    expect(page.locator(".job-card")).to_have_count(2)
    # Each card and everything in it ends inside the screen (what else the page holds is not theirs).
    sticking_out = page.evaluate(
        """() => [...document.querySelectorAll('.job-card, .job-card *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert sticking_out == []


def test_polling_stops_when_nothing_is_in_flight(context, live_server, alice):
    job = make_job(alice)
    page = context.new_page()
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/card" in request.url else None)
    page.clock.install()
    page.goto(f"{live_server.url}/create/")
    card = page.locator(f"#job-{job.pk}")
    expect(card).to_have_attribute("data-waiting", "true")

    for _ in range(2):
        with page.expect_request(lambda request: "/card" in request.url):
            page.clock.run_for(1_000)
    assert len(polls) >= 2, "a waiting card asks for news"

    set_row(job, status=S.CANCELED, finished_at=timezone.now())
    expect(card).to_have_attribute("data-waiting", "false")
    settle(page, live_server)
    asked = len(polls)
    page.clock.run_for(30_000)
    settle(page, live_server)
    assert len(polls) == asked, "an ended card asks no more"


def test_a_card_whose_job_went_to_the_trash_stops_asking(context, live_server, alice):
    job = make_job(alice)
    page = context.new_page()
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/card" in request.url else None)
    page.clock.install()
    page.goto(f"{live_server.url}/create/")
    card = page.locator(f"#job-{job.pk}")
    expect(card).to_have_attribute("data-waiting", "true")

    Job.objects.filter(pk=job.pk).update(deleted_at=timezone.now())
    expect(card).to_contain_text("This job is no longer here")
    settle(page, live_server)
    asked = len(polls)
    page.clock.run_for(30_000)
    settle(page, live_server)
    assert len(polls) == asked


def settle(page, live_server) -> None:
    """A request of our own, answered: the browser's earlier requests have been reported."""
    page.evaluate("url => fetch(url, {cache: 'no-store'}).then(r => r.status)", f"{live_server.url}/static/js/job-cards.js")
