"""Reference images for API jobs: an upload, or an http(s) URL the studio fetches on the caller's
behalf. Either way the bytes pass the editor's own checks (studio.editor.uploads.accept_reference:
decoded, turned upright, stripped, re-encoded within the model's limits) before they are stored.

A URL is fetched under the egress rules (studio.egress): every address the host resolves to and
the connection's actual peer must be allowed, redirects are followed by hand (at most
MAX_REDIRECTS, each one checked like the first), the body is read in chunks and abandoned past
the model's byte limit, and the whole fetch has a deadline.
"""

from __future__ import annotations

import time
from urllib.parse import urljoin

import httpx
from django.core.files.base import ContentFile

from studio.api.errors import ApiError, Problem
from studio.api.models import ApiReference
from studio.editor.uploads import UploadRefused, accept_reference
from studio.egress import EgressRefused, EgressRules
from studio.pipeline.jobs import EXTENSIONS
from studio.wan.capabilities import get_model

MAX_REDIRECTS = 3
# A slow server may not hold a request thread: the whole fetch, redirects included, ends by then.
FETCH_DEADLINE_SECONDS = 20.0
FETCH_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_CHUNK = 64 * 1024


class FetchRefused(ValueError):
    """The URL could not be fetched as a reference; the message says why, for the caller."""


def reference_create(*, caller, filename: str, data: bytes, model: str, at: str) -> ApiReference:
    """Store an image as one of the caller's team's references, or ApiError 422 at `at` naming the limit."""
    try:
        accepted = accept_reference(filename, data, model=model)
    except UploadRefused as refused:
        raise ApiError(422, "invalid_image", str(refused), problems=[Problem(at, str(refused))]) from None
    reference = ApiReference(team=caller.team, user=caller.user, mime=accepted.mime, width=accepted.width, height=accepted.height)
    reference.file.save(f"reference.{EXTENSIONS.get(accepted.mime, 'bin')}", ContentFile(accepted.content), save=False)
    reference.save()
    return reference


def reference_fetch(url: str, *, model: str, rules: EgressRules | None = None) -> tuple[str, bytes]:
    """The file name and bytes behind a URL, within the model's byte limit; FetchRefused otherwise."""
    rules = rules or EgressRules.from_settings()
    max_bytes = get_model(model).images.max_bytes
    deadline = time.monotonic() + FETCH_DEADLINE_SECONDS
    try:
        # Redirects are followed here, one checked hop at a time, never by httpx.
        with httpx.Client(follow_redirects=False, timeout=FETCH_TIMEOUT, trust_env=False) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                rules.check(url)
                with client.stream("GET", url, headers={"Accept": "image/*"}) as response:
                    rules.check_peer(response)
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code != 200:
                        raise FetchRefused(f"the URL answered HTTP {response.status_code}, not an image")
                    return _name_of(url), _read_within(response, max_bytes, deadline)
    except EgressRefused as refused:
        raise FetchRefused(str(refused)) from None
    except httpx.TimeoutException:
        raise FetchRefused("the server took too long to answer") from None
    except httpx.HTTPError as exc:
        raise FetchRefused(f"the URL could not be fetched ({type(exc).__name__})") from None
    raise FetchRefused(f"the URL redirects more than {MAX_REDIRECTS} times")


def _read_within(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"the image is {_mb(int(declared))}, over the {_mb(max_bytes)} limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(f"the image is over the {_mb(max_bytes)} limit")
        if time.monotonic() > deadline:
            raise FetchRefused(f"the download took longer than {FETCH_DEADLINE_SECONDS:.0f} seconds")
        chunks.append(chunk)
    return b"".join(chunks)


def _name_of(url: str) -> str:
    # Only for messages ("photo.jpg is …"): the stored name is ours.
    last = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return last[:60] or "The image"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"
