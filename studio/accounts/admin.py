"""Teams in the admin: their members and roles, with the same rule as the team page (a team keeps
an admin)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from studio.accounts.models import Membership, Role, Team


class MembershipFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        # The team page refuses to remove or demote the last admin (teams._keep_an_admin); so does this.
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if kept and not any(f.cleaned_data.get("role") == Role.ADMIN for f in kept):
            raise ValidationError(_("A team needs at least one admin."))


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count", "job_count", "created_at"]
    search_fields = ["name", "memberships__user__username"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]

    def get_queryset(self, request):
        # distinct: two joins would otherwise multiply each other's counts.
        return super().get_queryset(request).annotate(
            members_n=Count("memberships", distinct=True), jobs_n=Count("jobs", distinct=True)
        )

    @admin.display(description=_("Members"), ordering="members_n")
    def member_count(self, team: Team) -> int:
        return team.members_n

    @admin.display(description=_("Jobs"), ordering="jobs_n")
    def job_count(self, team: Team) -> int:
        return team.jobs_n
