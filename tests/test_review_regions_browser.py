"""Region comments in a real browser: Rita (a reviewer) draws a box on Alice's image and says what to
change there; the page shows the box over the image, linked to the comment; Alice clicks "Edit from
this comment" and the editor holds her image with that box at the same original pixels, and the
comment's text as the prompt.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from studio.editor.models import Draft
from studio.gallery.models import Comment
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZE = (1200, 800)  # larger than the side column shows it, so screen and original pixels differ
NAMES = ("x1", "y1", "x2", "y2")


def drag_over_image(page: Page, img, start: tuple[int, int], end: tuple[int, int]) -> None:
    """Drag between two points given in the image's original pixels."""
    shown = img.bounding_box()
    sx, sy = shown["width"] / SIZE[0], shown["height"] / SIZE[1]
    page.mouse.move(shown["x"] + start[0] * sx, shown["y"] + start[1] * sy)
    page.mouse.down()
    page.mouse.move(shown["x"] + end[0] * sx, shown["y"] + end[1] * sy, steps=5)
    page.mouse.up()


def test_a_box_comment_becomes_the_next_edit(browser, live_server, alice, rita, media):
    image = finished_job(alice, n=1, prompt="A poster with a logo", image_size=SIZE).outputs.get()

    context = logged_in_context(browser, live_server, rita)
    page = context.new_page()
    page.goto(f"{live_server.url}/gallery/images/{image.pk}/")
    editor_img = page.get_by_role("img", name=re.compile("The image, to mark regions on"))
    expect(editor_img).to_be_visible()
    expect(page.locator("#comments box-editor svg.box-overlay")).to_have_count(1)
    page.wait_for_function("document.querySelector('#comments box-editor img').complete")
    editor_img.scroll_into_view_if_needed()
    drag_over_image(page, editor_img, (300, 200), (700, 500))
    expect(page.locator('input[name="box-0-x2"]')).not_to_have_value("")
    drawn = [int(page.locator(f'input[name="box-0-{n}"]').input_value()) for n in NAMES]
    for got, wanted in zip(drawn, (300, 200, 700, 500), strict=True):
        assert abs(got - wanted) <= 2, drawn  # the drag lands within a screen pixel of the target
    page.get_by_label("Add a comment").fill("The logo smaller, here")
    page.get_by_role("button", name="Add comment").click()

    # The comment shows its box over the image, numbered, and focusing the comment lights it up.
    comment_item = page.locator("#comments li.comment[data-boxes]")
    expect(comment_item).to_contain_text("The logo smaller, here")
    overlay_box = page.locator(".viewer svg.comment-overlay g.comment-box")
    expect(overlay_box).to_have_count(1)
    expect(overlay_box.locator("text")).to_have_text("1")
    comment_item.focus()
    expect(overlay_box).to_have_class(re.compile(r"\bis-lit\b"))
    page.locator(".viewer img.full").hover(position={"x": 2, "y": 2})  # outside the box
    overlay_box.locator("rect").hover()
    expect(comment_item).to_have_class(re.compile(r"\bis-lit\b"))
    comment = Comment.objects.get()
    assert comment.boxes == [drawn]
    context.close()

    # Alice, the image's author, turns it into her next edit.
    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    page.goto(f"{live_server.url}/gallery/images/{image.pk}/")
    page.get_by_role("button", name=re.compile("Edit from comment 1")).click()
    expect(page).to_have_url(re.compile(r"/create/$"))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("The logo smaller, here")
    expect(page.locator(".reference-card")).to_have_count(1)
    ref = Draft.current_for(alice).references.get()
    for name, value in zip(NAMES, drawn, strict=True):
        field = page.locator(f'input[name="ref-{ref.pk}-box-0-{name}"]')
        expect(field).to_have_value(str(value))
    # The editor's own box is drawn where the comment's was.
    expect(page.locator("box-editor g.box-1")).to_be_visible()
    context.close()
