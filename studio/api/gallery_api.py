"""/api/v1/ endpoints: gallery."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["gallery"])
