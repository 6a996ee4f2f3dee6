from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("studio.accounts.urls")),
    path("", include("studio.editor.urls")),
    path("gallery/", include("studio.gallery.urls")),
    path("billing/", include("studio.billing.urls")),
    path("", include("studio.front.urls")),
]
