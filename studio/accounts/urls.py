from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from studio.accounts import language_views, views
from studio.accounts.login import ThrottledLoginView

urlpatterns = [
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("team/", views.team_page, name="team"),
    path("team/invite", views.member_invite, name="team_invite"),
    path("team/members/<id:membership_id>", views.member_change, name="team_member"),
    path("team/switch", views.team_switch, name="team_switch"),
    path("language", language_views.language_switch, name="language_switch"),
]
