"""What the "Share" button on gallery pages needs to know, read here so the gallery's views stay as they are."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from studio.accounts import teams
from studio.sharing import selectors, services
from studio.sharing.models import EXPIRY_DEFAULT_DAYS, EXPIRY_MAX_DAYS

register = template.Library()


@register.simple_tag(takes_context=True)
def share_allowed(context, target) -> bool:
    """May the person on this page share `target` (an image or a board of their team)?"""
    request = context["request"]
    team_id = target.job.team_id if hasattr(target, "job") else target.team_id
    cache = request.__dict__.setdefault("_share_allowed", {})
    if team_id not in cache:
        cache[team_id] = services.may_share(teams.membership_of(request.user, team_id))
    return cache[team_id]


@register.simple_tag(takes_context=True)
def share_stylesheet(context) -> str:
    # The button can be on a page many times (a board list); its stylesheet is linked once.
    request = context["request"]
    if getattr(request, "_share_css_linked", False):
        return ""
    request._share_css_linked = True
    return format_html('<link rel="stylesheet" href="{}">', static("css/share.css"))


@register.simple_tag
def share_expiry() -> dict[str, int]:
    return {"default": EXPIRY_DEFAULT_DAYS, "max": EXPIRY_MAX_DAYS}


@register.simple_tag
def visitor_comment_count(image) -> int:
    """How many visitors of the team's links wrote about this image (read on the link list)."""
    return selectors.comments_on_image(image).count()
