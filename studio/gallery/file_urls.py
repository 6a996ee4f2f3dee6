"""Files, reuse and the trash: downloads and ZIPs, back to the editor, delete/restore/purge."""

from __future__ import annotations

from django.urls import path

from studio.gallery import file_views

urlpatterns = [
    path("images/<id:output_id>/download", file_views.download, name="download"),
    path("jobs/<id:job_id>/images.zip", file_views.job_zip, name="job_zip"),
    path("selection.zip", file_views.selection_zip, name="selection_zip"),
    path("jobs/<id:job_id>/reuse", file_views.reuse_settings, name="reuse"),
    path("images/<id:output_id>/use-as-reference", file_views.use_as_reference, name="use_as_reference"),
    path("jobs/<id:job_id>/delete", file_views.job_delete, name="job_delete"),
    path("jobs/<id:job_id>/undo-delete", file_views.job_undo_delete, name="job_undo_delete"),
    path("trash/", file_views.trash_list, name="trash"),
    path("jobs/<id:job_id>/restore", file_views.job_restore, name="job_restore"),
    path("jobs/<id:job_id>/purge", file_views.job_purge, name="job_purge"),
]
