from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, register_converter

from studio.numbers import IdConverter

# Registered before the apps' URL modules below are imported: they name ids `<id:...>`.
register_converter(IdConverter, "id")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("studio.accounts.urls")),
    path("", include("studio.editor.urls")),
    path("gallery/", include("studio.gallery.urls")),
    path("billing/", include("studio.billing.urls")),
    path("", include("studio.front.urls")),
]
