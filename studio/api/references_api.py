"""/api/v1/ endpoints: references."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["references"])
