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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from studio.wan.marks import gettext_noop


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


# --- What each provider code means: the one table ---------------------------------------------
# Reference: the Model Studio "Status codes" page; ../shared/seeds/000 and 003 for content
# moderation (IPInfringementSuspect, DataInspectionFailed).


@dataclass(frozen=True)
class CodeMeaning:
    """One provider error code (or family of codes) and what follows from it.

    `error`: the exception the client raises (None: the HTTP status decides), for a code that
    matches the marker as `match` says; `job_text`: why a job that ended with it ended, for a
    person; `pause_reason`: why the account's submissions wait. The two texts are read for any
    code that contains the marker (a studio code may wrap the provider's).
    """

    marker: str
    match: str  # "exact", "prefix" or "contains"
    error: type[APIStatusError] | None = None
    job_text: str | None = None
    pause_reason: str | None = None

    def matches(self, code: str, *, loose: bool = False) -> bool:
        if loose or self.match == "contains":
            return self.marker in code
        if self.match == "exact":
            return code == self.marker
        if self.match == "prefix":
            return code.startswith(self.marker)
        return code.startswith(self.marker)


# Most specific first: a code takes, for each question, the first row that answers it.
CODES: tuple[CodeMeaning, ...] = (
    CodeMeaning(
        "InvalidApiKey", "exact", AuthenticationError,
        job_text=gettext_noop("The provider refused the studio's API key; an administrator must fix it."),
        pause_reason=gettext_noop("the provider refused the API key (check DASHSCOPE_API_KEY and its region)"),
    ),
    CodeMeaning(
        "DataInspectionFailed", "exact", ContentRejectedError,
        job_text=gettext_noop(
            "The provider's content check refused the prompt or one of the images. "
            "Rephrase the prompt or change the images."
        ),
    ),
    CodeMeaning("data_inspection_failed", "exact", ContentRejectedError),
    CodeMeaning(
        "IPInfringementSuspect", "exact", ContentRejectedError,
        job_text=gettext_noop(
            "The provider suspects the request infringes intellectual property. Change the prompt or the images."
        ),
    ),
    CodeMeaning(
        "Arrearage", "exact", AccountError,
        job_text=gettext_noop("The Alibaba Cloud account is in arrears; an administrator must top it up."),
        pause_reason=gettext_noop("the Alibaba Cloud account is in arrears (top it up in the billing console)"),
    ),
    CodeMeaning(
        "FreeTierOnly", "contains",
        pause_reason=gettext_noop("the account's free quota is used up and it is set to use the free tier only"),
    ),
    # Throttling.AllocationQuota means the allocated (or free) quota is used up, not that we
    # asked too fast: waiting seconds and retrying will not help, so it is an account problem
    # (permanent) even though it shares the Throttling prefix and the 429 status.
    CodeMeaning(
        "AllocationQuota", "contains", AccountError,
        job_text=gettext_noop("The account's quota for this model is used up."),
        pause_reason=gettext_noop("the account's quota for this model is used up"),
    ),
    CodeMeaning(
        "AccessDenied", "contains", AccountError,
        pause_reason=gettext_noop("the account may not use this model or region"),
    ),
    CodeMeaning(
        "Throttling", "prefix", RateLimitError,
        job_text=gettext_noop("The provider was too busy. The studio retried and then gave up; try again later."),
    ),
    CodeMeaning(
        "InternalError", "prefix", ServerError,
        job_text=gettext_noop("The provider failed while generating. Trying again usually works."),
    ),
    CodeMeaning("SystemError", "prefix", ServerError),
    CodeMeaning("ServiceUnavailable", "prefix", ServerError),
    CodeMeaning("ModelServingError", "prefix", ServerError),
    CodeMeaning(
        "InvalidParameter", "prefix", InvalidRequestError,
        job_text=gettext_noop("The provider refused a parameter of the request. The message below says which."),
    ),
    CodeMeaning("InvalidURL", "prefix", InvalidRequestError),
    CodeMeaning("InvalidFile", "prefix", InvalidRequestError),
    CodeMeaning("InvalidImage", "prefix", InvalidRequestError),
    CodeMeaning("BadRequest", "prefix", InvalidRequestError),
)


def _first(code: str | None, answer: Callable[[CodeMeaning], object], *, loose: bool = False) -> object:
    if not code:
        return None
    return next((answer(row) for row in CODES if answer(row) is not None and row.matches(code, loose=loose)), None)


def error_class_for(code: str | None) -> type[APIStatusError] | None:
    return _first(code, lambda row: row.error)  # type: ignore[return-value]


def job_text_for(code: str | None) -> str | None:
    return _first(code, lambda row: row.job_text, loose=True)  # type: ignore[return-value]


def pause_reason_for(code: str | None) -> str | None:
    return _first(code, lambda row: row.pause_reason, loose=True)  # type: ignore[return-value]


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
    cls = error_class_for(code) or _class_for_status(status_code)
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
