"""/api/v1/ endpoints: batches."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["batches"])
