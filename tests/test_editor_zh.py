"""The Create page in Simplified Chinese: a browser asking for zh-Hans gets the editor's labels, its
refusals and its plurals in Chinese, while the English page stays as it was (no browser here)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.editor.models import Draft

HTMX = {"HTTP_HX_REQUEST": "true"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans,zh;q=0.9,en;q=0.5"}
LOCALE = Path(django_settings.BASE_DIR) / "studio" / "locale"


def _compiled() -> None:
    """The catalogs are built, not committed: compile any .po newer than its .mo."""
    for po in LOCALE.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run([shutil.which("msgfmt") or "msgfmt", "-o", str(mo), str(po)], check=True)


@pytest.fixture
def zh_ready(settings):
    """The language settings the studio runs with (set here too, so this file stands on its own)."""
    _compiled()
    settings.LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
    settings.LANGUAGE_CODE = "en"
    settings.LOCALE_PATHS = [LOCALE]
    locale = "django.middleware.locale.LocaleMiddleware"
    if locale not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, locale)
        settings.MIDDLEWARE = middleware


@pytest.fixture
def editor(alice_client, media, zh_ready):
    return alice_client


def png(width=400, height=300, name="photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#2a6f97").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def upload(client, *files, **headers):
    return client.post("/create/references", {"references": list(files)}, **HTMX, **headers)


def test_editor_in_zh_hans_shows_chinese_labels(editor):
    page = editor.get("/create/", **ZH).content.decode()
    for words in ("参考图", "提示词", "调色板", "生成", "参数", "模型", "种子", "队列与结果", "请求预览"):
        assert words in page, words
    for english in (">Prompt</label>", ">Generate</button>", "Colour palette", "Queue and results", "Reference images"):
        assert english not in page, english


def test_editor_without_accept_language_stays_english(editor):
    page = editor.get("/create/").content.decode()
    assert ">Prompt</label>" in page
    assert ">Generate</button>" in page
    assert "参考图" not in page


def test_user_content_is_marked_not_to_translate(editor, alice):
    draft = Draft.current_for(alice)
    draft.prompt = "A lighthouse at dusk"
    draft.save()
    upload(editor, png(name="harbour.png"), **ZH)
    page = editor.get("/create/", **ZH).content.decode()
    assert 'translate="no">A lighthouse at dusk</textarea>' in page
    assert 'translate="no">harbour.png</span>' in page


def test_upload_refusal_in_zh_hans_names_the_file_and_the_limit(editor):
    response = upload(editor, png(width=200, height=300, name="tiny.png"), **ZH)
    assert response.status_code == 422
    page = response.content.decode()
    assert "tiny.png：200×300 px 太小（每条边须为" in page
    assert "px）" in page


def test_upload_refusal_without_accept_language_stays_english(editor):
    page = upload(editor, png(width=200, height=300, name="tiny.png")).content.decode()
    assert "tiny.png: 200×300 px is too small (each side must be" in page


def test_box_counts_use_the_one_chinese_plural_form(editor, alice):
    upload(editor, png(), **ZH)
    upload(editor, png(name="second.png"), **ZH)
    first, second = Draft.current_for(alice).ordered_references()
    first.boxes = [["10", "10", "200", "200"], ["", "", "", ""]]
    first.save()
    second.boxes = [["10", "10", "200", "200"], ["210", "10", "390", "290"]]
    second.save()
    page = editor.get("/create/", **ZH).content.decode()
    assert 'data-box-count="1">1 个框</span>' in page
    assert 'data-box-count="2">2 个框</span>' in page


def test_generate_refusal_in_zh_hans_counts_problems_in_chinese(editor, alice):
    draft = Draft.current_for(alice)
    data = {"prompt": "", "model": "wan2.7-image", "parameters": "1", "size_preset": "1K", "n": "x", "seed": "", "palette_shown": "1"}
    page = editor.post("/create/generate", data, **HTMX, **ZH).content.decode()
    assert "未发送：请修正下方 2 个问题" in page
    assert "<strong>图片数量</strong>: “x”不是整数" in page
    assert "<strong>提示词</strong>" in page
    assert Draft.objects.get(pk=draft.pk).prompt == ""


def test_palette_balance_keeps_its_exact_percentages_in_chinese(editor, alice):
    draft = Draft.current_for(alice)
    draft.palette_enabled = True
    draft.palette = [{"hex": "#112233", "percent": "60.00"}, {"hex": "#445566", "percent": "30.00"}, {"hex": "#778899", "percent": "10.00"}]
    draft.save()
    page = editor.get("/create/", **ZH).content.decode()
    assert "待分配 <span data-remaining-out>0.00%</span>：合计恰好 100.00%" in page
    assert "合计 <output data-total-out>100.00%</output>" in page
    assert "平均分配" in page
    assert "%%" not in page


def test_js_catalog_serves_the_widgets_words_in_chinese(editor):
    body = editor.get("/jsi18n/", **ZH).content.decode()
    assert "\\u5f85\\u5206\\u914d" in body or "待分配" in body  # "待分配 %(amount)s"
    assert "nplurals" not in body or "plural=0" in body


def test_a_waiting_job_card_reads_in_chinese(editor, alice):
    from tests.pipeline_helpers import make_job

    job = make_job(alice, n=3)
    html = editor.get(f"/jobs/{job.pk}/card", **HTMX, **ZH).content.decode()
    assert f"任务 {job.pk}</h3>" in html
    assert "排队中" in html  # the step in words
    assert "图 3：尚未生成" in html
    assert f"取消任务 {job.pk}" in html
    assert 'class="job-prompt" translate="no"' in html
