"""GET /api/v1/models: the capability table as JSON, so a client can validate before it sends."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from studio.api.capabilities_json import model_json
from studio.api.errors import not_found
from studio.wan.capabilities import MODELS

router = Router(tags=["models"])


@router.get("/models", summary="Every model the studio offers, with its parameters, limits and price")
def list_models(request: HttpRequest) -> dict:
    return {"models": [model_json(caps) for caps in MODELS.values()]}


@router.get("/models/{name}", summary="One model's parameters, limits and price")
def get_model(request: HttpRequest, name: str) -> dict:
    caps = MODELS.get(name)
    if caps is None:
        raise not_found("model")
    return model_json(caps)
