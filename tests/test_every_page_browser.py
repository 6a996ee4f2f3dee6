"""Every page of the studio at a wide monitor (1440×900) and a phone (390×844): nothing wider than
the screen, and each page's main content on screen.

`make screenshots` runs this module with SCREENSHOTS_DIR set: every page at both sizes is saved
there as <page>-<width>x<height>.png (full page), for anyone to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import logged_in_context
from tests.every_page import pages, studio_with_work  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"wide": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = os.environ.get("SCREENSHOTS_DIR", "")

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
