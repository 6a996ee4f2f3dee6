"""The pipeline's words in the reader's language: job states, review states and roles, why a job
ended, why generation is paused, a refused budget or cancel; money and numbers in the reader's
locale while a palette's ratio stays exact; each model's description translated, its name not.

English stays what it was (the other tests assert it); Chinese is read from the catalog compiled
for the test (tests/zh_catalog.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from studio.accounting.models import TeamBudget
from studio.accounting.money import format_money
from studio.accounts.models import Role
from studio.gallery.models import ReviewState
from studio.numbers import format_number, format_percent
from studio.pipeline import attention
from studio.pipeline.budgets import BudgetExceeded
from studio.pipeline.explain import explain
from studio.pipeline.models import Job, JobStatus, ProviderAccount
from studio.wan.capabilities import MODELS, PARAMETERS, format_ratio
from tests.billing_helpers import new_job, price
from tests.zh_catalog import in_chinese

S = JobStatus


@pytest.fixture
def chinese(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with in_chinese(tmp_path_factory.getbasetemp() / "zh-locale"):
        yield


def test_every_choice_a_page_shows_reads_in_chinese(chinese) -> None:
    assert S.QUEUED.label == "排队中" and S.SUCCEEDED.label == "完成" and S.UNKNOWN_OUTCOME.label == "待处理"
    assert ReviewState.APPROVED.label == "已通过" and ReviewState.CHANGES_REQUESTED.label == "需修改"
    assert Role.REVIEWER.label == "审核员"
    for choices in (S, ReviewState, Role):
        for label in choices.labels:
            assert not any(c.isascii() and c.isalpha() for c in str(label)), label


def test_choices_stay_english_without_a_language() -> None:
    assert S.SUCCEEDED.label == "Done" and ReviewState.REJECTED.label == "Rejected" and Role.ADMIN.label == "Admin"


def test_why_a_job_ended_reads_in_chinese_and_in_english(chinese) -> None:
    assert explain(status=S.FAILED, error_code="DataInspectionFailed").startswith("服务商的内容安全检查")
    assert explain(status=S.EXPIRED, error_code="") == "图片下载完成前，结果链接已过期（有效期 24 小时）。"
    assert explain(status=S.FAILED, error_code="Throttling.RateQuota") == "服务商繁忙。工作室已重试但未成功，请稍后再试。"
    with translation.override("en"):
        assert explain(status=S.CANCELED, error_code="") == "The job was canceled; nothing was billed."


def test_a_stored_studio_sentence_is_shown_in_the_readers_language_and_a_providers_message_as_written(chinese) -> None:
    assert Job(error_message="Canceled before it was sent.").error_text == "发送前已取消。"
    assert Job(error_message="Image too small: width < 240").error_text == "Image too small: width < 240"


def test_the_download_steps_notes_are_read_back_in_the_readers_language(chinese) -> None:
    partial = "2 of 4 images were generated; image 3: the link answered HTTP 404"
    assert Job(error_message=partial).error_text == "仅生成了 2 张图片（共请求 4 张）；第 3 张图：the link answered HTTP 404"
    assert Job(error_message="No image could be saved: image 1: timed out").error_text == "未能保存任何图片：第 1 张图：timed out"
    # A note the studio did not write (a person's, the provider's) is left whole.
    assert Job(error_message="2 of 4 images were generated; odd words").error_text == "2 of 4 images were generated; odd words"
    with translation.override("en"):
        assert Job(error_message=partial).error_text == partial


def test_a_parked_job_stores_english_and_is_worded_again_for_a_chinese_reader(chinese) -> None:
    job = Job(model="wan2.7-image", error_code="OutcomeUnknown")
    with translation.override("en"):
        stored = attention._message(job, attention.AMBIGUOUS, 2)
    job.error_message = stored
    job.attention = {"reason": attention.AMBIGUOUS, "candidates": [{"task_id": "a"}, {"task_id": "b"}]}
    assert stored.startswith("The provider's task list shows 2 tasks of wan2.7-image")
    assert job.error_text.startswith("服务商的任务列表显示，在该任务发送时有 2 个 wan2.7-image 任务")
    with translation.override("en"):
        assert job.error_text == stored


def test_a_pause_reason_from_the_code_table_is_translated(chinese) -> None:
    assert ProviderAccount(pause_code="Arrearage").pause_reason == "阿里云账号已欠费（请在费用中心充值）"
    assert ProviderAccount(pause_code="Odd", pause_message="odd provider words").pause_reason == "odd provider words"


def test_a_refused_budget_is_worded_for_the_person_who_asked(
    chinese, alice, lighthouse, media, django_capture_on_commit_callbacks
) -> None:
    price("wan2.7-image", "emulator", "0.03")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("1234.00"), monthly_images=3)
    with pytest.raises(BudgetExceeded) as refused:
        new_job(alice, django_capture_on_commit_callbacks, n=4)
    # The image budget refuses first: both are checked, the first broken one answers.
    assert refused.value.message.startswith("此任务最多可生成 4 张图片；团队 Lighthouse ")
    assert "额度为 3 张图片，仅剩 3 张。" in refused.value.message


def test_money_and_numbers_follow_the_readers_locale(chinese) -> None:
    assert format_money(Decimal("1234567.5"), "CNY") == "1234567.50 CNY"
    assert format_money(Decimal("0.075"), "CNY") == "0.075 CNY"
    assert format_number(12345) == "12345" and format_percent(Decimal("12.5"), 1) == "12.5%"
    with translation.override("en"):
        assert format_money(Decimal("1234567.5"), "USD") == "1,234,567.50 USD"
        assert format_money(Decimal("1234.0001")) == "1,234.0001"
        assert format_number(12345) == "12,345" and format_percent(85) == "85%"


def test_a_palette_ratio_stays_exact_in_every_language(chinese) -> None:
    assert format_ratio(10000) == "100.00%" and format_ratio(2351) == "23.51%"


def test_each_models_description_is_translated_and_its_name_is_not(chinese) -> None:
    for caps in MODELS.values():
        translated = gettext(caps.description)
        assert translated != caps.description, caps.name
        assert caps.name in MODELS  # names are keys, never run through gettext
    assert gettext(MODELS["wan2.7-image-pro"].description) == "专业版；文生图支持 4K。"
    for parameter in PARAMETERS:
        assert gettext(parameter.label) != parameter.label, parameter.name
    edit = MODELS["wanx2.1-imageedit"].image_edit
    assert edit is not None
    for function in edit.functions.values():
        assert gettext(function.label) != function.label, function.name
