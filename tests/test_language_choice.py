"""Which language the studio speaks: the browser's Accept-Language until the person chooses; then
their choice, kept on their profile (any device, after logout) and in the session, switched by a
CSRF-protected form that comes back to the same page with the editor's draft untouched."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import formats, translation

from studio.accounts.models import Profile
from studio.editor.models import Draft

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans,zh;q=0.9"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def speaks_chinese(response) -> bool:
    html = response.content.decode()
    return '<html lang="zh-hans">' in html and "跳到正文" in html


def speaks_english(response) -> bool:
    html = response.content.decode()
    return '<html lang="en">' in html and "Skip to content" in html


def switch(client, language: str, next_url: str = "/", **headers):
    return client.post("/accounts/language", {"language": language, "next": next_url}, **headers)


# --- The browser's choice ---------------------------------------------------------------------


def test_accept_language_zh_hans_gives_chinese_pages(alice_client):
    home = alice_client.get("/", **ZH)
    assert speaks_chinese(home)
    assert "图库" in home.content.decode() and "退出登录" in home.content.decode()
    assert home["Content-Language"] == "zh-hans"


def test_accept_language_en_gives_english_pages(alice_client):
    assert speaks_english(alice_client.get("/", **EN))


def test_no_accept_language_gives_english(alice_client):
    assert speaks_english(alice_client.get("/"))


def test_the_login_page_follows_the_browser_too(db):
    assert speaks_chinese(Client().get("/accounts/login/", **ZH))
    assert speaks_english(Client().get("/accounts/login/", **EN))


def test_pages_say_they_vary_by_language(alice_client):
    vary = alice_client.get("/", **ZH)["Vary"]
    assert "Accept-Language" in vary and "Cookie" in vary


# --- The person's choice ----------------------------------------------------------------------


def test_a_signed_in_users_choice_beats_the_header_and_is_kept_on_the_profile(alice_client, alice):
    response = switch(alice_client, "zh-hans", **EN)
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).language == "zh-hans"
    assert speaks_chinese(alice_client.get("/", **EN))
    switch(alice_client, "en", **ZH)
    assert speaks_english(alice_client.get("/", **ZH))
    assert Profile.objects.get(user=alice).language == "en"


def test_the_choice_survives_logout_and_login(alice_client, alice):
    switch(alice_client, "zh-hans")
    alice_client.post("/accounts/logout/")
    assert speaks_chinese(alice_client.get("/accounts/login/", **EN)), "the cookie keeps the login page in Chinese"

    elsewhere = Client()  # another browser: no cookie, an English header
    assert elsewhere.login(username="alice", password="alice-password-1")
    assert speaks_chinese(elsewhere.get("/", **EN))


def test_someone_without_a_saved_choice_follows_their_browser(alice_client, bob):
    switch(alice_client, "zh-hans")
    bobs = Client()
    bobs.force_login(bob)
    assert speaks_english(bobs.get("/", **EN))
    assert speaks_chinese(bobs.get("/", **ZH))


def test_a_visitor_may_switch_on_the_login_page_without_a_profile(db):
    visitor = Client()
    response = switch(visitor, "zh-hans", "/accounts/login/", **EN)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert speaks_chinese(visitor.get("/accounts/login/", **EN))
    assert not Profile.objects.exists()


def test_a_language_chosen_on_the_login_page_is_saved_at_login(alice):
    visitor = Client()
    switch(visitor, "zh-hans", "/accounts/login/")
    assert visitor.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"}).status_code == 302
    assert Profile.objects.get(user=alice).language == "zh-hans"
    assert speaks_chinese(visitor.get("/", **EN))


def test_a_saved_choice_beats_one_made_on_the_login_page(alice):
    Profile.objects.create(user=alice, language="en")
    visitor = Client()
    switch(visitor, "zh-hans", "/accounts/login/")
    visitor.post("/accounts/login/", {"username": "alice", "password": "alice-password-1"})
    assert speaks_english(visitor.get("/", **ZH))
    assert Profile.objects.get(user=alice).language == "en"


def test_the_switch_returns_to_the_same_page(alice_client):
    response = switch(alice_client, "zh-hans", "/gallery/?starred=1")
    assert response["Location"] == "/gallery/?starred=1"


def test_the_switch_never_sends_anyone_to_another_site(alice_client):
    assert switch(alice_client, "zh-hans", "https://evil.example/")["Location"] == "/"
    assert switch(alice_client, "zh-hans", "//evil.example/")["Location"] == "/"


def test_an_unknown_language_is_refused_with_400_and_says_why(alice_client, alice):
    response = switch(alice_client, "klingon")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Language" in text and "klingon" in text and "en, zh-hans" in text
    assert not Profile.objects.filter(user=alice).exists()


def test_the_refusal_is_in_the_language_of_the_page(alice_client):
    assert "请从 en, zh-hans 中选择" in switch(alice_client, "fr", **ZH).content.decode()


def test_switching_needs_a_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert switch(client, "zh-hans").status_code == 403
    assert not Profile.objects.filter(user=alice).exists()


def test_switching_is_post_only(alice_client):
    assert alice_client.get("/accounts/language", {"language": "zh-hans"}).status_code == 405


def test_switching_keeps_the_editors_draft(alice_client, alice, media):
    saved = alice_client.post("/create/save", {"prompt": "A red fox in the snow"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    draft = Draft.current_for(alice)

    response = switch(alice_client, "zh-hans", "/create/")
    assert response["Location"] == "/create/"
    editor = alice_client.get("/create/")
    assert speaks_chinese(editor)
    assert "A red fox in the snow" in editor.content.decode()
    assert Draft.current_for(alice) == draft and Draft.objects.filter(owner=alice).count() == 1


# --- What follows the language ----------------------------------------------------------------


def test_the_javascript_catalog_is_public_cacheable_and_in_the_language_asked(db):
    response = Client().get("/jsi18n/?l=zh-hans")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=3600" in response["Cache-Control"]
    # Django's own zh_Hans formats travel with it (get_format() in the widgets).
    assert "Y\\u5e74n\\u6708j\\u65e5" in response.content.decode() or "Y年n月j日" in response.content.decode()
    assert "Y\\u5e74" not in Client().get("/jsi18n/?l=en").content.decode()


def test_the_page_loads_the_catalog_of_its_language_before_any_other_script(alice_client):
    html = alice_client.get("/", **ZH).content.decode()
    first_script = html.index("<script")
    assert html[first_script:].startswith('<script src="/jsi18n/?l=zh-hans">')


@pytest.mark.parametrize(("language", "date"), [("en", "Dec. 1, 2026"), ("zh-hans", "2026年12月1日")])
def test_dates_follow_the_language(language, date):
    import datetime

    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 12, 1)) == date
