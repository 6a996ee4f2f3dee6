"""The API token pages in a real browser (CSP on): a token is made by keyboard-reachable form,
its secret copied with the Copy button, then revoked through the confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from studio.api.models import ApiToken
from tests.browser import logged_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_copy_and_revoke_a_token(browser, live_server, alice, lighthouse):
    context = logged_in_context(browser, live_server, alice)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.get_by_role("link", name="API tokens").click()
        page.get_by_label("Name").fill("catalogue script")
        page.get_by_label("Expires").select_option(label="In 7 days")
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_role("heading", name="Token created")).to_be_visible()
        secret = page.locator("#token-secret").input_value()
        assert secret.startswith("ws_")
        page.get_by_role("button", name="Copy token").click()
        expect(page.locator(".copy-status")).not_to_be_empty()
        page.get_by_role("link", name="All your tokens").click()
        expect(page.locator("#tokens")).to_contain_text(secret[:10])
        expect(page.locator("#tokens")).not_to_contain_text(secret)
        page.get_by_role("link", name="Revoke catalogue script").click()
        page.get_by_role("button", name="Revoke token").click()
        expect(page.locator("#tokens")).to_contain_text("revoked")
        assert ApiToken.objects.get().revoked_at is not None
    finally:
        context.close()
