"""The editor end to end in Simplified Chinese, with the emulator and a queue cluster: upload a
reference, draw a box, switch the palette on, Generate, and the images appear; switching the language
through the site menu's switcher (and back) keeps the whole draft: prompt, reference, box, palette.

Controls are found by their ids, names and roles' structure, not by English or Chinese labels, so
this test reads the same whatever the catalogs say; tests/test_zh_pages_browser.py checks the words.
"""

from __future__ import annotations

import pytest
from PIL import Image
from playwright.sync_api import expect

from studio.editor.models import Draft
from studio.pipeline.models import Job
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.browser import logged_in_context
from tests.cluster import Cluster, cluster_env
from tests.zh_words import VISIBLE_TEXT, english_words

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROMPT = "把图 1 变成一幅水彩画，保留框内的灯塔"


@pytest.fixture
def zh_editor(browser, live_server, alice, media):
    english = logged_in_context(browser, live_server, alice)
    try:
        state = english.storage_state()
    finally:
        english.close()
    context = browser.new_context(locale="zh-Hans", viewport={"width": 1440, "height": 1000}, storage_state=state)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/create/")
    yield page
    context.close()


@pytest.fixture
def pipeline(media, tmp_path):
    emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.2, running_seconds=0.5)).start()
    cluster = Cluster(cluster_env(emulator.url), tmp_path / "cluster.log")
    yield emulator
    cluster.stop()
    emulator.shutdown()


def stripes(tmp_path):
    path = tmp_path / "灯塔.png"
    # Three colours, so the palette (3 to 10 colours) can start from the reference's own.
    image = Image.new("RGB", (1200, 900), "#2a6f97")
    image.paste(Image.new("RGB", (400, 900), "#f1c40f"), (0, 0))
    image.paste(Image.new("RGB", (400, 900), "#c0392b"), (400, 0))
    image.save(path, "PNG")
    return path


def saved(page) -> None:
    """Every autosave has answered (htmx marks a request in flight with .htmx-request)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def box_fields(page):
    return page.locator('.reference-card fieldset[data-box="0"] input[type=number]')


def box(page) -> list[str]:
    return [box_fields(page).nth(i).input_value() for i in range(4)]


def palette(page) -> list[tuple[str, str]]:
    rows = page.locator("[data-swatch]")
    return [
        (rows.nth(i).locator("[data-hex]").input_value(), rows.nth(i).locator("[data-percent]").input_value())
        for i in range(rows.count())
    ]


def draw_a_box(page) -> None:
    image = page.locator(".reference-card box-editor img").first
    expect(image).to_be_visible()
    area = image.bounding_box()
    page.mouse.move(area["x"] + 30, area["y"] + 30)
    page.mouse.down()
    page.mouse.move(area["x"] + 100, area["y"] + 90)
    page.mouse.move(area["x"] + 180, area["y"] + 160)
    page.mouse.up()
    expect(box_fields(page).nth(2)).not_to_have_value("")


def prepare_a_draft(page, tmp_path) -> None:
    page.locator("#reference-files").set_input_files(str(stripes(tmp_path)))
    expect(page.locator(".reference-card")).to_have_count(1)
    draw_a_box(page)
    saved(page)
    page.locator("#palette_enabled").check()
    expect(page.locator("palette-editor [data-swatch]").first).to_be_visible()
    expect(page.locator("[data-total-out]")).to_have_text("100.00%")
    # The prompt is saved as it is typed, after a short pause: wait for that save's answer.
    with page.expect_response(lambda r: r.url.endswith("/create/save") and r.status == 200):
        page.locator("#prompt").fill(PROMPT)
    saved(page)


def switch_language(page, language: str) -> None:
    switcher = page.locator("form.language-switch")
    # The switcher may sit behind the menu button on a narrow screen; here it is in view.
    switcher.locator("select").select_option(language)
    with page.expect_navigation():
        switcher.locator("button[type=submit]").press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_the_editor_works_in_chinese_and_switching_language_keeps_the_draft(zh_editor, pipeline, alice, tmp_path):
    page = zh_editor
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.evaluate("typeof gettext === 'function' && typeof interpolate === 'function'"), "the JavaScript catalog is loaded"
    prepare_a_draft(page, tmp_path)
    before = {"prompt": page.locator("#prompt").input_value(), "box": box(page), "palette": palette(page)}
    assert before["prompt"] == PROMPT and len(before["palette"]) >= 3
    draft = Draft.current_for(alice)

    for language in ("en", "zh-hans"):
        switch_language(page, language)
        assert page.url.endswith("/create/"), "the switch comes back to the editor"
        expect(page.locator(".reference-card")).to_have_count(1)
        expect(page.locator("#palette_enabled")).to_be_checked()
        assert {"prompt": page.locator("#prompt").input_value(), "box": box(page), "palette": palette(page)} == before, language
        assert Draft.current_for(alice) == draft

    page.locator(".generate-action button[type=submit]").click()
    job_card = page.locator(".job-card").first
    expect(job_card.locator(".job-status")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(job_card.locator("img").first).to_be_visible()
    job = Job.objects.get()
    assert job.prompt == PROMPT
    assert [c["hundredths"] for c in job.parameters["color_palette"]] == [int(p.replace(".", "")) for _, p in before["palette"]]


def test_the_editors_widgets_speak_chinese(zh_editor, tmp_path):
    """Reference card, box editor and palette, as a zh-Hans browser sees them once used."""
    page = zh_editor
    prepare_a_draft(page, tmp_path)
    found = english_words(page.evaluate(VISIBLE_TEXT), user_content=(PROMPT,))
    assert found == {}, f"English words of the interface in the zh-Hans editor (word: where): {found}"
