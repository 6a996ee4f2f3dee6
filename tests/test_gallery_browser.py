"""The gallery in a real browser (Debian's chromium through Playwright) against a live server:
the walk a person takes — open the gallery, filter, open an image, approve it, comment, reuse its
settings — and the review queue driven by the keyboard alone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.gallery.models import Comment, ImageReview
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def logged_in(browser, live_server, alice, media):
    """A browser page with Alice's session cookie (she is Lighthouse's admin, so she reviews)."""
    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    yield page
    context.close()


def test_open_filter_review_comment_and_reuse(logged_in, live_server, alice):
    page = logged_in
    fox = finished_job(
        alice,
        n=1,
        prompt="A red fox in image 1, in the snow",
        references=[png_reference(480, 320, boxes=[(10, 20, 200, 220)])],
        palette=[("#C0392B", 5000), ("#FDFEFE", 3000), ("#1B4F72", 2000)],
        seed=4242,
    )
    finished_job(alice, n=1, prompt="A lighthouse at dawn")
    image = fox.outputs.get()

    page.goto(f"{live_server.url}/gallery/")
    expect(page.locator("#grid .tile")).to_have_count(2)

    page.get_by_label("Prompt contains").fill("fox")
    page.get_by_label("Prompt contains").press("Enter")  # filters apply as they change: no Apply button
    expect(page).to_have_url(re.compile(r"[?&]q=fox"))
    expect(page.locator("#grid .tile")).to_have_count(1)

    page.get_by_role("link", name=re.compile("A red fox")).press("Enter")  # the lightbox
    page.get_by_role("dialog").get_by_role("link", name="Open the image page").click()
    expect(page).to_have_url(re.compile(rf"/gallery/images/{image.pk}/$"))
    expect(page.get_by_role("img", name=re.compile("Reference image 1"))).to_be_visible()

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#review [data-state]")).to_have_text("Approved")
    expect(page.locator("#review .history")).to_contain_text("Unreviewed → Approved")
    assert ImageReview.objects.get(image=image).state == "approved"

    page.get_by_label("Add a comment").fill("<b>Lovely</b> light")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments .comment-text")).to_have_text("<b>Lovely</b> light")  # shown as text
    assert Comment.objects.get().text == "<b>Lovely</b> light"

    page.get_by_role("button", name="Reuse settings").click()
    expect(page).to_have_url(re.compile(r"/create/$"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("A red fox in image 1, in the snow")
    expect(page.locator(".reference-card")).to_have_count(1)


def test_the_review_queue_runs_on_the_keyboard(logged_in, live_server, alice):
    page = logged_in
    first, second, third = (finished_job(alice, n=1, prompt=f"Queue {i}").outputs.get() for i in range(3))

    page.goto(f"{live_server.url}/gallery/review/")
    heading = page.locator("#queue-heading")
    expect(heading).to_contain_text(f"job {first.job_id}")

    page.keyboard.press("a")
    expect(heading).to_contain_text(f"job {second.job_id}")
    page.keyboard.press("ArrowRight")  # next, without a review
    expect(heading).to_contain_text(f"job {third.job_id}")
    page.keyboard.press("r")
    expect(heading).to_have_text("End of the queue")

    states = dict(ImageReview.objects.values_list("image_id", "state"))
    assert states == {first.pk: "approved", third.pk: "rejected"}
