"""The errors the Wan client raises, one class per meaning (structure after openai-python).

    WanError
    ├── APIConnectionError          the request never reached the server
    │   └── APITimeoutError         ... because connecting (or waiting for a connection) timed out
    ├── SubmissionOutcomeUnknown    a paid request was sent, no answer came: do not resubmit blindly
    ├── MalformedResponse           an answer came but its shape cannot be parsed
    └── APIStatusError              the provider answered with an error status or code
        ├── AuthenticationError     InvalidApiKey, 401
        ├── InvalidRequestError     InvalidParameter, InvalidURL, bad images, other 4xx
        ├── ContentRejectedError    DataInspectionFailed, IPInfringementSuspect
        ├── RateLimitError          Throttling*, 429
        ├── AccountError            Arrearage, AccessDenied*, exhausted quota, 403
        └── ServerError             InternalError*, 5xx

`permanent` tells the caller whether retrying the same call can help (False: it may).
A FAILED task is not an error here: it is a parsed `TaskResult` with its code and message.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Task execution abnormal" and "Error codes"
(the error body is {"request_id", "code", "message"}); the Model Studio "Status codes" page for
the codes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime


class WanError(Exception):
    """Base of every error the Wan client raises."""

    # Each class states its default; an instance may override it.
    permanent: bool = True

    def __init__(self, message: str, *, permanent: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if permanent is not None:
            self.permanent = permanent


class APIConnectionError(WanError):
    """The request never reached the server (DNS, refused, reset while connecting).

    For read-only calls (get_task, cancel_task) it also covers an answer lost on the way back:
    there the difference does not matter, the call is simply asked again.
    """

    permanent = False


class APITimeoutError(APIConnectionError):
    """Connecting (or waiting for a pooled connection) took too long; for read-only calls,
    also waiting for the answer."""


class SubmissionOutcomeUnknown(WanError):
    """A generation request was sent but no usable answer came back.

    The provider may have created a task (and may bill for it). The client never retries this;
    the caller must find out what happened (or give up) instead of resubmitting blindly.
    """

    def __init__(self, message: str, *, request_sent_at: datetime) -> None:
        super().__init__(message, permanent=True)
        self.request_sent_at = request_sent_at


class MalformedResponse(WanError):
    """The provider answered 2xx with a body whose shape cannot be parsed."""

    # A glitch at the edge (a proxy's page, a truncated body) may pass; asking again can help.
    permanent = False

    def __init__(self, message: str, *, body: object = None) -> None:
        super().__init__(message)
        self.body = body


class APIStatusError(WanError):
    """The provider answered with an error status or an error `code`."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None,
        request_id: str | None,
        body: object,
        permanent: bool | None = None,
    ) -> None:
        super().__init__(message, permanent=permanent)
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = body


class AuthenticationError(APIStatusError):
    permanent = True


class InvalidRequestError(APIStatusError):
    permanent = True


class ContentRejectedError(APIStatusError):
    """Content moderation refused the prompt, an input image or an output image."""

    permanent = True


class RateLimitError(APIStatusError):
    permanent = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None,
        request_id: str | None,
        body: object,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status_code=status_code, code=code, request_id=request_id, body=body
        )
        # Seconds the provider asked us to wait (Retry-After), if it said.
        self.retry_after = retry_after


class AccountError(APIStatusError):
    """The account cannot pay or may not use the model; only a person can fix it."""

    permanent = True


class ServerError(APIStatusError):
    permanent = False


_CONTENT_CODES = frozenset({"DataInspectionFailed", "IPInfringementSuspect", "data_inspection_failed"})
_INVALID_PREFIXES = ("InvalidParameter", "InvalidURL", "InvalidFile", "InvalidImage", "BadRequest")


def _class_for_code(code: str) -> type[APIStatusError] | None:
    if code == "InvalidApiKey":
        return AuthenticationError
    if code in _CONTENT_CODES:
        return ContentRejectedError
    # Throttling.AllocationQuota means the allocated (or free) quota is used up, not that we
    # asked too fast: waiting seconds and retrying will not help, so it is an account problem
    # (permanent) even though it shares the Throttling prefix and the 429 status.
    if code == "Arrearage" or "AccessDenied" in code or "AllocationQuota" in code:
        return AccountError
    if code.startswith("Throttling"):
        return RateLimitError
    if code.startswith(("InternalError", "SystemError", "ServiceUnavailable", "ModelServingError")):
        return ServerError
    if code.startswith(_INVALID_PREFIXES):
        return InvalidRequestError
    return None


def _class_for_status(status_code: int) -> type[APIStatusError]:
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return AccountError
    if status_code == 429:
        return RateLimitError
    if status_code >= 500:
        return ServerError
    if 400 <= status_code < 500:
        return InvalidRequestError
    # A redirect (redirects are not followed) or an error code on a 2xx: nothing more specific.
    return APIStatusError


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def _text_field(body: object, key: str) -> str | None:
    if isinstance(body, Mapping):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        # FAILED-task and some gateway shapes nest code/message under "output".
        output = body.get("output")
        if isinstance(output, Mapping):
            nested = output.get(key)
            if isinstance(nested, str) and nested:
                return nested
    return None


def request_id_of(body: object, headers: Mapping[str, str]) -> str | None:
    """The provider's request id: the body's, else a response header's."""
    if isinstance(body, Mapping):
        for key in ("request_id", "requestId"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return headers.get("x-request-id") or headers.get("X-Request-Id") or None


def error_from_response(
    status_code: int, body: object, headers: Mapping[str, str]
) -> APIStatusError:
    """The one place an error answer becomes an exception: by documented `code` first, then status."""
    code = _text_field(body, "code")
    provider_message = _text_field(body, "message")
    if provider_message is None and isinstance(body, str) and body.strip():
        provider_message = body.strip()[:200]
    request_id = request_id_of(body, headers)
    cls = (_class_for_code(code) if code else None) or _class_for_status(status_code)
    message = f"HTTP {status_code}" + (f" {code}" if code else "")
    message += f": {provider_message or 'no message'}"
    if request_id:
        message += f" (request_id={request_id})"
    if cls is RateLimitError:
        return RateLimitError(
            message,
            status_code=status_code,
            code=code,
            request_id=request_id,
            body=body,
            retry_after=parse_retry_after(headers),
        )
    return cls(message, status_code=status_code, code=code, request_id=request_id, body=body)
