from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path, register_converter
from django.views.generic import RedirectView

from studio.api import api
from studio.front.catalog import javascript_catalog
from studio.numbers import IdConverter

# Registered before the apps' URL modules below are imported: they name ids `<id:...>`.
register_converter(IdConverter, "id")

urlpatterns = [
    # The price table, budgets and ledger moved from billing to accounting: old admin bookmarks still lead there.
    re_path(r"^admin/billing/(?P<rest>.*)$", RedirectView.as_view(url="/admin/accounting/%(rest)s", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls()),
    path("accounts/team/webhooks/", include("studio.webhooks.pages.urls")),
    # The JavaScript widgets' strings (gettext() in static/js), loaded by base.html before them.
    path("jsi18n/", javascript_catalog, name="javascript-catalog"),
    path("accounts/", include("studio.accounts.urls")),
    path("accounts/", include("studio.api.token_urls")),
    path("", include("studio.editor.urls")),
    path("gallery/", include("studio.gallery.urls")),
    path("batches/", include("studio.gallery.batch_urls")),
    path("billing/", include("studio.billing.urls")),
    path("", include("studio.sharing.urls")),
    path("", include("studio.front.urls")),
]
