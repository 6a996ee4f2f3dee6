from __future__ import annotations

from django.urls import path

from studio.webhooks.pages import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("add", views.endpoint_add, name="add"),
    path("<id:endpoint_id>", views.endpoint_page, name="endpoint"),
    path("<id:endpoint_id>/secret", views.endpoint_secret, name="secret"),
    path("<id:endpoint_id>/rotate", views.endpoint_rotate, name="rotate"),
    path("<id:endpoint_id>/active", views.endpoint_active, name="active"),
    path("<id:endpoint_id>/ping", views.endpoint_ping, name="ping"),
    path("<id:endpoint_id>/delete", views.endpoint_remove, name="delete"),
    path("<id:endpoint_id>/deliveries/<id:delivery_id>", views.delivery_page, name="delivery"),
    path("<id:endpoint_id>/deliveries/<id:delivery_id>/retry", views.delivery_retry, name="retry"),
]
