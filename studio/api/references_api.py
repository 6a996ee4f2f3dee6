"""/api/v1/ endpoints: reference images (an upload, or a URL the studio fetches)."""

from __future__ import annotations

import json

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict, StrictStr, ValidationError

from studio.api.errors import ApiError, Problem, invalid, not_found
from studio.api.idempotency import OPENAPI_PARAMETER, idempotent
from studio.api.models import ApiReference
from studio.api.params import RowId
from studio.api.references import FetchRefused, reference_create, reference_fetch
from studio.wan.capabilities import DEFAULT_MODEL, MODELS

router = Router(tags=["references"])


class ReferenceByUrl(Schema):
    model_config = ConfigDict(extra="forbid")
    url: StrictStr
    model: StrictStr = DEFAULT_MODEL


_UPLOAD_DOC = {
    "parameters": [OPENAPI_PARAMETER],
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "model": {"type": "string", "description": "Whose image limits apply (default: the editor's default model)"},
            }}},
            "application/json": {"schema": {"type": "object", "required": ["url"], "additionalProperties": False, "properties": {
                "url": {"type": "string", "description": "An http(s) URL the studio fetches (public hosts, or ones the admin allows)"},
                "model": {"type": "string"},
            }}},
        },
    }
}


def reference_json(reference: ApiReference) -> dict:
    return {"id": reference.id, "width": reference.width, "height": reference.height, "mime": reference.mime,
            "created_at": reference.created_at}


@router.post("/references", response={201: dict}, summary="Upload a reference image, or have the studio fetch one by URL",
             openapi_extra=_UPLOAD_DOC)
def reference_create_endpoint(request: HttpRequest):
    caller = request.auth
    if (request.content_type or "").startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise invalid([Problem("body.file", "send the image as the multipart field `file`")])
        model = _model(request.POST.get("model") or DEFAULT_MODEL, "body.model")
        return idempotent(request, caller, lambda: (201, reference_json(
            reference_create(caller=caller, filename=upload.name or "", data=upload.read(), model=model, at="body.file"))))
    body = _url_body(request)
    model = _model(body.model, "body.model")

    def fetch_and_store():
        try:
            name, data = reference_fetch(body.url, model=model)
        except FetchRefused as refused:
            raise ApiError(422, "fetch_refused", f"The URL was not fetched: {refused}", problems=[Problem("body.url", str(refused))]) from None
        return 201, reference_json(reference_create(caller=caller, filename=name, data=data, model=model, at="body.url"))

    return idempotent(request, caller, fetch_and_store)


@router.get("/references/{reference_id}", response=dict, summary="One reference image: its upright size")
def reference_get(request: HttpRequest, reference_id: RowId):
    reference = ApiReference.objects.filter(team=request.auth.team, pk=reference_id).first()
    if reference is None:
        raise not_found("reference")
    return reference_json(reference)


def _url_body(request: HttpRequest) -> ReferenceByUrl:
    if not (request.content_type or "").endswith("json"):
        raise ApiError(415, "unsupported_media_type", "Send multipart/form-data with a `file`, or JSON with a `url`.")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed", "The body is not valid JSON.", problems=[Problem("body", "not valid JSON")]) from None
    try:
        return ReferenceByUrl.model_validate(data)
    except ValidationError as exc:
        problems = [Problem("body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise invalid(problems) from None


def _model(name: str, at: str) -> str:
    if name not in MODELS:
        raise invalid([Problem(at, f"“{name[:40]}” is not a model; GET /api/v1/models lists them")])
    return name
