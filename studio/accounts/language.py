"""The studio's language: the browser's Accept-Language until the person chooses, then their choice.

A choice is kept in three places, each for a reason: on the Profile (it follows the person to any
device and survives logout), in the session (read on every request at no cost: the session is
loaded anyway to know the user, so the profile is read once per login, not once per request) and in
Django's language cookie (so the login page, before anyone is known, speaks the last language
chosen in this browser).

Why a small middleware after AuthenticationMiddleware rather than a LocaleMiddleware subclass:
LocaleMiddleware must run before CommonMiddleware (it may redirect) and so before the user is known;
this one only overrides its choice on pages behind login, once the view is known, and leaves
LocaleMiddleware's response work (Content-Language, Vary: Accept-Language) as Django wrote it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from studio.accounts.models import Profile

SESSION_KEY = "studio_language"


def offered_languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_choose(*, request: HttpRequest, language: str) -> None:
    """Keep `language` (one of settings.LANGUAGES) for this session and, when signed in, on the profile."""
    if language not in offered_languages():
        raise ValueError(f"{language!r} is not one of settings.LANGUAGES")
    if request.user.is_authenticated:
        Profile.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language


def remember_language(response: HttpResponse, language: str) -> None:
    """Django's language cookie, which LocaleMiddleware reads for anyone not signed in."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@receiver(user_logged_in, dispatch_uid="studio.accounts.language.profile_language_to_session")
def profile_language_to_session(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """At login, the saved choice goes into the (new) session. Without one, a language chosen on the
    login page becomes the saved choice; with neither, the browser decides."""
    if request is None or not hasattr(request, "session"):
        return
    saved = Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""
    if saved in offered_languages():
        request.session[SESSION_KEY] = saved
    elif request.session.get(SESSION_KEY) in offered_languages():
        Profile.objects.update_or_create(user=user, defaults={"language": request.session[SESSION_KEY]})


class UserLanguageMiddleware:
    """The session's language (a signed-in user's saved choice) beats the browser's header.

    Only on pages behind login: the public ones (login page, share links, the JavaScript catalog)
    never touch the session, as the share page promises its visitors, and follow the language
    cookie that the switcher also sets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # The same mark LoginRequiredMiddleware reads (@login_not_required).
        if not getattr(view_func, "login_required", True):
            return None
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY) if session is not None else None
        if language in offered_languages():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return None
