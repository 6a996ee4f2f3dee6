"""Refuse request bodies over the studio's limits before they are read, with a clear message.

The cap on the whole body is checked against Content-Length, so an oversized upload is answered
413 without reading it. The file count cap (DATA_UPLOAD_MAX_NUMBER_FILES) is enforced by Django's
parser as it streams the parts to temporary files; this turns its bare "Bad Request" into a
message naming the limit. Both run before CSRF, which is the first to read request.POST.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.http import HttpRequest, HttpResponse

MB = 1024 * 1024


def _megabytes(n: int) -> str:
    return f"{n / MB:.0f} MB"


def body_too_large_message(length: int) -> str:
    return (
        f"The request is {_megabytes(length)}; the limit is {_megabytes(settings.REQUEST_BODY_MAX_BYTES)} "
        f"({settings.DATA_UPLOAD_MAX_NUMBER_FILES} images of at most "
        f"{_megabytes(settings.UPLOAD_FILE_MAX_BYTES)} each)."
    )


def too_many_files_message() -> str:
    return f"Too many files: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} can be uploaded at once."


def _refusal(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal("Content-Length is not a number.", 400)
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return _refusal(body_too_large_message(length), 413)
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.FILES  # noqa: B018 - parse now, streaming files to disk, to apply the caps
            except TooManyFilesSent:
                return _refusal(too_many_files_message(), 400)
            except RequestDataTooBig:
                return _refusal(
                    f"The form fields are over {_megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}.", 413
                )
        return self.get_response(request)
