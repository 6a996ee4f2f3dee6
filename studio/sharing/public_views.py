"""What a person outside the team sees through a link: the page, its image files, a comment form.

Logged out on purpose: these views never read or write the session and never look at who is
logged in, so a link grants nothing in the studio. Every answer is `noindex`, kept by no cache and
sends no Referer to other sites (the token is in the address). Unknown, revoked and expired
tokens get the same 404, byte for byte.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from studio.gallery.models import COMMENT_MAX_CHARS
from studio.numbers import parse_whole
from studio.sharing import selectors, services
from studio.sharing.models import COMMENTS_MAX_PER_LINK, VISITOR_NAME_MAX_CHARS, ShareLink


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: with no-referrer the browser posts the comment form with
    # `Origin: null`, which Django's CSRF check refuses; other sites still never see the token.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _render(
    request: HttpRequest, template: str, context: dict[str, object], *, status: int = 200, form: bool = False
) -> HttpResponse:
    # Without the request's context processors: they read the session and the logged-in person's
    # teams, and nothing of that may reach (or even be looked up for) a shared page. The CSRF
    # token (a cookie of its own, not the session) only where there is a form.
    if form:
        context = {**context, "csrf_token": get_token(request)}
    return _private(HttpResponse(render_to_string(template, context), status=status))


def _not_found(request: HttpRequest) -> HttpResponse:
    return _render(request, "sharing/not_found.html", {}, status=404)


def _page(request: HttpRequest, link: ShareLink, token: str, *, problem: str = "", posted=None, status: int = 200):
    images = list(selectors.shared_images(link))
    context = {
        "link": link,
        "token": token,
        "images": images,
        "problem": problem,
        "posted": posted or {},
        "sent": request.GET.get("sent") == "1",
        "name_max": VISITOR_NAME_MAX_CHARS,
        "comment_max": COMMENT_MAX_CHARS,
    }
    return _render(request, "sharing/shared.html", context, status=status, form=link.may_comment)


@login_not_required
@require_GET
def shared_page(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.live_link(token)
    if link is None:
        return _not_found(request)
    services.share_record_view(link=link)
    return _page(request, link, token)


@login_not_required
@require_GET
def shared_file(request: HttpRequest, token: str, position: int, kind: str) -> HttpResponse:
    """One image of the link, by its place on the shared page: checked against the link, then streamed."""
    link = selectors.live_link(token)
    image = selectors.shared_image_at(link, position) if link else None
    if image is None:
        return _not_found(request)
    field = image.thumbnail if kind == "thumb" and image.thumbnail else image.file
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        return _not_found(request)
    content_type = "image/webp" if field.name.endswith(".webp") else "image/png"
    return _private(FileResponse(handle, content_type=content_type))


@login_not_required
@require_POST
def shared_comment(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.live_link(token)
    if link is None or not link.may_comment:
        return _not_found(request)
    image = None
    about = request.POST.get("image", "")
    if about:
        position = parse_whole(about)
        image = selectors.shared_image_at(link, position) if position is not None else None
        if image is None:
            return _page(request, link, token, problem=_("About: choose one of the images on this page."),
                         posted=request.POST, status=422)
    elif link.kind == "image":
        # A link to one image: whatever the visitor writes is about that image.
        image = selectors.shared_image_at(link, 1)
    try:
        services.share_comment_create(
            link=link, name=request.POST.get("name", ""), text=request.POST.get("text", ""), image=image
        )
    except services.ShareInvalid as exc:
        return _page(request, link, token, problem=str(exc), posted=request.POST, status=422)
    except services.CommentsFull:
        message = _("This link has taken its %(most)s comments; ask the team for a new link.") % {"most": COMMENTS_MAX_PER_LINK}
        return _page(request, link, token, problem=message, posted=request.POST, status=429)
    # Back to the page (a reload does not post twice), which thanks the visitor.
    return _private(redirect(reverse("sharing:shared", args=[token]) + "?sent=1#comment-form"))
