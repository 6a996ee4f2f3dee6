"""The price table: the source of every price, and a price change never rewrites the past."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from studio.accounting import prices
from studio.accounting.models import LedgerEntry, UnitPrice
from studio.pipeline.models import Job
from tests.billing_helpers import new_job, price, run_to_end


def test_the_row_in_force_at_a_moment_gives_the_price(db):
    now = timezone.now()
    price("wan2.7-image", "singapore", "0.03", since=now - timedelta(days=30))
    price("wan2.7-image", "singapore", "0.04", since=now - timedelta(days=1))
    price("wan2.7-image", "singapore", "0.05", since=now + timedelta(days=7))

    assert prices.unit_price("wan2.7-image", "singapore", at=now - timedelta(days=10)) == Decimal("0.03")
    assert prices.unit_price("wan2.7-image", "singapore") == Decimal("0.04")
    assert prices.unit_price("wan2.7-image", "singapore", at=now + timedelta(days=8)) == Decimal("0.05")


def test_without_a_row_settings_then_the_documents_give_the_price(db, settings):
    assert prices.price_of("wan2.7-image-pro", "singapore") == prices.Cost(1, Decimal("0.075"), "USD", "documented")
    settings.WAN_UNIT_PRICES = {"wan2.7-image-pro": {"singapore": "0.08"}}
    assert prices.price_of("wan2.7-image-pro", "singapore").unit_price == Decimal("0.08")
    # Before the first row takes effect, the fallback still applies.
    price("wan2.7-image-pro", "singapore", "0.09", since=timezone.now() + timedelta(hours=1))
    assert prices.unit_price("wan2.7-image-pro", "singapore") == Decimal("0.08")


def test_the_emulator_costs_nothing_and_an_undocumented_region_has_no_price(db):
    assert prices.unit_price("wan2.7-image", "emulator") == Decimal(0)
    assert prices.unit_price("wan2.7-image", "beijing") is None


def test_a_price_change_applies_to_jobs_made_after_it_only(alice, wired, wan, django_capture_on_commit_callbacks):
    now = timezone.now()
    price("wan2.7-image", "emulator", "0.03", since=now - timedelta(days=30))
    price("wan2.7-image", "emulator", "0.05", since=now - timedelta(hours=1))
    before = new_job(alice, django_capture_on_commit_callbacks, n=2)
    # Made yesterday, under the old price, and finishing only now, after the change.
    Job.objects.filter(pk=before.pk).update(created_at=now - timedelta(days=1))
    after = new_job(alice, django_capture_on_commit_callbacks, n=2)

    run_to_end(before, wan, wired)
    run_to_end(after, wan, wired)

    assert LedgerEntry.objects.get(job=before).cost == Decimal("0.06")
    assert LedgerEntry.objects.get(job=after).cost == Decimal("0.10")
    # A later change leaves recorded charges as they were.
    price("wan2.7-image", "emulator", "0.50", since=now - timedelta(minutes=1))
    assert LedgerEntry.objects.get(job=before).unit_price == Decimal("0.03")
    assert before.unit_price() == Decimal("0.03")


@pytest.fixture
def admin_client(client, db):
    boss = get_user_model().objects.create_superuser("boss", password="boss-password-1")
    client.force_login(boss)
    return client


def price_form(**fields) -> dict[str, str]:
    start = timezone.localtime() + timedelta(days=1)
    data = {
        "model": "wan2.7-image",
        "region": "singapore",
        "amount": "0.035",
        "currency": "usd",
        "effective_from_0": start.strftime("%Y-%m-%d"),
        "effective_from_1": start.strftime("%H:%M:%S"),
        "note": "New list price",
    }
    data.update(fields)
    return data


def test_an_admin_adds_a_price_that_starts_later(admin_client):
    response = admin_client.post("/admin/accounting/unitprice/add/", price_form())

    assert response.status_code == 302
    row = UnitPrice.objects.get()
    assert row.amount == Decimal("0.035") and row.currency == "USD" and not row.in_effect


def test_the_admin_refuses_a_price_that_starts_in_the_past(admin_client):
    last_week = timezone.localtime() - timedelta(days=7)
    response = admin_client.post(
        "/admin/accounting/unitprice/add/", price_form(effective_from_0=last_week.strftime("%Y-%m-%d"))
    )

    assert response.status_code == 200
    assert "A price cannot start in the past" in response.content.decode()
    assert not UnitPrice.objects.exists()


def test_a_price_in_force_cannot_be_edited_or_deleted_in_the_admin(admin_client):
    row = price("wan2.7-image", "singapore", "0.03", since=timezone.now() - timedelta(days=1))

    page = admin_client.get(f"/admin/accounting/unitprice/{row.pk}/change/").content.decode()
    admin_client.post(f"/admin/accounting/unitprice/{row.pk}/change/", price_form(amount="9.99"))
    deleted = admin_client.post(f"/admin/accounting/unitprice/{row.pk}/delete/", {"post": "yes"})

    assert 'name="amount"' not in page
    assert deleted.status_code == 403
    row.refresh_from_db()
    assert row.amount == Decimal("0.03")


def test_an_old_admin_address_of_the_price_table_still_leads_to_it(admin_client):
    # The price table moved from the billing app to accounting; bookmarks made before still work.
    response = admin_client.get("/admin/billing/unitprice/?region=singapore")

    assert response.status_code == 302
    assert response["Location"] == "/admin/accounting/unitprice/?region=singapore"
    assert admin_client.get(response["Location"]).status_code == 200
