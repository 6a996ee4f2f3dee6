"""The pages outside the editor in Simplified Chinese (no browser): a browser asking for zh-Hans
gets the gallery, review, billing, team, login, home and share pages in Chinese, with what people
wrote (prompts, names) marked translate="no" and left as written; the ledger's CSV keeps its
machine header row in every language.

Alice (admin) and Bob (member) work in Lighthouse; Sam is staff; visitors are logged-out clients.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import trans_real

from studio.billing.export import COLUMNS
from studio.billing.filters import parse_filters
from studio.sharing import services
from tests.billing_helpers import ended_job
from tests.gallery_helpers import finished_job

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}
PROMPT = "A lighthouse at dawn, seen from the harbour"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    # The catalogs are compiled by `make run` / `make test`, not committed: compile them here too,
    # and drop any catalog a test loaded before, so this module reads the fresh ones.
    call_command("compilemessages", locale=["zh_Hans"], verbosity=0)
    trans_real._translations = {}
    trans_real._default = None
    yield
    translation.activate("en")


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def work(alice, media):
    return finished_job(alice, n=2, prompt=PROMPT)


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sam", password="sam-password-1", is_staff=True)
    return login(user)


def page(client: Client, path: str, **extra) -> str:
    response = client.get(path, **{**ZH, **extra})
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_the_gallery_speaks_chinese_and_leaves_the_prompt_as_written(alice, work):
    html = page(login(alice), "/gallery/")
    assert '<html lang="zh-hans"' in html or "图库" in html
    for word in ("图库", "画板", "筛选图库", "将所选打包为 ZIP 下载", "加星", "添加到画板", "提示词包含", "审核状态"):
        assert word in html, word
    # The prompt is user content: shown as written, and marked so a translator (or a check) skips it.
    assert re.search(r'<span class="prompt" translate="no">A lighthouse at dawn', html)


def test_the_image_page_shows_review_parameters_and_timings_in_chinese(alice, work):
    image = work.outputs.get(index=0)
    html = page(login(alice), f"/gallery/images/{image.pk}/")
    for word in ("审核", "通过", "要求修改", "拒绝", "提示词", "生成信息", "参数", "耗时", "排队", "完成", "评论", "版本", "复用设置", "用作参考图"):
        assert word in html, word
    assert f"任务 {work.pk} 的第 1 张图片" in html
    assert 'translate="no">A lighthouse at dawn' in html


def test_the_review_queue_and_its_keys_are_in_chinese(alice, work):
    html = page(login(alice), "/gallery/review/")
    for word in ("审核队列", "快捷键", "通过", "要求修改", "下一张", "2 张未审核"):
        assert word in html, word


def test_plural_counts_read_naturally_in_chinese(alice, lighthouse, media):
    from studio.gallery.models import Board

    Board.objects.create(team=lighthouse, name="Client picks", created_by=alice)
    html = page(login(alice), "/gallery/boards/")
    assert "0 张图片" in html
    assert "创建者" in html
    assert ">Client picks</a>" in html


def test_a_refusal_from_a_service_is_worded_in_chinese(alice, media):
    response = login(alice).post("/gallery/boards/", {"name": ""}, **ZH)
    assert "名称：请为画板命名。" in response.content.decode()


def test_the_trash_is_in_chinese(alice, work):
    html = page(login(alice), "/gallery/trash/")
    assert "回收站" in html and "回收站是空的。" in html


def test_the_team_page_is_in_chinese(alice, bob):
    html = page(login(alice), "/accounts/team/")
    for word in ("团队", "成员", "角色", "添加成员", "用户名", "修改密码"):
        assert word in html, word
    assert "团队 Lighthouse" in html


def test_the_login_page_is_in_chinese(db):
    html = page(Client(), "/accounts/login/")
    assert "登录" in html and "用户名" in html and "密码" in html


def test_the_home_page_is_in_chinese(alice, work):
    html = page(login(alice), "/")
    for word in ("生成图片", "概览", "审核", "打开图库", "你进行中的任务"):
        assert word in html, word
    assert "张图片待审核" in html


def test_the_billing_dashboard_is_in_chinese_and_dates_follow_the_language(staff, alice):
    ended_job(alice, created_at=timezone.make_aware(datetime(2026, 3, 1, 12)), seconds=20)
    html = page(staff, "/billing/", data={"period": "custom", "from": "2026-03-01", "to": "2026-03-03"})
    for word in ("费用", "计费图片", "失败率", "每日", "明细", "按模型", "本月团队预算", "下载账目（CSV）"):
        assert word in html, word
    assert "2026年3月1日 – 2026年3月3日" in html
    reconciliation = page(staff, "/billing/reconciliation/", data={"period": "custom", "from": "2026-03-01", "to": "2026-03-03"})
    assert "对账" in reconciliation and "服务商记录" in reconciliation


def test_the_period_label_stays_english_without_a_chinese_browser():
    query = {"period": "custom", "from": "2026-03-01", "to": "2026-03-03"}
    with translation.override("en"):
        assert parse_filters(query).label == "1 March 2026 – 3 March 2026"
    with translation.override("zh-hans"):
        assert parse_filters(query).label == "2026年3月1日 – 2026年3月3日"


def test_a_bad_billing_filter_names_the_field_in_chinese(staff):
    response = staff.get("/billing/", {"period": "custom", "from": "2026-03-05", "to": "2026-03-01"}, **ZH)
    assert "结束日期" in response.content.decode()


def test_the_csv_keeps_its_machine_header_row_in_chinese(staff, alice):
    ended_job(alice, created_at=timezone.make_aware(datetime(2026, 3, 1, 12)), seconds=20)
    query = {"period": "custom", "from": "2026-03-01", "to": "2026-03-03"}
    english = b"".join(staff.get("/billing/ledger.csv", query).streaming_content).decode()
    chinese = b"".join(staff.get("/billing/ledger.csv", query, **ZH).streaming_content).decode()
    header = next(csv.reader(io.StringIO(chinese)))
    assert header == list(COLUMNS)
    assert header[:4] == ["time", "kind", "team", "user"]
    assert chinese == english


def test_a_shared_page_is_in_the_visitors_language(alice, lighthouse, work):
    link = services.share_create(
        membership=alice.memberships.get(team=lighthouse),
        kind="job",
        target=work,
        expires_in_days=7,
        include_prompt=True,
        may_comment=True,
        by=alice,
    )
    html = page(Client(), f"/s/{link.token}/")
    assert '<html lang="zh-hans">' in html
    for word in ("有人与你分享了 2 张图片", "只读", "给团队留言", "你的名字", "发送评论"):
        assert word in html, word
    assert 'translate="no">A lighthouse at dawn' in html
    gone = Client().get("/s/not-a-token/", **ZH)
    assert "未找到" in gone.content.decode()


def test_the_share_links_page_is_in_chinese(alice, work):
    html = page(login(alice), "/shares/")
    assert "分享链接" in html and "还没有分享链接。" in html


def test_the_pages_script_strings_come_from_the_chinese_catalog(db):
    catalog = page(Client(), "/jsi18n/")
    for word in ("已复制。", "关闭此消息", "分隔线左侧是第一张"):
        # The catalog is JSON inside JavaScript, so non-ASCII letters come \u-escaped.
        assert json.dumps(word)[1:-1] in catalog, word


def test_without_a_language_the_pages_stay_english(alice, work):
    html = login(alice).get("/gallery/").content.decode()
    assert "Download selected as ZIP" in html and "图库" not in html
