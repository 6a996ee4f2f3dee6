"""The studio's frame in a real browser (Debian's chromium through Playwright), on a phone (390×844)
and a wide monitor (1440×900): no page of the frame is wider than the screen, the menu works from
the keyboard, and the home page shows Lighthouse's work and nothing of Harbour's.

alice is Lighthouse's admin (and staff, for the billing dashboard); mallory runs Harbour.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from studio.accounting.models import TeamBudget
from studio.pipeline.budgets import team_budget_status
from studio.pipeline.models import OutputImage
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import make_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
SCREENS = [pytest.param(PHONE, id="390x844"), pytest.param(DESKTOP, id="1440x900")]


def open_as(browser, live_server, user, viewport):
    context = logged_in_context(browser, live_server, user)
    page = context.new_page()
    page.set_viewport_size(viewport)
    return context, page


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when nothing sticks out)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def staff_alice(alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    return alice


@pytest.fixture
def lighthouse_at_work(staff_alice, lighthouse, mallory, media):
    """Lighthouse: two finished jobs, one still running, a budget; Harbour: one finished job."""
    TeamBudget.objects.create(team=lighthouse, monthly_images=40)
    ours = [finished_job(staff_alice, n=2, prompt="Lighthouse in fog"), finished_job(staff_alice, n=1, prompt="Lighthouse at noon")]
    running = make_job(staff_alice, "A lighthouse in a storm")
    theirs = finished_job(mallory, n=1, prompt="Harbour cranes at night")
    return ours, running, theirs


@pytest.mark.parametrize("viewport", SCREENS)
def test_no_page_of_the_frame_is_wider_than_the_screen(browser, live_server, lighthouse_at_work, staff_alice, viewport):
    context, page = open_as(browser, live_server, staff_alice, viewport)
    for path in ("/", "/accounts/team/", "/billing/", "/billing/reconciliation/", "/accounts/password/", "/admin/"):
        assert page.goto(live_server.url + path).status == 200, path
        assert overflow(page) == 0, f"{path} is {overflow(page)} px wider than {viewport['width']} px"
    context.close()

    anonymous = browser.new_context(viewport=viewport)
    page = anonymous.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert overflow(page) == 0, "the login page sticks out"
    expect(page.get_by_role("button", name="Log in")).to_be_in_viewport()
    anonymous.close()


@pytest.mark.parametrize("viewport", SCREENS)
def test_log_out_is_on_screen_at_every_width(browser, live_server, staff_alice, media, viewport):
    context, page = open_as(browser, live_server, staff_alice, viewport)
    page.goto(f"{live_server.url}/accounts/team/")
    menu = page.get_by_role("button", name="Menu")
    if viewport == PHONE:
        menu.click()
    else:
        expect(menu).to_be_hidden()  # wide screens show the links themselves
    expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery")).to_be_in_viewport()
    context.close()


def test_the_menu_works_from_the_keyboard_on_a_phone(browser, live_server, staff_alice, media):
    context, page = open_as(browser, live_server, staff_alice, PHONE)
    page.goto(f"{live_server.url}/accounts/team/")
    menu = page.get_by_role("button", name="Menu")
    gallery = page.get_by_role("navigation", name="Main").get_by_role("link", name="Gallery")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(gallery).to_be_hidden()

    # Skip link, brand, then the Menu button: the keyboard reaches it in that order.
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(gallery).to_be_visible()

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Home")).to_be_focused()
    # The focus ring is drawn (studio.css: 3px outline on :focus-visible).
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(gallery).to_be_hidden()

    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(gallery).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/gallery/$"))
    context.close()


@pytest.mark.parametrize("viewport", SCREENS)
def test_home_shows_lighthouses_work_and_nothing_of_harbours(browser, live_server, lighthouse_at_work, staff_alice, lighthouse, viewport):
    ours, running, theirs = lighthouse_at_work
    context, page = open_as(browser, live_server, staff_alice, viewport)
    page.goto(f"{live_server.url}/")

    in_flight = page.get_by_role("region", name=re.compile("Your jobs in flight"))
    expect(page.locator("#stat-in-flight")).to_have_text("1")
    expect(in_flight.get_by_role("link", name=f"Job {running.pk}")).to_have_attribute("href", f"/create/#job-{running.pk}")
    expect(page.locator("#stat-review")).to_have_text("3")  # alice's three images, none reviewed yet
    left = team_budget_status(lighthouse).left_images
    assert left == 40 - 1  # the running job reserves its one image
    expect(page.locator("#stat-budget")).to_contain_text(f"{left} images left of 40")

    recent = page.locator("#recent-images img")
    expect(recent).to_have_count(3)
    # Every thumbnail really loads (a broken image has no natural width).
    page.wait_for_function("[...document.querySelectorAll('#recent-images img')].every(i => i.complete && i.naturalWidth > 0)")
    expect(page.get_by_role("img", name=re.compile("Harbour"))).to_have_count(0)
    their_image = OutputImage.objects.get(job=theirs)
    expect(page.locator(f'a[href="/gallery/images/{their_image.pk}/"]')).to_have_count(0)
    assert overflow(page) == 0

    newest = OutputImage.objects.filter(job=ours[1]).get()
    page.get_by_role("link", name=re.compile(f"^Image 1 of job {newest.job_id}:")).click()
    expect(page).to_have_url(re.compile(rf"/gallery/images/{newest.pk}/$"))
    context.close()


def test_an_error_lists_bullets_sit_inside_its_box(browser, live_server, staff_alice, media):
    context, page = open_as(browser, live_server, staff_alice, PHONE)
    page.goto(f"{live_server.url}/accounts/password/")
    page.get_by_label("Old password").fill("not-the-password")
    page.get_by_label(re.compile(r"^New password:?$")).fill("a-new-Passw0rd-9")
    page.get_by_label("New password confirmation").fill("a-new-Passw0rd-9")
    page.get_by_role("button", name="Change password").click()

    errors = page.locator("ul.errorlist").first
    expect(errors).to_contain_text("Your old password was entered incorrectly")
    box = errors.bounding_box()
    item = errors.locator("li").first
    assert item.evaluate("li => getComputedStyle(li).listStylePosition") == "inside"
    item_box = item.bounding_box()
    assert item_box["x"] >= box["x"] and item_box["x"] + item_box["width"] <= box["x"] + box["width"]
    assert overflow(page) == 0
    context.close()
