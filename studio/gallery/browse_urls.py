"""Browsing and review: the grid, an image and what people do to it, boards, the review queue."""

from __future__ import annotations

from django.urls import path

from studio.gallery import action_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("images/<id:output_id>/", views.image, name="image"),
    path("images/<id:output_id>/review", action_views.image_review, name="image_review"),
    path("images/<id:output_id>/comments", action_views.image_comment, name="image_comment"),
    path("images/<id:output_id>/star", action_views.image_star, name="image_star"),
    path("images/<id:output_id>/boards", action_views.image_boards, name="image_boards"),
    path("jobs/<id:job_id>/references/<id:position>", views.reference, name="reference"),
    path("jobs/<id:job_id>/references/<id:position>/mask", views.reference_mask, name="reference_mask"),
    path("boards/", views.boards, name="boards"),
    path("review/", action_views.review_queue, name="review_queue"),
    path("review/<id:output_id>", action_views.review_queue_set, name="review_queue_set"),
]
