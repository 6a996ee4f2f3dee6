"""The gallery as a workspace, in a real browser (Debian's chromium through Playwright) against a live
server: tiles that keep their images' shape, the lightbox and its keys, filters that apply as they
change, boards made inline and filled from the keyboard, delete with an undo toast, ← and → on an
image's page, and the review queue's buttons in view with Undo after a key.

Alice is Lighthouse's admin (she reviews and may delete anything of the team).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.gallery.models import BoardItem, ImageReview, ReviewState, Star
from studio.pipeline.models import Job
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_page(browser, live_server, alice, media):
    """open_page(path, width, height): Alice's session on a page of the given size."""
    contexts = []

    def opener(path: str, width: int = 1440, height: int = 900):
        context = logged_in_context(browser, live_server, alice)
        contexts.append(context)
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}{path}")
        return page

    yield opener
    for context in contexts:
        context.close()


def jobs_oldest_first(owner, prompts: list[str], **kwargs) -> list[Job]:
    now = timezone.now()
    count = len(prompts)
    return [
        finished_job(owner, n=1, prompt=prompt, created_at=now - timedelta(minutes=count - i), **kwargs)
        for i, prompt in enumerate(prompts)
    ]


def job_named(pk: int) -> re.Pattern:
    # "job 3" must not match "job 31".
    return re.compile(rf"\bjob {pk}\b")


def settled(locator) -> None:
    """Wait until htmx has wired up content it just swapped in (it drops its htmx-added class then)."""
    expect(locator).not_to_have_class(re.compile(r"\bhtmx-added\b"))


def tile_of(page, job: Job):
    return page.locator(".tile").filter(has=page.locator(f'a.tile-open[data-job="{job.pk}"]'))


# --- The grid ---------------------------------------------------------------------------------


def test_tiles_keep_their_images_aspect_ratio(open_page, alice):
    portrait = finished_job(alice, n=1, prompt="Portrait", image_size=(1200, 1600))
    landscape = finished_job(alice, n=1, prompt="Landscape", image_size=(1600, 900))
    page = open_page("/gallery/")
    page.wait_for_function("() => document.querySelector('.tile').style.getPropertyValue('--ar') !== ''")

    tall = tile_of(page, portrait).locator("img").bounding_box()
    wide = tile_of(page, landscape).locator("img").bounding_box()
    assert tall["height"] > tall["width"]
    assert abs(tall["height"] / tall["width"] - 1600 / 1200) < 0.03
    assert abs(wide["width"] / wide["height"] - 1600 / 900) < 0.03
    # Justified: side by side in one row, the two images share a height.
    assert abs(tall["y"] - wide["y"]) < 1 and abs(tall["height"] - wide["height"]) < 3


def test_the_lightbox_opens_with_enter_moves_with_arrows_and_esc_returns_focus(open_page, alice):
    old, middle, new = jobs_oldest_first(alice, ["Old harbour", "Middle dunes", "New moon"])
    page = open_page("/gallery/")
    dialog = page.get_by_role("dialog")
    title = page.locator("#lightbox-title")
    first_link = tile_of(page, new).locator("a.tile-open")

    first_link.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(title).to_contain_text(job_named(new.pk))
    expect(dialog.locator(".lightbox-image")).to_have_attribute("src", f"/jobs/{new.pk}/images/0.png")

    page.keyboard.press("ArrowRight")
    expect(title).to_contain_text(job_named(middle.pk))
    page.keyboard.press("ArrowRight")
    expect(title).to_contain_text(job_named(old.pk))
    page.keyboard.press("ArrowLeft")
    expect(title).to_contain_text(job_named(middle.pk))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Focus lands on the tile of the image last shown, so the keyboard carries on from there.
    expect(tile_of(page, middle).locator("a.tile-open")).to_be_focused()


def test_filters_apply_as_they_change_without_a_submit_button(open_page, alice):
    plain, starred = jobs_oldest_first(alice, ["Plain sea", "Starred sky"])
    Star.objects.create(user=alice, image=starred.outputs.get())
    page = open_page("/gallery/")
    expect(page.locator("#grid .tile")).to_have_count(2)
    expect(page.get_by_role("button", name="Apply filters")).to_have_count(0)

    page.get_by_label("Starred by me").check()
    expect(page.locator("#grid .tile")).to_have_count(1)
    expect(page.locator("#grid")).to_contain_text("Starred sky")
    expect(page).to_have_url(re.compile(r"[?&]starred=on"))

    page.get_by_label("Prompt contains").fill("nothing like this")
    expect(page.locator(".empty")).to_have_text("No images match these filters.")


def test_a_board_made_inline_and_an_image_added_from_the_keyboard(open_page, alice):
    first, second = jobs_oldest_first(alice, ["Dusk one", "Dusk two"])
    page = open_page("/gallery/")

    menu_button = tile_of(page, second).locator("summary", has_text="Add to board")
    menu_button.focus()
    page.keyboard.press("Enter")
    name = tile_of(page, second).get_by_label("New board")
    expect(name).to_be_visible()
    settled(tile_of(page, second).locator(".board-menu"))
    name.focus()
    page.keyboard.type("Sunsets")
    page.keyboard.press("Enter")
    expect(tile_of(page, second).get_by_role("button", name="Sunsets")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#board-bar")).to_contain_text("Sunsets")  # a drop target from now on

    # The other image: its menu, then Tab to the board and Enter, keyboard only.
    other = tile_of(page, first).locator("summary", has_text="Add to board")
    other.focus()
    page.keyboard.press("Enter")
    option = tile_of(page, first).get_by_role("button", name="Sunsets")
    expect(option).to_have_attribute("aria-pressed", "false")
    expect(tile_of(page, second).locator("details.board-picker")).not_to_have_attribute("open", "")  # one menu at a time
    settled(tile_of(page, first).locator(".board-menu"))
    page.keyboard.press("Tab")
    expect(option).to_be_focused()
    page.keyboard.press("Enter")
    expect(option).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#gallery-toast")).to_contain_text(f"Image 1 of job {first.pk} added to “Sunsets”.")
    assert BoardItem.objects.filter(board__name="Sunsets").count() == 2


def test_an_image_dragged_onto_a_board_joins_it(open_page, alice, lighthouse):
    from studio.gallery.models import Board

    Board.objects.create(team=lighthouse, name="Picks", created_by=alice)
    (job,) = jobs_oldest_first(alice, ["Drag me"])
    page = open_page("/gallery/")
    tile_of(page, job).locator("a.tile-open").drag_to(page.locator(".board-drop", has_text="Picks"))
    expect(page.locator("#gallery-toast")).to_contain_text("added to “Picks”")
    assert BoardItem.objects.filter(board__name="Picks", image=job.outputs.get()).exists()


def test_delete_shows_an_undo_toast_and_undo_restores_the_job(open_page, alice):
    keep, doomed = jobs_oldest_first(alice, ["Keep me", "Delete me"])
    page = open_page("/gallery/")
    tile = tile_of(page, doomed)
    tile.hover()
    delete = tile.get_by_role("button", name=re.compile(f"^Delete job {doomed.pk}"))
    expect(delete).to_have_class(re.compile(r"\bdanger\b"))
    delete.click()

    expect(tile).to_be_hidden()
    toast = page.get_by_role("status").filter(has_text="moved to the trash")
    expect(toast).to_contain_text(f"Job {doomed.pk} moved to the trash.")
    undo = toast.get_by_role("button", name=re.compile("^Undo"))
    expect(undo).to_be_focused()  # the keyboard is where the next step is
    assert Job.objects.get(pk=doomed.pk).deleted_at is not None

    page.keyboard.press("Enter")
    expect(tile).to_be_visible()
    expect(page.locator("#gallery-toast")).to_contain_text("is back in the gallery")
    assert Job.objects.get(pk=doomed.pk).deleted_at is None
    page.reload()
    expect(page.locator("#grid .tile")).to_have_count(2)


def test_a_delete_from_the_image_page_can_be_undone_in_the_gallery(open_page, alice):
    keep, doomed = jobs_oldest_first(alice, ["Keep me", "Delete me from my page"])
    page = open_page(f"/gallery/images/{doomed.outputs.get().pk}/")
    delete = page.get_by_role("button", name=re.compile(f"^Delete job {doomed.pk}"))
    expect(delete).to_have_class(re.compile(r"\bdanger\b"))
    delete.click()

    expect(page.locator("#grid .tile")).to_have_count(1)
    toast = page.locator("#gallery-toast")
    expect(toast).to_contain_text(f"Job {doomed.pk} moved to the trash.")
    toast.get_by_role("button", name=re.compile("^Undo")).click()
    expect(toast).to_contain_text("is back in the gallery")
    expect(page.locator("#grid .tile")).to_have_count(2)
    expect(tile_of(page, doomed)).to_be_visible()


def test_a_tiles_star_toggles_from_its_hover_actions(open_page, alice):
    (job,) = jobs_oldest_first(alice, ["Star me"])
    image = job.outputs.get()
    page = open_page("/gallery/")
    tile = tile_of(page, job)
    star = tile.get_by_role("button", name=re.compile("^Star"))
    assert float(tile.locator(".tile-actions").evaluate("e => getComputedStyle(e).opacity")) == 0  # out of the way
    tile.hover()
    expect(tile.locator(".tile-actions")).to_have_css("opacity", "1")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    assert Star.objects.filter(user=alice, image=image).exists()
    # Keyboard: the actions show as soon as focus is inside the tile, and Enter toggles back.
    page.mouse.move(0, 0)
    star.focus()
    expect(tile.locator(".tile-actions")).to_have_css("opacity", "1")
    page.keyboard.press("Enter")
    expect(star).to_have_attribute("aria-pressed", "false")
    assert not Star.objects.filter(user=alice, image=image).exists()


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.__cspViolations.push(event.violatedDirective));
"""


def test_the_workspace_scripts_keep_to_the_content_security_policy(browser, live_server, alice, media):
    jobs_oldest_first(alice, ["One", "Two"], image_size=(1200, 1600))
    context = logged_in_context(browser, live_server, alice)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/gallery/")
        page.locator("a.tile-open").first.click()  # the lightbox
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Escape")
        page.locator("summary").first.click()  # the board menu
        expect(page.locator(".board-new").first).to_be_visible()
        page.get_by_label("Starred by me").check()  # a filter: the grid is swapped and measured again
        expect(page).to_have_url(re.compile(r"starred=on"))
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()


# --- The image page ---------------------------------------------------------------------------


def test_arrow_keys_walk_the_gallery_from_an_image_page(open_page, alice, live_server):
    old, new = jobs_oldest_first(alice, ["Older", "Newer"], watermark=False)
    newer_image, older_image = new.outputs.get(), old.outputs.get()
    page = open_page(f"/gallery/images/{newer_image.pk}/")
    expect(page.locator(".pairs").first).to_contain_text(re.compile(r"Watermark\s*watermark\s*Off"))  # as people read it

    # Review buttons say what they do and look it: green, amber, red (a sign and a word, not colour alone).
    colours = {
        name: page.get_by_role("button", name=name, exact=True).evaluate("e => getComputedStyle(e).backgroundColor")
        for name in ("Approve", "Request changes", "Reject")
    }
    assert colours == {"Approve": "rgb(6, 118, 71)", "Request changes": "rgb(181, 71, 8)", "Reject": "rgb(180, 35, 24)"}

    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{live_server.url}/gallery/images/{older_image.pk}/")
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(f"{live_server.url}/gallery/images/{newer_image.pk}/")
    # Typing in a field is left alone.
    page.get_by_label("Add a comment").fill("left")
    page.get_by_label("Add a comment").press("ArrowRight")
    expect(page).to_have_url(f"{live_server.url}/gallery/images/{newer_image.pk}/")


# --- The review queue -------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_queue_buttons_are_in_view_without_scrolling(open_page, alice, width, height):
    finished_job(alice, n=1, prompt="A tall one " * 20, image_size=(1200, 1600))
    page = open_page("/gallery/review/", width, height)
    for name in ("Approve", "Request changes", "Reject"):
        box = page.get_by_role("button", name=re.compile(f"^{name}")).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (name, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, box)
    assert page.evaluate("window.scrollY") == 0


def test_a_review_key_confirms_and_undo_reverts_it(open_page, alice):
    first, second = (job.outputs.get() for job in jobs_oldest_first(alice, ["First", "Second"]))
    page = open_page("/gallery/review/")
    heading = page.locator("#queue-heading")
    expect(heading).to_contain_text(job_named(first.job_id))

    page.keyboard.press("a")
    expect(heading).to_contain_text(job_named(second.job_id))
    status = page.locator("#queue-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text(f"Approved image 1 of job {first.job_id}.")
    assert ImageReview.objects.get(image=first).state == ReviewState.APPROVED

    page.keyboard.press("u")
    expect(heading).to_contain_text(job_named(first.job_id))
    expect(status).to_contain_text(f"Undone: image 1 of job {first.job_id} is unreviewed again.")
    expect(status.get_by_role("button")).to_have_count(0)
    assert ImageReview.objects.get(image=first).state == ReviewState.UNREVIEWED

    # Undo by the mouse works the same way.
    page.get_by_role("button", name=re.compile("^Reject")).click()
    status.get_by_role("button", name=re.compile("^Undo")).click()
    expect(heading).to_contain_text(job_named(first.job_id))
    assert ImageReview.objects.get(image=first).state == ReviewState.UNREVIEWED
