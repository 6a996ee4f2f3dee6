"""The admin: the price table and team budgets are edited here; the ledger is only read."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.accounting.models import LedgerEntry, TeamBudget, UnitPrice
from studio.accounting.prices import EMULATOR_REGION
from studio.wan.capabilities import MODELS, REGION_BASE_URLS

# The admin's front page links to the billing dashboard (templates/billing/admin_index.html).
admin.site.index_template = "billing/admin_index.html"


class UnitPriceForm(forms.ModelForm):
    model = forms.ChoiceField(choices=[(m.name, f"{m.label} ({m.name})") for m in MODELS.values()])
    region = forms.ChoiceField(choices=[(r, r) for r in sorted(REGION_BASE_URLS)] + [(EMULATOR_REGION, EMULATOR_REGION)])

    class Meta:
        model = UnitPrice
        fields = ["model", "region", "amount", "currency", "effective_from", "note"]


@admin.register(UnitPrice)
class UnitPriceAdmin(admin.ModelAdmin):
    form = UnitPriceForm
    list_display = ["model", "region", "amount", "currency", "effective_from", "in_effect"]
    list_filter = ["model", "region"]
    ordering = ["model", "region", "-effective_from"]

    @admin.display(boolean=True, description=_("In effect"))
    def in_effect(self, obj: UnitPrice) -> bool:
        return obj.in_effect

    def get_readonly_fields(self, request, obj=None):
        # A price already in force is history: change it with a new row that starts later.
        if obj is not None and obj.in_effect:
            return UnitPriceForm.Meta.fields
        return []

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_effect)

    def save_model(self, request, obj: UnitPrice, form, change: bool) -> None:
        # "From now" on a form opened a few minutes ago means from the moment it is saved.
        if not change:
            obj.effective_from = max(obj.effective_from, timezone.now())
        super().save_model(request, obj, form, change)


@admin.register(TeamBudget)
class TeamBudgetAdmin(admin.ModelAdmin):
    list_display = ["team", "monthly_amount", "currency", "monthly_images", "warn_at_percent", "updated_at"]
    search_fields = ["team__name"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "team", "user", "model", "region", "image_count", "images_stored", "unit_price", "cost", "currency", "job"]
    list_filter = ["kind", "model", "region", "team"]
    search_fields = ["task_id", "request_id", "job__id", "user__username"]
    date_hierarchy = "created_at"
    list_select_related = ["team", "user", "job"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
