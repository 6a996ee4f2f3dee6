"""Jobs in the admin, to look up and read: a job changes state only through the pipeline
(studio.pipeline.transitions), so the admin neither edits, adds nor deletes them (the gallery's
trash is where jobs are deleted)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from studio.pipeline.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "model", "team", "owner", "images_stored", "created_at", "finished_at", "in_trash"]
    list_filter = ["status", "model", "region", "team", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["=id", "prompt", "task_id", "request_id", "owner__username", "team__name"]
    date_hierarchy = "created_at"
    list_select_related = ["team", "owner"]
    show_full_result_count = False

    @admin.display(boolean=True, description=_("In the trash"))
    def in_trash(self, job: Job) -> bool:
        return job.deleted_at is not None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
