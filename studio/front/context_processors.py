from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def studio(request: HttpRequest) -> dict[str, object]:
    """What every page shows: whether the studio talks to its offline emulator."""
    return {"wan_emulator": settings.WAN_EMULATOR}
