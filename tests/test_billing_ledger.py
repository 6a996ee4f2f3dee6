"""The usage ledger: one charge per succeeded job, equal to what the provider reported, and never more.

Jobs run through the real pipeline against the emulator (submit, poll, download), so the ledger
is checked against the counts the provider actually returned.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.accounting.models import EntryKind, LedgerEntry
from studio.pipeline import ledger, store
from studio.pipeline.jobs import job_cancel
from studio.pipeline.models import Job, JobStatus
from studio.pipeline.store import job_download
from studio.wan.client import WanClient
from tests.billing_helpers import new_job, poll, price, run_to_downloading, run_to_end

S = JobStatus


@pytest.fixture
def priced(db):
    """Emulator jobs cost nothing unless the price table says otherwise; here it does."""
    price("wan2.7-image", "emulator", "0.03")
    price("wan2.7-image-pro", "emulator", "0.075")


def test_a_succeeded_job_is_charged_once_for_what_the_provider_reported(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=3), wan, wired)

    assert job.status == S.SUCCEEDED
    entry = LedgerEntry.objects.get(job=job)
    assert entry.kind == EntryKind.CHARGE
    assert entry.image_count == job.usage_image_count == 3
    assert entry.images_stored == job.images_stored == 3
    assert entry.unit_price == Decimal("0.03") and entry.currency == "USD"
    assert entry.cost == Decimal("0.09")
    assert (entry.team, entry.user, entry.model, entry.region) == (job.team, alice, "wan2.7-image", "emulator")
    assert entry.task_id == job.task_id and entry.request_id == job.request_id and entry.request_id
    assert entry.created_at == job.finished_at


def test_a_partial_success_is_charged_for_the_images_generated_not_those_asked_for(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:partial] cats", n=4, model="wan2.7-image-pro"), wan, wired)

    assert job.status == S.SUCCEEDED and job.partial
    entry = LedgerEntry.objects.get(job=job)
    assert entry.image_count == job.usage_image_count == 2
    assert entry.cost == Decimal("0.150")


def test_a_sequential_set_is_charged_per_frame(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=3, enable_sequential=True), wan, wired)

    assert LedgerEntry.objects.get(job=job).image_count == job.usage_image_count == 3


def test_a_failed_task_is_not_charged(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:task_failed] a cat"), wan, wired)

    assert job.status == S.FAILED
    assert not LedgerEntry.objects.exists()


def test_a_refused_submit_is_not_charged(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    from studio.pipeline import submit

    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:moderation] a cat")
    assert submit.job_submit(job_id=job.pk, client=wan) == "failed"

    assert not LedgerEntry.objects.exists()


def test_canceled_jobs_are_not_charged(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    from studio.pipeline import submit

    queued = job_cancel(job=new_job(alice, django_capture_on_commit_callbacks))
    pending = new_job(alice, django_capture_on_commit_callbacks)
    submit.job_submit(job_id=pending.pk, client=wan)
    pending.refresh_from_db()
    pending = job_cancel(job=pending)

    assert queued.status == pending.status == S.CANCELED
    assert not LedgerEntry.objects.exists()


def test_an_expired_result_is_not_charged(alice, priced, start_emulator, settings, media, django_capture_on_commit_callbacks):
    from studio.pipeline import provider, submit

    instant = start_emulator(pending_seconds=0, running_seconds=0)
    settings.DASHSCOPE_BASE_URL = instant.url
    job = new_job(alice, django_capture_on_commit_callbacks, prompt="[fault:expired_url] a cat")
    with WanClient(api_key=provider.api_key(), base_url=instant.url) as client:
        submit.job_submit(job_id=job.pk, client=client)
        poll(job, client)
    assert job_download(job_id=job.pk) == "expired"

    job.refresh_from_db()
    # The provider reported (and bills) the image; the studio lost it and charges nobody.
    assert job.status == S.EXPIRED and job.usage_image_count == 1
    assert not LedgerEntry.objects.exists()


def test_a_download_resumed_after_a_worker_crash_charges_exactly_once(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_downloading(new_job(alice, django_capture_on_commit_callbacks, n=2), wan, wired)
    # Worker A takes the download and dies holding it; its lease runs out.
    assert store.take_lease(job.pk)
    stale = Job.objects.get(pk=job.pk)
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    # Worker B resumes the download and finishes the job.
    assert job_download(job_id=job.pk) == "succeeded"
    # Worker A comes back to life and finishes too, from its stale view of the job.
    store._finish(stale, [])
    # A late doorbell delivers the download once more.
    assert job_download(job_id=job.pk) == "busy"

    entries = LedgerEntry.objects.filter(job=job)
    assert entries.count() == 1
    assert entries.get().image_count == 2 and entries.get().cost == Decimal("0.06")


def test_charging_the_same_job_again_returns_its_one_charge(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks), wan, wired)
    first = LedgerEntry.objects.get(job=job)

    assert ledger.job_charge(job_id=job.pk) == first
    assert LedgerEntry.objects.filter(job=job).count() == 1


def test_the_database_refuses_a_second_charge_for_a_job(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks), wan, wired)
    charge = LedgerEntry.objects.get(job=job)
    duplicate = LedgerEntry(
        job=job, team=charge.team, user=alice, model=charge.model, region=charge.region,
        image_count=1, unit_price=charge.unit_price, cost=charge.cost,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_job_that_has_not_succeeded_cannot_be_charged(alice, priced, wired, django_capture_on_commit_callbacks):
    job = new_job(alice, django_capture_on_commit_callbacks)
    with pytest.raises(ledger.NotChargeable):
        ledger.job_charge(job_id=job.pk)


def test_emulator_jobs_without_a_price_row_cost_nothing_but_are_counted(alice, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=2), wan, wired)

    entry = LedgerEntry.objects.get(job=job)
    assert entry.image_count == 2 and entry.unit_price == Decimal(0) and entry.cost == Decimal(0)


def test_a_correction_is_a_new_entry_and_the_charge_is_never_edited(alice, priced, wired, wan, django_capture_on_commit_callbacks):
    job = run_to_end(new_job(alice, django_capture_on_commit_callbacks, n=2), wan, wired)
    charge = LedgerEntry.objects.get(job=job)

    correction = ledger.job_correct(job=job, image_count=-1, note="Provider credited one image", by=alice)

    assert correction.kind == EntryKind.CORRECTION and correction.cost == Decimal("-0.03")
    assert correction.unit_price == charge.unit_price and correction.created_by == alice
    assert LedgerEntry.objects.filter(job=job).count() == 2
    charge.image_count = 5
    with pytest.raises(ValueError, match="never changed"):
        charge.save()
    with pytest.raises(ValueError, match="never deleted"):
        charge.delete()
    charge.refresh_from_db()
    assert charge.image_count == 2
    with pytest.raises(ValueError, match="note"):
        ledger.job_correct(job=job, image_count=1, note="  ", by=alice)

