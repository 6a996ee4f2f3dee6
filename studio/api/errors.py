"""Every refusal the API makes has one shape, so a script needs one error branch:

    {"error": {"status": 422, "code": "invalid", "message": "...", "problems": [{"path": "body.references[0].boxes[2]", "message": "..."}]}}

`path` names the offending value as the request spelled it (JSON body paths start at `body`,
query parameters at `query`, headers at `header`); `message` names the limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


class ApiError(Exception):
    """Raise from an endpoint or a service the API calls to answer with the common error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        problems: Iterable[Problem] = (),
        extra: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = tuple(problems)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def not_found(what: str = "object") -> ApiError:
    # The same answer whether it does not exist or belongs to another team.
    return ApiError(404, "not_found", f"No such {what}.")


def invalid(problems: Iterable[Problem], message: str = "The request has problems; each names its field.") -> ApiError:
    return ApiError(422, "invalid", message, problems=problems)


def error_body(status: int, code: str, message: str, problems: Iterable[Problem] = (), extra: Mapping[str, object] | None = None) -> dict:
    error: dict[str, object] = {"status": status, "code": code, "message": message}
    error["problems"] = [{"path": p.path, "message": p.message} for p in problems]
    error.update(extra or {})
    return {"error": error}


def _loc_path(loc: Iterable[object]) -> str:
    parts = list(loc)
    path = str(parts[0]) if parts else "body"
    # ninja puts the whole JSON body under a parameter name: body.payload.prompt → body.prompt
    rest = parts[2:] if len(parts) > 1 and parts[0] == "body" else parts[1:]
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _pydantic_message(error: Mapping[str, object]) -> str:
    message = str(error.get("msg", "is not valid"))
    kind = str(error.get("type", ""))
    if kind == "json_invalid":
        return "The body is not valid JSON."
    return message


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = api.create_response(request, error_body(exc.status, exc.code, exc.message, exc.problems, exc.extra), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        problems = [Problem(_loc_path(e.get("loc", ())), _pydantic_message(e)) for e in exc.errors]
        if any(e.get("type") == "json_invalid" for e in exc.errors):
            body = error_body(400, "malformed", "The body is not valid JSON.", problems)
            return api.create_response(request, body, status=400)
        return api.create_response(request, error_body(422, "invalid", "The request has problems; each names its field.", problems), status=422)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request,
            error_body(401, "unauthenticated", "Send a valid API token: Authorization: Bearer ws_… (Settings → API tokens)."),
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="wan-studio"'
        return response

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # ninja's JSON parser failed (bad syntax, bad UTF-8, nesting deeper than it recurses).
            message = "The body is not valid JSON (or is nested too deeply)."
            return api.create_response(request, error_body(400, "malformed", message, [Problem("body", message)]), status=400)
        return api.create_response(request, error_body(exc.status_code, "refused", str(exc)), status=exc.status_code)
