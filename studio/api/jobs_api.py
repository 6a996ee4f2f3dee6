"""/api/v1/ endpoints: jobs."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["jobs"])
