"""Reading requests and sending answers the way DashScope (and OSS, for result links) does.

The HTTP plumbing under the emulator's endpoints: the Bearer key check, JSON bodies, the error
shape, 405s, connection reuse after an unread body, and result PNGs with their download faults.
server.py routes requests to endpoints built on these helpers.

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt, "Headers" and "Error response".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

from studio.wan.capabilities import MODELS
from studio.wan_emulator import protocol
from studio.wan_emulator.config import EmulatorConfig
from studio.wan_emulator.faults import ErrorAnswer, Fault, write_result
from studio.wan_emulator.intake import Refused
from studio.wan_emulator.state import EmulatorState

if TYPE_CHECKING:
    from studio.wan_emulator.server import EmulatorServer

# The largest body a valid request can have: every image at its byte limit, base64-encoded.
MAX_BODY_BYTES = max(c.images.count.hi * c.images.max_bytes for c in MODELS.values()) * 4 // 3 + 2**20


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WanEmulator/1.0"
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 60
    # Set per request by the subclass before routing.
    config: EmulatorConfig
    request_id: str
    body_read: bool

    @property
    def emulator(self) -> EmulatorServer:
        return self.server.emulator  # type: ignore[attr-defined, no-any-return]

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    def log_message(self, format: str, *args: object) -> None:
        if self.emulator.config.log_requests:
            super().log_message(format, *args)

    def _only(self, method: str, allowed: str) -> bool:
        """True (after answering 405) when the method is not the one the path takes."""
        if method == allowed:
            return False
        self._send_error(
            ErrorAnswer(405, "MethodNotAllowed", f"Use {allowed} on this path."), {"Allow": allowed}
        )
        return True

    # --- sending -----------------------------------------------------------------------------

    def _send(
        self, status: int, data: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Request-Id", self.request_id)
        if self._body_unread():
            # Answered without reading the body (401, 403, 429...): the connection cannot be
            # reused, and the caller must know before it sends another request on it.
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body_unread(self) -> bool:
        if self.body_read:
            return False
        return (
            self.headers.get("Content-Length", "0") not in ("", "0")
            or "Transfer-Encoding" in self.headers
        )

    def _send_json(
        self, status: int, payload: Mapping[str, object], headers: Mapping[str, str] | None = None
    ) -> None:
        self._send(
            status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json", headers
        )

    def _send_error(self, answer: ErrorAnswer, headers: Mapping[str, str] | None = None) -> None:
        self.state.count("errors_by_code", answer.code)
        self._send_json(answer.status, protocol.error_json(answer, self.request_id), headers)

    def _send_png(self, data: bytes, fault: Fault | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        if fault is Fault.TRUNCATED_DOWNLOAD:
            self.send_header("Connection", "close")
        self.end_headers()
        chunks, pause = self.config.slow_download_chunks, self.config.slow_download_pause_seconds
        if not write_result(self.wfile, data, fault, chunks=chunks, pause_seconds=pause):
            self.close_connection = True

    def _send_oss_error(self, status: int, code: str, message: str) -> None:
        body = protocol.oss_error_xml(
            code, message, request_id=self.request_id, host=self.headers.get("Host", "")
        )
        self._send(status, body, "application/xml")

    # --- reading -----------------------------------------------------------------------------

    def _api_key(self) -> str:
        """The caller's accepted key, or Refused with the service's 401 answer."""
        # Reference: 002, Headers — "Authorization: Bearer sk-xxxx"; "Error response" example.
        scheme, _, key = self.headers.get("Authorization", "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise Refused(ErrorAnswer(401, "InvalidApiKey", "No API-key provided."))
        if key not in self.config.api_keys:
            raise Refused(ErrorAnswer(401, "InvalidApiKey", "Invalid API-key provided."))
        return key

    def _read_json(self) -> object:
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise Refused(
                ErrorAnswer(400, "InvalidParameter", "A JSON body with a Content-Length is required.")
            )
        raw = self.rfile.read(int(length))
        self.body_read = True
        # Reference: 002, Headers — "Content-Type: Must be application/json."
        if self.headers.get_content_type() != "application/json":
            raise Refused(ErrorAnswer(400, "InvalidParameter", "Content-Type must be application/json."))
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Refused(
                ErrorAnswer(400, "InvalidParameter", f"The request body is not valid JSON: {exc}")
            ) from None
