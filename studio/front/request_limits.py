"""Refuse request bodies over the studio's limits before they are read, with a clear message.

The cap on the whole body is checked against Content-Length, so an oversized upload is answered
413 without reading it. The file count cap (DATA_UPLOAD_MAX_NUMBER_FILES) is enforced by Django's
parser as it streams the parts to temporary files; this turns its bare "Bad Request" into a
message naming the limit. Both run before CSRF, which is the first to read request.POST.

A form-encoded body over DATA_UPLOAD_MAX_MEMORY_SIZE, and a multipart part whose headers Django
will not read (a file name of about a thousand characters), would get Django's bare "Bad Request"
too. Their refusals name the field; a view marked `@shows_form_refusals` receives them in
`request.form_refusals`, with the rest of the form, and answers them in its own page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MAX_TOTAL_HEADER_SIZE, MultiPartParserError
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from studio.api.errors import Problem, error_body
from studio.front import form_scan

MB = 1024 * 1024
API_PREFIX = "/api/"


def _megabytes(n: int) -> str:
    return f"{n / MB:.0f} MB"


def body_too_large_message(length: int) -> str:
    text = _("The request is %(size)s; the limit is %(limit)s (%(files)s images of at most %(each)s each).")
    return text % {
        "size": _megabytes(length),
        "limit": _megabytes(settings.REQUEST_BODY_MAX_BYTES),
        "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        "each": _megabytes(settings.UPLOAD_FILE_MAX_BYTES),
    }


def too_many_files_message() -> str:
    text = _("Too many files: at most %(most)s can be uploaded at once.")
    return text % {"most": settings.DATA_UPLOAD_MAX_NUMBER_FILES}


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1024:.0f} KB"


@dataclass(frozen=True)
class FormRefusal:
    """One field the studio would not read. `limit` says what was sent and what is allowed,
    without the field's name, so a page can put its own label in front."""

    field: str
    limit: str
    status: int
    sent_bytes: int | None = None

    def __str__(self) -> str:
        return f"{self.field}: {self.limit}"

    @property
    def sent(self) -> str:
        """How much was sent, as the limit words it ("3.0 MB")."""
        return _size(self.sent_bytes or 0)


def shows_form_refusals(view: Callable) -> Callable:
    """Mark a view that answers `request.form_refusals` itself, in its own page."""
    view.shows_form_refusals = True
    return view


def _refusal(message: str, status: int, request: HttpRequest | None = None) -> HttpResponse:
    if request is not None and request.path.startswith(API_PREFIX):
        # A script gets the JSON API's one error shape, whatever refused its request.
        code = "too_large" if status == 413 else "malformed"
        return JsonResponse(error_body(status, code, message, [Problem("body", message)]), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # This runs before LocaleMiddleware: refusals are worded in the language that will answer.
        with translation.override(translation.get_language_from_request(request)):
            refused = self._refuse(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal(_("Content-Length is not a number."), 400, request)
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return _refusal(body_too_large_message(length), 413, request)
        if request.path.startswith(API_PREFIX) and request.content_type != "multipart/form-data":
            # The API's JSON bodies are read whole into memory: Django's cap on form data is theirs too.
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                most = _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
                return _refusal(f"The request body is {_size(length)}; a JSON body may be at most {most}.", 413, request)
        request.form_refusals = []
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.FILES  # noqa: B018 - parse now, streaming files to disk, to apply the caps
            except TooManyFilesSent:
                return _refusal(too_many_files_message(), 400, request)
            except RequestDataTooBig:
                return _fields_too_large(request)
            except MultiPartParserError as exc:
                if "header size" not in str(exc):
                    return _refusal(_("The upload could not be read: %(why)s") % {"why": exc}, 400, request)
                # Django reads at most this many bytes of a part's headers, which hold its file name.
                request.form_refusals = [FormRefusal("references", _long_file_name(), 400)]
                request._post, request._files = QueryDict(), MultiValueDict()
        elif (
            request.method == "POST"
            and request.content_type == "application/x-www-form-urlencoded"
            and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        ):
            refused = _read_large_form(request)
            if refused is not None:
                return refused
        return None

    def process_view(self, request: HttpRequest, view: Callable, args, kwargs) -> HttpResponse | None:
        refusals = getattr(request, "form_refusals", [])
        if refusals and not getattr(view, "shows_form_refusals", False):
            return _refusal(" ".join(str(r) for r in refusals), refusals[0].status, request)
        return None


def _long_file_name() -> str:
    text = _(
        "a file name is too long; a file's name and type may take at most %(bytes)s bytes "
        "(about 900 letters, fewer in other scripts). Rename the file and add it again."
    )
    return text % {"bytes": f"{MAX_TOTAL_HEADER_SIZE:,}"}


def _fields_too_large(request: HttpRequest | None = None) -> HttpResponse:
    return _refusal(_("The form fields are over %(size)s.") % {"size": _size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}, 413, request)


def _read_large_form(request: HttpRequest) -> HttpResponse | None:
    """Keep the fields of a sensible size and name the others; an answer when nothing can be kept."""
    scanned = form_scan.scan(iter(lambda: request.read(64 * 1024), b""))
    body = scanned.body()
    if not scanned.large or len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return _fields_too_large()  # many fields of a fair size: nothing stands out to name
    try:
        request._post = QueryDict(body, encoding=request.encoding)
    except TooManyFieldsSent:
        return _refusal(_("Too many form fields: at most %(most)s.") % {"most": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}, 400)
    request._files = MultiValueDict()
    keep = _size(form_scan.FIELD_KEEP_BYTES)
    request.form_refusals = [
        FormRefusal(f.name, _("%(sent)s was sent; a form field may hold at most %(keep)s") % {"sent": _size(f.size), "keep": keep}, 413, f.size)
        for f in scanned.large
    ]
    return None
