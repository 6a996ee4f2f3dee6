from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest


def studio(request: HttpRequest) -> dict[str, object]:
    """What every page shows: whether the studio talks to its offline emulator, whether
    submissions are paused for the API key (bad key, arrears, quota) so nobody waits blindly, and
    how many jobs wait for the person's decision."""
    from studio.accounts import teams
    from studio.editor.attention_views import attention_count
    from studio.pipeline import provider
    from studio.pipeline.models import ProviderAccount

    context: dict[str, object] = {"wan_emulator": settings.WAN_EMULATOR, "provider_pause": None}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context["provider_pause"] = ProviderAccount.paused(provider.api_key_id())
        context["my_teams"] = list(teams.visible_teams(request.user))
        context["active_team"] = teams.active_team(request)
        # Counted only when a template shows it (not for htmx fragments), and at most once.
        context["attention_count"] = functools.cache(lambda: attention_count(request))
    return context
