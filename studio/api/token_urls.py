"""The API token pages, under /accounts/ beside the other settings of a person and a team."""

from __future__ import annotations

from django.urls import path

from studio.api import token_views

urlpatterns = [
    path("api-tokens/", token_views.token_list, name="api_tokens"),
    path("api-tokens/new", token_views.token_new, name="api_token_new"),
    path("api-tokens/<id:token_id>/revoke", token_views.token_revoke_view, name="api_token_revoke"),
    path("team/api-tokens/", token_views.team_tokens, name="team_api_tokens"),
]
