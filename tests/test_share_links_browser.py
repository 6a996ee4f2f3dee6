"""Share links in a real browser: Alice shares a board, a logged-out visitor opens it and sees
the board's images and nothing of the studio, then the link dies by revoke and by expiry.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.gallery.models import Board, BoardItem
from studio.sharing.models import ShareLink
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alices(browser, live_server, alice, media):
    context = logged_in_context(browser, live_server, alice)
    yield context.new_page()
    context.close()


@pytest.fixture
def visitor(browser):
    """A fresh browser: no cookies, never logged in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def board(alice, lighthouse, media):
    """A board with two of Lighthouse's three images."""
    first = finished_job(alice, n=2, prompt="Secret brief: the harbour at dusk")
    second = finished_job(alice, n=1, prompt="Another secret brief")
    board = Board.objects.create(team=lighthouse, name="Client picks", created_by=alice)
    for image in (first.outputs.get(index=1), second.outputs.get()):
        BoardItem.objects.create(board=board, image=image, added_by=alice)
    return board


def images_loaded(page) -> int:
    """How many of the page's images arrived and decoded, once each has finished loading."""
    # expect() polls without eval (the page's CSP forbids it, which wait_for_function's polling needs).
    for image in page.locator("img").all():
        expect(image).to_have_js_property("complete", True)
    return page.evaluate("() => [...document.images].filter(i => i.naturalWidth > 0).length")


def test_a_shared_board_works_logged_out_shows_only_its_images_and_dies_on_revoke(alices, visitor, live_server, board):
    alices.goto(f"{live_server.url}/gallery/boards/")
    # Keyboard only: the disclosure opens with Enter, the form submits with Enter.
    share = alices.locator("summary.share-summary")
    share.focus()
    share.press("Enter")
    expect(alices.get_by_label("Expires after (days)")).to_have_value("7")
    alices.get_by_label("Expires after (days)").press("Enter")

    expect(alices.get_by_role("heading", name="Link created")).to_be_visible()
    address = alices.get_by_role("textbox", name=re.compile("Copy this address now")).input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[A-Za-z0-9_-]{{43}}/", address)
    alices.get_by_role("button", name="Copy link").click()
    expect(alices.locator(".copy-status")).not_to_be_empty()

    visitor.goto(address)
    expect(visitor.get_by_role("heading", name="2 images shared with you")).to_be_visible()
    expect(visitor.get_by_role("img")).to_have_count(2)
    assert images_loaded(visitor) == 2
    text = visitor.locator("body").inner_text()
    for secret in ("Lighthouse", "Client picks", "Secret brief", "Another secret", "alice", "wan2.7", "Log out"):
        assert secret not in text, secret
    links = visitor.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
    assert links and all(href.startswith(address.removeprefix(live_server.url)) or href == "#main" for href in links)
    # Nothing in the visitor's browser opens the studio.
    visitor.goto(f"{live_server.url}/gallery/")
    expect(visitor).to_have_url(re.compile(r"/accounts/login/"))

    alices.goto(f"{live_server.url}/shares/")
    expect(alices.locator(".share-link .views")).to_have_text("1 view")
    alices.get_by_role("button", name=re.compile("Revoke")).click()
    expect(alices.locator(".share-state")).to_have_text("Revoked")

    response = visitor.goto(address)
    assert response.status == 404
    expect(visitor.get_by_role("heading", name="Not found")).to_be_visible()
    assert visitor.locator("img").count() == 0


def test_an_expired_link_is_not_found(alices, visitor, live_server, board):
    alices.goto(f"{live_server.url}/shares/new?what=board:{board.pk}")
    alices.get_by_role("button", name="Create link").click()
    address = alices.locator("#share-url").input_value()
    assert visitor.goto(address).status == 200

    ShareLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = visitor.goto(address)
    assert response.status == 404 and response.headers["x-robots-tag"].startswith("noindex")
    expect(visitor.get_by_role("heading", name="Not found")).to_be_visible()
    alices.goto(f"{live_server.url}/shares/")
    expect(alices.locator(".share-state")).to_have_text("Expired")


def test_a_job_set_shared_from_the_image_page_with_its_prompt_and_a_visitors_comment(alices, visitor, live_server, board):
    image = board.items.first().image
    alices.goto(f"{live_server.url}/gallery/images/{image.pk}/")
    alices.locator("summary.share-summary").click()
    alices.get_by_label("All 2 images of the job").check()
    alices.get_by_label("Show the prompt").check()
    alices.get_by_label("Visitors may comment").check()
    alices.get_by_role("button", name="Create link").click()
    address = alices.locator("#share-url").input_value()

    visitor.goto(address)
    expect(visitor.get_by_role("img")).to_have_count(2)
    expect(visitor.locator(".shared-prompt").first).to_have_text("Secret brief: the harbour at dusk")
    visitor.get_by_label("Your name").fill("Carol from the client")
    visitor.get_by_label("About").select_option(label="Image 2")
    visitor.get_by_label("Comment", exact=True).fill("Image 2 is the one.")
    visitor.get_by_role("button", name="Send comment").click()
    expect(visitor.get_by_role("status")).to_have_text("Thank you: your comment was sent to the team.")

    alices.goto(f"{live_server.url}/shares/")
    comments = alices.get_by_role("list", name="Comments from visitors of this link")
    expect(comments).to_contain_text("Carol from the client")
    expect(comments).to_contain_text("Image 2 is the one.")


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


def test_the_share_pages_fit_a_phone_and_keep_to_the_csp(browser, live_server, alice, board):
    """The open Share form, the address shown once, the list, the visitor's page and the 404, at 390 px."""
    image = board.items.first().image
    phone = {"width": 390, "height": 844}
    context = logged_in_context(browser, live_server, alice)
    state = context.storage_state()
    context.close()
    context = browser.new_context(viewport=phone, storage_state=state)
    context.add_init_script(RECORD_CSP)
    visitor_context = browser.new_context(viewport=phone)
    visitor_context.add_init_script(RECORD_CSP)
    try:
        page = context.new_page()
        wider: dict[str, int] = {}
        page.goto(f"{live_server.url}/gallery/images/{image.pk}/")
        page.locator("summary.share-summary").click()
        expect(page.get_by_role("button", name="Create link")).to_be_visible()
        wider["image page, Share open"] = page.evaluate(OVERFLOW)
        page.get_by_label("Visitors may comment").check()
        page.get_by_role("button", name="Create link").click()
        address = page.locator("#share-url").input_value()
        wider["link created"] = page.evaluate(OVERFLOW)
        page.goto(f"{live_server.url}/gallery/boards/")
        page.locator("summary.share-summary").click()
        wider["boards, Share open"] = page.evaluate(OVERFLOW)
        page.goto(f"{live_server.url}/shares/")
        wider["list"] = page.evaluate(OVERFLOW)

        visitor = visitor_context.new_page()
        visitor.goto(address)
        images_loaded(visitor)
        wider["shared"] = visitor.evaluate(OVERFLOW)
        visitor.goto(f"{live_server.url}/s/{'x' * 43}/")
        wider["not found"] = visitor.evaluate(OVERFLOW)
        assert {name: px for name, px in wider.items() if px > 0} == {}
        assert page.evaluate("window.__csp") == [] and visitor.evaluate("window.__csp") == []
    finally:
        context.close()
        visitor_context.close()
