"""Every page in Simplified Chinese: a browser whose language is zh-Hans gets `<html lang="zh-hans">`
and no English word of the interface outside user content (tests/zh_words.py says what is skipped:
`translate="no"` subtrees, <code>/<kbd>, typed values). The word list is built from the English
msgids of the catalogs, so it grows with the interface by itself."""

from __future__ import annotations

import pytest

from studio.sharing.services import share_create
from tests.browser import logged_in_context
from tests.every_page import USER_CONTENT, pages, studio_with_work  # noqa: F401 (a fixture)
from tests.zh_words import VISIBLE_TEXT, english_words, ui_words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZH_BROWSER = {"locale": "zh-Hans", "viewport": {"width": 1440, "height": 900}}


def zh_context(browser, live_server, user=None):
    state = None
    if user is not None:
        english = logged_in_context(browser, live_server, user)
        try:
            state = english.storage_state()
        finally:
            english.close()
    context = browser.new_context(storage_state=state, **ZH_BROWSER)
    context.set_default_timeout(15_000)
    return context


def english_on(page, url: str) -> tuple[str, dict[str, str]]:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    page.wait_for_load_state("networkidle")
    return page.evaluate("document.documentElement.lang"), english_words(page.evaluate(VISIBLE_TEXT), user_content=USER_CONTENT)


def test_the_word_list_holds_the_interfaces_words():
    words = ui_words()
    assert {"skip", "content", "language", "emulator"} <= words, "base.html's own strings are in it"
    assert "dashscope" not in words, "names kept as written are not"


def test_names_kept_as_written_and_user_content_are_not_english_to_fix():
    texts = ["离线模拟器：未设置，图片由 DashScope 模拟器生成，而非来自阿里云百炼（Model Studio）", "wan2.7-image-pro · Wan Studio"]
    assert english_words(texts) == {}
    assert english_words(["Skip to content"]) == {"skip": "Skip to content", "content": "Skip to content"}
    assert english_words(["Skip the fox"], user_content=("Skip the fox",)) == {}


def zh_pages(work, alice) -> dict[str, str]:
    """The every-page list, and the page a share link shows to people outside the team."""
    shared = share_create(
        membership=alice.memberships.get(),
        kind="image",
        target=work["image"],
        expires_in_days=7,
        include_prompt=True,
        may_comment=True,
        by=alice,
    )
    return {**pages(work), "shared": f"/s/{shared.token}/"}


def test_every_page_speaks_chinese_outside_user_content(browser, live_server, alice, studio_with_work):
    english: dict[str, dict[str, str]] = {}
    languages: dict[str, str] = {}
    context = zh_context(browser, live_server, alice)
    try:
        page = context.new_page()
        for name, path in zh_pages(studio_with_work, alice).items():
            languages[name], found = english_on(page, live_server.url + path)
            if found:
                english[name] = found
    finally:
        context.close()
    not_chinese = {name: lang for name, lang in languages.items() if lang != "zh-hans"}
    assert not_chinese == {} and english == {}, f"pages whose <html lang> is not zh-hans: {not_chinese}\n" + "English words of the interface on zh-Hans pages (word: where):\n" + "\n".join(
        f"  {name}: " + "; ".join(f"{word!r} in {text!r}" for word, text in found.items()) for name, found in english.items()
    )


def test_the_login_page_speaks_chinese(browser, live_server, db):
    context = zh_context(browser, live_server)
    try:
        lang, found = english_on(context.new_page(), live_server.url + "/accounts/login/")
    finally:
        context.close()
    assert lang == "zh-hans"
    assert found == {}


def test_the_same_pages_in_english_are_found_english(browser, live_server, alice, studio_with_work):
    """The check can fail: an English browser's home page is full of the interface's words."""
    english = logged_in_context(browser, live_server, alice)
    try:
        page = english.new_page()
        page.goto(live_server.url + "/")
        found = english_words(page.evaluate(VISIBLE_TEXT), user_content=USER_CONTENT)
    finally:
        english.close()
    assert {"skip", "content", "language"} <= set(found)
