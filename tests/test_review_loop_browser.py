"""The review loop end to end: Rita's box comment on Alice's image becomes Alice's next edit; the
job runs through the pipeline against the emulator; the new image is v2 of the chain, the comment
says it was resolved by it, and compare shows the two side by side.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.gallery.models import Comment
from studio.pipeline import follow, submit
from studio.pipeline.models import Job, JobStatus
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BOX = [300, 200, 700, 500]


def test_a_box_comment_is_edited_into_v2_which_resolves_it_and_compares_with_v1(browser, live_server, alice, rita, wired, settings):
    settings.WAN_SUBMITS_PER_SECOND = 100
    v1 = finished_job(alice, n=1, prompt="A poster with a logo", image_size=(1200, 800)).outputs.get()
    comment = Comment.objects.create(image=v1, author=rita, text="The logo smaller, here", boxes=[BOX])

    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    page.goto(f"{live_server.url}/gallery/images/{v1.pk}/")
    page.get_by_role("button", name=re.compile("Edit from comment 1")).click()
    expect(page).to_have_url(re.compile(r"/create/$"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("The logo smaller, here")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("#jobs .job-card").first).to_contain_text("The logo smaller, here")

    # The queue's work, done here against the emulator: submit, the provider finishes, the poller
    # fetches the task and stores its image.
    job = Job.objects.get(prompt="The logo smaller, here")
    assert submit.job_submit(job_id=job.pk) == "submitted"
    wired.clock.advance(60)
    follow.follow_jobs(run_seconds=0.5)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, (job.status, job.error_message)
    assert job.references.get().source_image_id == v1.pk
    assert list(comment.edit_jobs.all()) == [job]
    v2 = job.outputs.get()

    page.goto(f"{live_server.url}/gallery/images/{v1.pk}/")
    expect(page.locator(".comment-resolved")).to_contain_text(f"image 1 of job {job.pk}")
    chain = page.get_by_role("list", name="Versions, oldest first")
    expect(chain.get_by_role("listitem")).to_have_count(2)
    chain.get_by_role("link", name=re.compile(r"^v2")).click()
    expect(page).to_have_url(re.compile(rf"/gallery/images/{v2.pk}/$"))

    page.get_by_role("link", name=re.compile("^Compare with parent")).click()
    expect(page).to_have_url(re.compile(rf"/gallery/compare/{v1.pk}/{v2.pk}/$"))
    for name in ("^First", "^Second"):
        image = page.locator(".compare-side").get_by_role("img", name=re.compile(name))
        expect(image).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    context.close()
