"""The login page, throttled against password guessing (studio/accounts/throttle.py)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from studio.accounts import throttle


def _address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded-for header is set by the client unless a proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "")


class ThrottledLoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = request.POST.get("username", "")
        wait = throttle.locked_seconds(username, _address(request))
        if wait:
            # The password is not even checked: a correct guess during the cooldown learns nothing.
            # An unbound form: a bound one would validate, i.e. try the password, when rendered.
            form = self.get_form_class()(request, initial={"username": username})
            context = self.get_context_data(form=form, throttled=throttle.lockout_message(wait))
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        throttle.record_success(form.cleaned_data.get("username", ""))
        return super().form_valid(form)

    def form_invalid(self, form):
        throttle.record_failure(self.request.POST.get("username", ""), _address(self.request))
        return super().form_invalid(form)
