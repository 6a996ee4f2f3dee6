"""Share links: the team's pages under /shares/, the visitors' under /s/<token>/ (no login)."""

from __future__ import annotations

from django.urls import path

from studio.sharing import public_views, views

app_name = "sharing"

urlpatterns = [
    path("shares/", views.share_list, name="list"),
    path("shares/new", views.share_new, name="new"),
    path("shares/<id:link_id>/revoke", views.share_revoke, name="revoke"),
    path("s/<str:token>/", public_views.shared_page, name="shared"),
    path("s/<str:token>/<id:position>.png", public_views.shared_file, {"kind": "full"}, name="shared_image"),
    path("s/<str:token>/<id:position>.webp", public_views.shared_file, {"kind": "thumb"}, name="shared_thumb"),
    path("s/<str:token>/comments", public_views.shared_comment, name="shared_comment"),
]
