"""Versions: comparing two images (the chain itself is part of the image page)."""

from __future__ import annotations

from django.urls import path

from studio.gallery import version_views

urlpatterns = [
    path("compare/<id:first_id>/<id:second_id>/", version_views.compare, name="compare"),
]
