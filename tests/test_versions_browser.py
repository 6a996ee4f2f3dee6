"""Versions in a real browser: the chain on the image page of an edit, and the compare page's
two views, its slider driven by the keyboard alone."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def logged_in(browser, live_server, alice, media):
    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def v1_and_v2(alice):
    # v2 is wider than v1: the slider must stretch it over v1's box.
    v1 = finished_job(alice, n=1, prompt="A poster", image_size=(300, 200)).outputs.get()
    v2 = finished_job(
        alice, n=1, prompt="Make the logo smaller", image_size=(450, 200),
        references=[replace(png_reference(), source_image_id=v1.pk)],
    ).outputs.get()
    return v1, v2


def test_the_edit_shows_v1_to_v2_and_compares_with_its_parent(logged_in, live_server, v1_and_v2):
    page = logged_in
    v1, v2 = v1_and_v2

    page.goto(f"{live_server.url}/gallery/images/{v2.pk}/")
    chain = page.get_by_role("list", name="Versions, oldest first")
    expect(chain.get_by_role("listitem")).to_have_count(2)
    expect(chain.get_by_role("link", name=re.compile(r"^v1 job"))).to_have_attribute("href", f"/gallery/images/{v1.pk}/")
    expect(chain.locator("[aria-current=page]")).to_contain_text("v2")

    page.get_by_role("link", name=re.compile("^Compare with parent")).click()
    expect(page).to_have_url(re.compile(rf"/gallery/compare/{v1.pk}/{v2.pk}/$"))
    side = page.locator(".compare-side")
    for image in (side.get_by_role("img", name=re.compile("^First")), side.get_by_role("img", name=re.compile("^Second"))):
        expect(image).to_be_visible()
        # Loaded, not a broken image: the browser decoded the PNG.
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_the_slider_moves_with_the_keyboard(logged_in, live_server, v1_and_v2):
    page = logged_in
    v1, v2 = v1_and_v2
    page.goto(f"{live_server.url}/gallery/compare/{v1.pk}/{v2.pk}/")

    slider = page.get_by_role("slider", name="Where the second image starts")
    expect(slider).to_be_hidden()
    page.get_by_role("button", name="Slider").click()
    expect(page.get_by_role("button", name="Slider")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".compare-side")).to_be_hidden()
    expect(slider).to_be_visible()

    # Both images fill the same box: the second is scaled to the first's shape.
    base, over = page.locator(".compare-base"), page.locator(".compare-over")
    expect(over).to_be_visible()
    assert base.bounding_box() == over.bounding_box()

    slider.focus()
    expect(slider).to_have_attribute("aria-valuenow", "50")
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuenow", "52")
    slider.press("PageDown")
    expect(slider).to_have_attribute("aria-valuenow", "42")
    slider.press("Home")
    expect(slider).to_have_attribute("aria-valuenow", "0")
    slider.press("End")
    expect(slider).to_have_attribute("aria-valuenow", "100")
    # What a person sees: the line sits at the right edge and nothing of the second image shows.
    box = page.locator(".compare-stage").bounding_box()
    line = slider.bounding_box()
    assert abs((line["x"] + line["width"] / 2) - (box["x"] + box["width"])) < 3
    assert over.evaluate("img => getComputedStyle(img).clipPath") == "inset(0px 0px 0px 100%)"

    page.get_by_role("button", name="Side by side").click()
    expect(page.locator(".compare-side")).to_be_visible()
    expect(slider).to_be_hidden()


def test_a_click_on_the_stage_moves_the_line_there(logged_in, live_server, v1_and_v2):
    page = logged_in
    v1, v2 = v1_and_v2
    page.goto(f"{live_server.url}/gallery/compare/{v1.pk}/{v2.pk}/?mode=slider")

    stage = page.locator(".compare-stage")
    box = stage.bounding_box()
    stage.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})

    slider = page.get_by_role("slider", name="Where the second image starts")
    expect(slider).to_have_attribute("aria-valuenow", "25")
    expect(slider).to_be_focused()  # the keyboard carries on from where the pointer left it
