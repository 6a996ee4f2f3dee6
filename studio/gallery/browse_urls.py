"""Browsing and review: the grid, an image and what people do to it, boards, the review queue."""

from __future__ import annotations

from django.urls import path

from studio.gallery import action_views, board_views, comment_views, views

urlpatterns = [
    path("", views.index, name="index"),
    path("images/<id:output_id>/", views.image, name="image"),
    path("images/<id:output_id>/review", action_views.image_review, name="image_review"),
    path("images/<id:output_id>/comments", action_views.image_comment, name="image_comment"),
    path("images/<id:output_id>/comments/<id:comment_id>/edit", comment_views.comment_edit, name="comment_edit"),
    path("images/<id:output_id>/comments/<id:comment_id>/resolve", comment_views.comment_resolve, name="comment_resolve"),
    path("images/<id:output_id>/star", action_views.image_star, name="image_star"),
    path("images/<id:output_id>/boards", action_views.image_boards, name="image_boards"),
    path("jobs/<id:job_id>/references/<id:position>", views.reference, name="reference"),
    path("jobs/<id:job_id>/references/<id:position>/mask", views.reference_mask, name="reference_mask"),
    path("images/<id:output_id>/board-menu", board_views.board_menu, name="board_menu"),
    path("images/<id:output_id>/board-new", board_views.board_new, name="board_new"),
    path("boards/", views.boards, name="boards"),
    path("boards/bar", board_views.board_bar, name="board_bar"),
    path("review/", action_views.review_queue, name="review_queue"),
    path("review/<id:output_id>", action_views.review_queue_set, name="review_queue_set"),
    path("review/<id:output_id>/undo", action_views.review_queue_undo, name="review_queue_undo"),
]
