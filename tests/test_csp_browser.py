"""The pages satisfy the Content-Security-Policy they are sent with: no inline scripts, styles or
event handlers. Chromium reports every refusal as a console message and a
`securitypolicyviolation` event; visiting each page (and letting htmx swap parts) must give none.
"""

from __future__ import annotations

import pytest

from studio.pipeline.models import OutputImage
from tests.browser import logged_in_context
from tests.gallery_helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs in every document before its own scripts, so no early violation is missed.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def staff_page(browser, live_server, alice, media):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    context = logged_in_context(browser, live_server, alice)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.console_messages_seen = []
    page.on("console", lambda message: page.console_messages_seen.append(message.text))
    yield page
    context.close()


def violations(page) -> list[str]:
    events = page.evaluate("window.__cspViolations")
    console = [text for text in page.console_messages_seen if "Content Security Policy" in text]
    return events + console


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(staff_page, live_server, alice):
    job = finished_job(alice, n=2)
    image = OutputImage.objects.filter(job=job).order_by("index").first()
    page = staff_page

    visit(page, f"{live_server.url}/create/")
    # htmx round trips still happen: typing saves the draft, so does changing a parameter.
    with page.expect_response(lambda r: r.url.endswith("/create/save") and r.status == 200):
        page.get_by_label("Prompt").fill("A lighthouse at dusk, seen from the sea")
    with page.expect_response(lambda r: r.url.endswith("/create/save") and r.status == 200):
        page.get_by_label("Seed").fill("42")
        page.get_by_label("Seed").blur()
    page.wait_for_load_state("networkidle")
    assert violations(page) == []

    for path in ("/gallery/", f"/gallery/images/{image.pk}/", "/accounts/team/", "/accounts/api-tokens/", "/accounts/team/api-tokens/", "/billing/", "/gallery/review/", "/gallery/boards/", "/gallery/trash/", "/jobs/attention/", "/admin/", "/"):
        visit(page, live_server.url + path)
        assert violations(page) == [], path
