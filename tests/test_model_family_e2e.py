"""One job per model of the documents, end to end: made by the job service, sent by the real
pipeline (submit, poll, download) to the emulator over HTTP, stored in the team gallery, and
charged once in the ledger for what the provider reported."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from studio.accounting.models import LedgerEntry
from studio.pipeline import submit
from studio.pipeline.models import JobStatus
from studio.pipeline.store import job_download
from studio.wan.capabilities import MODELS
from tests.billing_helpers import new_job, poll, price
from tests.pipeline_helpers import png_reference

S = JobStatus


def painted_mask(width: int = 640, height: int = 512) -> bytes:
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (100, 80, 300, 240))
    out = io.BytesIO()
    mask.save(out, "PNG")
    return out.getvalue()


# 512 px is the smallest side wanx2.1-imageedit takes (see its capability entry).
REF = png_reference(640, 512)
MASKED = png_reference(640, 512)
MASKED = type(MASKED)(**{**MASKED.__dict__, "mask": painted_mask()})

# model, the request's options, references, images the provider makes
CASES = {
    "wan2.6-image editing": ("wan2.6-image", dict(n=2, size="1K", negative_prompt="blur", prompt_extend=False), (REF,), 2),
    "wan2.6-image interleave": ("wan2.6-image", dict(n=None, size="1024*1024", enable_interleave=True, max_images=3), (), 3),
    "wan2.6-t2i": ("wan2.6-t2i", dict(n=1, size="1280*1280"), (), 1),
    "wan2.2-t2i-flash": ("wan2.2-t2i-flash", dict(n=2, size="1024*1024"), (), 2),
    "wan2.5-i2i-preview": ("wan2.5-i2i-preview", dict(n=1, size=None, prompt_extend=True), (REF, REF), 1),
    "wanx2.1-imageedit mask": ("wanx2.1-imageedit", dict(n=1, size=None, function="description_edit_with_mask"), (MASKED,), 1),
    "wanx2.1-imageedit expand": (
        "wanx2.1-imageedit",
        dict(n=1, size=None, function="expand", top_scale=1.5, bottom_scale=1.5, left_scale=1.5, right_scale=1.5),
        (REF,),
        1,
    ),
    "qwen-image-2.0-pro": ("qwen-image-2.0-pro", dict(n=2, size="1024*1024"), (), 2),
    "qwen-image-2.0": ("qwen-image-2.0", dict(n=1, size="1024*1024"), (REF,), 1),
    "qwen-image-edit-max": ("qwen-image-edit-max", dict(n=1, size="1024*1024"), (REF,), 1),
    "qwen-image-edit-plus": ("qwen-image-edit-plus", dict(n=3, size="1024*1024"), (REF, REF), 3),
    "qwen-image-edit": ("qwen-image-edit", dict(n=None, size=None), (REF,), 1),
    "qwen-image-plus": ("qwen-image-plus", dict(n=1, size="1664*928"), (), 1),
    "qwen-image-max": ("qwen-image-max", dict(n=1, size="928*1664"), (), 1),
    "z-image-turbo": ("z-image-turbo", dict(n=None, size="1280*720", prompt_extend=False), (), 1),
}


def test_every_new_model_has_an_end_to_end_case() -> None:
    assert {model for model, *_ in CASES.values()} == set(MODELS) - {"wan2.7-image-pro", "wan2.7-image"}


def run(job, wan, emulator) -> object:
    sent = submit.job_submit(job_id=job.pk, client=wan)
    caps = MODELS[job.model]
    # Sync-only models answer with the images; the others are polled like any task.
    assert sent == ("generated" if caps.sync_only else "submitted"), job.error_message
    if not caps.sync_only:
        emulator.clock.advance(120)
        job = poll(job, wan)
    job.refresh_from_db()
    assert job.status == S.DOWNLOADING, job.error_message
    job_download(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize("case", list(CASES))
def test_a_job_of_each_model_reaches_the_gallery_and_is_charged_once(
    case, alice, client, wired, wan, django_capture_on_commit_callbacks
):
    model, options, references, made = CASES[case]
    price(model, "emulator", "0.01")
    job = new_job(alice, django_capture_on_commit_callbacks, model=model, prompt=f"A harbour at dusk ({case})",
                  references=references, **options)

    job = run(job, wan, wired)

    assert job.status == S.SUCCEEDED, job.error_message
    assert job.images_stored == job.usage_image_count == made
    entry = LedgerEntry.objects.get(job=job)
    assert (entry.model, entry.image_count, entry.cost) == (model, made, Decimal("0.01") * made)
    first = job.outputs.get(index=0)
    client.force_login(alice)
    page = client.get(reverse("gallery:image", args=[first.pk]))
    assert page.status_code == 200
    assert f"A harbour at dusk ({case})" in page.content.decode()


def test_interleaved_text_is_shown_with_the_images_in_order(alice, client, wired, wan, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, model="wan2.6-image", prompt="A three-step latte art guide",
                  n=None, size="1024*1024", enable_interleave=True, max_images=3)
    job = run(job, wan, wired)

    assert [list(part) for part in job.output_parts] == [["text"], ["image"]] * 3
    client.force_login(alice)
    html = client.get(reverse("gallery:image", args=[job.outputs.get(index=1).pk])).content.decode()
    steps = [html.index(f"Step {i}. A three-step latte art guide") for i in (1, 2, 3)]
    assert steps == sorted(steps)
    assert 'aria-current="page"' in html and "Text and images, as answered" in html


def test_the_rewritten_prompt_of_wan25_is_shown(alice, client, wired, wan, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, model="wan2.5-i2i-preview", prompt="Put the clock on the table",
                  references=(REF,), n=1, size=None, prompt_extend=True)
    job = run(job, wan, wired)

    [part] = job.output_parts
    assert part["actual_prompt"].startswith("Put the clock on the table") and part["actual_prompt"] != job.prompt
    client.force_login(alice)
    html = client.get(reverse("gallery:image", args=[job.outputs.get().pk])).content.decode()
    assert "As the provider rewrote it" in html and part["actual_prompt"] in html


def test_outpainting_makes_the_picture_larger_by_its_scales(alice, wired, wan, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks, model="wanx2.1-imageedit", prompt="A wider view",
                  references=(REF,), n=1, size=None, function="expand",
                  top_scale=1.5, bottom_scale=1.5, left_scale=2.0, right_scale=2.0)
    job = run(job, wan, wired)

    output = job.outputs.get()
    assert (output.width, output.height) == (1280, 768)


def test_the_mask_is_sent_with_the_job_and_kept_for_reuse(alice, wired, wan, django_capture_on_commit_callbacks):
    from studio.pipeline.jobs import body_for_job

    job = new_job(alice, django_capture_on_commit_callbacks, model="wanx2.1-imageedit", prompt="A ceramic rabbit",
                  references=(MASKED,), n=1, size=None, function="description_edit_with_mask")
    body = body_for_job(job)
    assert body["input"]["function"] == "description_edit_with_mask"
    assert body["input"]["mask_image_url"].startswith("data:image/png;base64,")
    with job.references.get().mask.open("rb") as handle, Image.open(handle) as mask:
        assert mask.size == (640, 512) and mask.getbbox() == (100, 80, 300, 240)


def test_a_sync_call_whose_answer_is_lost_is_never_sent_again(alice, wired, wan, django_capture_on_commit_callbacks):
    from studio.pipeline import recovery

    job = new_job(alice, django_capture_on_commit_callbacks, model="z-image-turbo", prompt="A lost answer [fault:drop]",
                  n=None, size="1024*1024")
    assert submit.job_submit(job_id=job.pk, client=wan) == "unknown-outcome"
    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME

    assert recovery.reconcile(job, wan) == "attention"
    job.refresh_from_db()
    assert job.status == S.UNKNOWN_OUTCOME and "not sent again" in job.error_message
    assert job.attention["reason"] == "sync_lost"
    assert wired.stats()["sync_by_prompt"] == {"A lost answer [fault:drop]": 1}


def test_wanx21_never_has_more_than_its_two_documented_tasks_in_flight(alice, wired, wan, settings, django_capture_on_commit_callbacks):
    settings.WAN_MAX_CONCURRENT_TASKS = 10
    settings.WAN_SUBMITS_PER_SECOND = 100
    jobs = [
        new_job(alice, django_capture_on_commit_callbacks, model="wanx2.1-imageedit", prompt=f"Colour {i}",
                references=(REF,), n=1, size=None, function="colorization")
        for i in range(3)
    ]
    outcomes = [submit.job_submit(job_id=job.pk, client=wan) for job in jobs]
    assert outcomes == ["submitted", "submitted", "throttled"]
    assert wired.stats()["tasks_created"] == 2
    # Another model on the same key is not held back by wanx2.1's limit.
    other = new_job(alice, django_capture_on_commit_callbacks, model="wan2.2-t2i-flash", n=1, size="1024*1024")
    assert submit.job_submit(job_id=other.pk, client=wan) == "submitted"


def test_the_documented_limits_cap_the_settings_and_an_operator_override_wins(settings):
    settings.WAN_MAX_CONCURRENT_TASKS = 10
    settings.WAN_SUBMITS_PER_SECOND = 5
    assert submit.limits_for("wanx2.1-imageedit") == submit.Limits(submits_per_second=2.0, concurrent=2)
    assert submit.limits_for("wan2.6-image") == submit.Limits(submits_per_second=5.0, concurrent=10)
    settings.WAN_SUBMITS_PER_SECOND = 1
    assert submit.limits_for("wanx2.1-imageedit").submits_per_second == 1.0
    settings.WAN_MODEL_LIMITS = {"wanx2.1-imageedit": {"concurrent": 4}}
    assert submit.limits_for("wanx2.1-imageedit").concurrent == 4
