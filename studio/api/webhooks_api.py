"""/api/v1/ endpoints: webhooks."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["webhooks"])
