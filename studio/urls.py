from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path, register_converter
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from studio.numbers import IdConverter

# Registered before the apps' URL modules below are imported: they name ids `<id:...>`.
register_converter(IdConverter, "id")

urlpatterns = [
    # The price table, budgets and ledger moved from billing to accounting: old admin bookmarks still lead there.
    re_path(r"^admin/billing/(?P<rest>.*)$", RedirectView.as_view(url="/admin/accounting/%(rest)s", query_string=True)),
    path("admin/", admin.site.urls),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("accounts/", include("studio.accounts.urls")),
    path("", include("studio.editor.urls")),
    path("gallery/", include("studio.gallery.urls")),
    path("billing/", include("studio.billing.urls")),
    path("", include("studio.sharing.urls")),
    path("", include("studio.front.urls")),
]
