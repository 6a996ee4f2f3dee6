"""Download provider result images: allowed hosts only, no redirects, no credentials, capped.

A result URL is a signed, expiring link (reference: 002 — "The link is valid for 24 hours").
The bytes are streamed to a temporary file while being hashed, then checked to be a PNG of the
size the provider reported. Nothing here knows about jobs; the pipeline decides what a failure
means for a job.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO
from urllib.parse import parse_qs, urlsplit

import httpx
from PIL import Image

from studio.numbers import parse_whole

_CHUNK = 64 * 1024


class DownloadError(Exception):
    """A result could not be fetched. `permanent` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool = False, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or expired
        self.expired = expired


@dataclass(frozen=True)
class Downloaded:
    file: IO[bytes]
    byte_size: int
    sha256: str
    width: int
    height: int

    def close(self) -> None:
        self.file.close()


def url_expiry(url: str) -> float | None:
    """The unix time an OSS-style signed URL stops working (its Expires query value)."""
    values = parse_qs(urlsplit(url).query).get("Expires")
    expires = parse_whole(values[0]) if values else None
    return float(expires) if expires is not None else None


def check_url(url: str, allowed_hosts: Collection[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DownloadError(f"result URL scheme {parts.scheme!r} is not http(s)", permanent=True)
    host = (parts.hostname or "").lower()
    # Exact host names only: "dashscope-result-bj.oss-cn-beijing.aliyuncs.com.evil.example"
    # must not pass because it contains an allowed name.
    if host not in {h.lower() for h in allowed_hosts}:
        raise DownloadError(f"result host {host!r} is not on the allowed list", permanent=True)
    if parts.username or parts.password:
        raise DownloadError("result URL carries credentials", permanent=True)


def new_download_client(*, timeout: float = 30.0) -> httpx.Client:
    # A client of its own: it never carries the API key, never follows redirects.
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=5.0),
        follow_redirects=False,
        headers={"User-Agent": "wan-studio"},
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


def download_image(
    client: httpx.Client,
    url: str,
    *,
    allowed_hosts: Collection[str],
    max_bytes: int,
    expected_size: tuple[int, int] | None = None,
    now: float | None = None,
) -> Downloaded:
    """Fetch one result PNG into a temporary file and check it. The caller closes the result."""
    check_url(url, allowed_hosts)
    expires = url_expiry(url)
    if expires is not None and (now if now is not None else time.time()) >= expires:
        raise DownloadError("the result URL has expired", expired=True)

    out = tempfile.TemporaryFile()
    try:
        byte_size, digest = _stream_to(client, url, out, max_bytes=max_bytes, expires=expires)
        out.seek(0)
        width, height = _check_png(out, expected_size)
        out.seek(0)
        return Downloaded(file=out, byte_size=byte_size, sha256=digest, width=width, height=height)
    except BaseException:
        out.close()
        raise


def _stream_to(
    client: httpx.Client, url: str, out: IO[bytes], *, max_bytes: int, expires: float | None
) -> tuple[int, str]:
    hasher = hashlib.sha256()
    size = 0
    try:
        with client.stream("GET", url) as response:
            if response.status_code in (401, 403, 404, 410):
                # OSS answers 403 for an expired signature; past Expires nothing will help.
                gone = expires is not None and time.time() >= expires
                raise DownloadError(
                    f"result URL answered HTTP {response.status_code}",
                    expired=gone,
                    permanent=response.status_code == 404,
                )
            if response.is_redirect:
                raise DownloadError("result URL redirected; redirects are not followed", permanent=True)
            if response.status_code != 200:
                raise DownloadError(f"result URL answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if (parse_whole(declared) or 0) > max_bytes:
                raise DownloadError(f"result is {declared} bytes, over the {max_bytes} byte cap", permanent=True)
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"result is over the {max_bytes} byte cap", permanent=True)
                hasher.update(chunk)
                out.write(chunk)
    except httpx.HTTPError as exc:
        raise DownloadError(f"download failed: {type(exc).__name__}") from exc
    return size, hasher.hexdigest()


def _check_png(file: IO[bytes], expected_size: tuple[int, int] | None) -> tuple[int, int]:
    try:
        with Image.open(file) as image:
            image.verify()
            fmt, size = image.format, image.size
    except Exception as exc:  # Pillow raises many types for broken data
        raise DownloadError(f"result is not a readable image ({type(exc).__name__})") from exc
    if fmt != "PNG":
        raise DownloadError(f"result is {fmt}, not PNG", permanent=True)
    if expected_size is not None and tuple(size) != tuple(expected_size):
        raise DownloadError(
            f"result is {size[0]}*{size[1]}, but the provider reported {expected_size[0]}*{expected_size[1]}",
            permanent=True,
        )
    return size
