"""The language switcher's one action (the form sits in base.html's site menu and the login page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from studio.accounts.language import language_choose, offered_languages, remember_language


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in offered_languages():
        message = _("Language: “%(language)s” is not offered; choose one of %(offered)s.") % {
            "language": language[:40],
            "offered": ", ".join(offered_languages()),
        }
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    language_choose(request=request, language=language)
    # Back to the page the switch was made on; a draft being edited there lives in the database.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    remember_language(response, language)
    return response
