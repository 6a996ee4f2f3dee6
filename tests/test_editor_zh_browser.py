"""The Create page's widgets in Simplified Chinese, in a real browser: the words the scripts write
(box editor toolbar and announcements, the palette's live balance) come from the JavaScript catalog."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser import logged_in_context
from tests.test_csp_browser import RECORD_VIOLATIONS
from tests.test_editor_zh import LOCALE, _compiled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server, alice, media, settings):
    # The live server's middleware is built once per session, so this file sets the language the
    # LocaleMiddleware would pick from "Accept-Language: zh-Hans" directly.
    _compiled()
    settings.LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
    settings.LOCALE_PATHS = [LOCALE]
    settings.LANGUAGE_CODE = "zh-hans"
    context = logged_in_context(browser, live_server, alice)
    context.set_extra_http_headers({"Accept-Language": "zh-Hans"})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{live_server.url}/create/")
    yield page
    assert page.evaluate("window.__cspViolations") == [], "the catalog loads within the Content-Security-Policy"
    context.close()


def png(width: int = 800, height: int = 600) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#2a6f97").save(out, "PNG")
    return {"name": "harbour.png", "mimeType": "image/png", "buffer": out.getvalue()}


def test_box_editor_speaks_chinese(page):
    page.get_by_label("参考图", exact=True).set_input_files([png()])
    toolbar = page.get_by_role("group", name="图 1 的缩放与撤销")
    expect(toolbar.get_by_role("button", name="撤销 图 1 上的框改动")).to_be_visible()
    expect(toolbar.get_by_role("button", name="输入框坐标")).to_be_visible()
    page.get_by_role("group", name="图 1 的视图：Enter 添加框，+ 和 − 缩放，0 适应窗口，放大后方向键平移").press("Enter")
    expect(page.locator(".box-message")).to_contain_text("图 1 的框 1: x1")
    expect(page.locator(".filmstrip-boxes")).to_have_text("1 个框")
    page.keyboard.press("Control+z")
    expect(page.locator(".box-message")).to_have_text("已撤销：图 1 现有 0 个框。")


def test_palette_balance_is_written_in_chinese(page):
    page.get_by_label("使用调色板").check()
    ratio = page.get_by_label("占比 1（%）")
    ratio.fill("20.00")
    expect(page.locator("[data-balance-out]")).to_contain_text("待分配")
    expect(page.locator("[data-remaining-out]")).to_have_text("13.34%")
    ratio.fill("50.00")
    expect(page.locator("[data-balance-out]")).to_have_text("超出 16.66%")
    expect(page.get_by_role("slider", name="颜色 1 与颜色 2 之间的分隔线")).to_be_visible()
