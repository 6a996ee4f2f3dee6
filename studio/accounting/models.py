"""What images cost, what was charged, and what each team may spend.

Three tables: the price table (append-mostly: a price change is a new row with a later
effective-from, so the past is never re-priced), the ledger (append-only: one charge per
succeeded job, corrections as new rows), and team budgets (one per team, a monthly limit).
They were made by studio.billing and keep its table names, so existing rows stay where they
are (migrations/0001_initial.py).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Money is Decimal everywhere; six places hold prices like 0.075 and any sum of them exactly.
PRICE_DIGITS = {"max_digits": 12, "decimal_places": 6}
MONEY_DIGITS = {"max_digits": 16, "decimal_places": 6}
DEFAULT_WARN_PERCENT = 80
# A price form opened a few minutes ago still means "from now" when it is saved.
PRICE_BACKDATE_GRACE = timedelta(minutes=15)


class UnitPrice(models.Model):
    """The price of one generated image of `model` in `region`, from `effective_from` on."""

    model = models.CharField(max_length=64)
    region = models.CharField(max_length=32)
    amount = models.DecimalField(**PRICE_DIGITS, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default="USD")
    effective_from = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "billing_unitprice"
        verbose_name = _("unit price")
        verbose_name_plural = _("unit prices")
        ordering = ["model", "region", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["model", "region", "effective_from"], name="unique_price_start"),
        ]

    def __str__(self) -> str:
        return f"{self.model} in {self.region}: {self.amount} {self.currency} from {self.effective_from:%Y-%m-%d %H:%M}"

    @property
    def in_effect(self) -> bool:
        return self.effective_from <= timezone.now()

    def clean(self) -> None:
        # A price that starts in the past would re-price jobs already made (and their budgets).
        if self._state.adding and self.effective_from < timezone.now() - PRICE_BACKDATE_GRACE:
            raise ValidationError(
                {"effective_from": "A price cannot start in the past: it would change what earlier jobs cost. Choose now or later."}
            )
        self.currency = self.currency.upper()


class EntryKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    CORRECTION = "correction", _("Correction")


class LedgerEntry(models.Model):
    """One line of the usage ledger. Never updated or deleted: a mistake is fixed by a correction."""

    kind = models.CharField(max_length=12, choices=EntryKind.choices, default=EntryKind.CHARGE)
    job = models.ForeignKey("pipeline.Job", on_delete=models.PROTECT, related_name="ledger_entries")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, related_name="ledger_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries")
    model = models.CharField(max_length=64)
    region = models.CharField(max_length=32)
    # What the provider bills (usage.image_count); negative in a correction that takes images back.
    image_count = models.IntegerField()
    images_stored = models.IntegerField(default=0)
    # In force when the job was created; None when no price is known for the model and region.
    unit_price = models.DecimalField(**PRICE_DIGITS, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    cost = models.DecimalField(**MONEY_DIGITS)
    task_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "billing_ledgerentry"
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            # Exactly one charge per job, however many workers finish it.
            models.UniqueConstraint(fields=["job"], condition=Q(kind="charge"), name="one_charge_per_job"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for job {self.job_id}: {self.image_count} × {self.unit_price} = {self.cost} {self.currency}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Ledger entries are never changed; record a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are never deleted; record a correction instead.")


class TeamBudget(models.Model):
    """A team's monthly limit in money, in images, or both; jobs that could pass it are refused."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="budget")
    monthly_amount = models.DecimalField(
        **MONEY_DIGITS, null=True, blank=True, validators=[MinValueValidator(Decimal(0))],
        help_text="Most the team may spend in a calendar month; empty for no money limit.",
    )
    currency = models.CharField(max_length=3, default="USD")
    monthly_images = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most images the team may generate in a calendar month; empty for no limit."
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        default=DEFAULT_WARN_PERCENT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Show a warning once this share of the budget is used or reserved.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "billing_teambudget"
        verbose_name = _("team budget")
        verbose_name_plural = _("team budgets")

    def __str__(self) -> str:
        parts = []
        if self.monthly_amount is not None:
            parts.append(f"{self.monthly_amount:.2f} {self.currency}")
        if self.monthly_images is not None:
            parts.append(f"{self.monthly_images} images")
        return f"{self.team}: {' and '.join(parts) or 'no limit'} a month"

    def clean(self) -> None:
        if self.monthly_amount is None and self.monthly_images is None:
            raise ValidationError("Set a monthly amount, a monthly number of images, or both.")
        self.currency = self.currency.upper()
