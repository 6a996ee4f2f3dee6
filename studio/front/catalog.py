"""Django's JavaScriptCatalog for the widgets' strings, cacheable by browsers.

base.html asks for /jsi18n/?l=<language>: the language is in the URL, so one URL always holds one
language's strings and a browser may keep it (an hour) without asking; after that a conditional
request gets a 304 while this process runs. A catalog changed by a deploy reaches browsers within the hour.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import last_modified, require_safe
from django.views.i18n import JavaScriptCatalog

_STARTED = timezone.now()
_catalog = JavaScriptCatalog.as_view()


@login_not_required
@require_safe
@cache_control(public=True, max_age=3600)
@last_modified(lambda request: _STARTED)
def javascript_catalog(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("l", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return _catalog(request)
    with translation.override(language):
        return _catalog(request)
