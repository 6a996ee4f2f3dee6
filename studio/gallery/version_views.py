"""Comparing two versions: side by side, or one over the other with a slider.

Any two images the person may open, from any of their teams; either one another team's (or
unknown) is a 404, the same answer as everywhere in the gallery.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from studio.accounts.access import image_for_user

# ?mode= opens the page in one of the two views; the page's toggle switches without a reload.
MODES = ("side", "slider")


@require_GET
def compare(request: HttpRequest, first_id: int, second_id: int) -> HttpResponse:
    first = image_for_user(request.user, first_id)
    second = image_for_user(request.user, second_id)
    mode = request.GET.get("mode", MODES[0])
    problem = ""
    if first.pk == second.pk:
        problem = _("Compare: pick two different images; both sides are the same image.")
    elif mode not in MODES:
        problem = _("Mode: “%(mode)s” is not a view of this page; use “side” or “slider”.") % {"mode": mode[:20]}
    context = {"first": first, "second": second, "mode": mode, "problem": problem}
    return render(request, "gallery/compare.html", context, status=400 if problem else 200)
