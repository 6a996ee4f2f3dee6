"""/batches/: the team's batches, one batch's progress page and its ZIP."""

from __future__ import annotations

from django.urls import path

from studio.gallery import batch_views

app_name = "batches"

urlpatterns = [
    path("", batch_views.batch_list, name="list"),
    path("<id:batch_id>/", batch_views.batch_page, name="batch"),
    path("<id:batch_id>/images.zip", batch_views.batch_zip, name="zip"),
]
