"""The JavaScript catalog (gettext, ngettext, interpolate) for widget pages a test serves itself,
without base.html: the widgets' scripts take their words from it."""

from __future__ import annotations

from django.test import RequestFactory
from django.utils import translation
from django.views.i18n import JavaScriptCatalog


def javascript_catalog(language: str = "en") -> bytes:
    with translation.override(language):
        return JavaScriptCatalog.as_view()(RequestFactory().get("/jsi18n/")).content
