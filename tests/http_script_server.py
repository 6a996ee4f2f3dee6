"""A real HTTP server on 127.0.0.1 that answers from a script, for testing HTTP clients.

Each request takes the next scripted reply: an answer (any status, headers, body), a dropped
connection after reading the request, a hang (the answer is held back until the server stops,
so the client's read timeout fires), or a truncated body. Every request is recorded (method,
path, headers, body) before it is answered, so a test can count exactly what arrived.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

ANSWER = "answer"
DROP = "drop"
HANG = "hang"
TRUNCATE = "truncate"

# How long a hanging reply is held at most if the server is never stopped.
HANG_LIMIT_SECONDS = 10.0


@dataclass(frozen=True)
class Reply:
    status: int = 200
    # A dict or list is sent as JSON; str and bytes as they are.
    body: object = None
    headers: Mapping[str, str] = field(default_factory=dict)
    action: str = ANSWER

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        if self.body is None:
            return b"", "text/plain"
        return json.dumps(self.body).encode(), "application/json"


def answer(status: int = 200, body: object = None, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(status=status, body=body, headers=dict(headers or {}))


def drop() -> Reply:
    """Read the request, then close the connection without a word."""
    return Reply(action=DROP)


def hang(status: int = 200, body: object = None) -> Reply:
    """Read the request and hold the answer until the server stops (past any client timeout)."""
    return Reply(status=status, body=body, action=HANG)


def truncate(status: int = 200, body: object = None) -> Reply:
    """Promise a longer body than is sent, then close: an incomplete response."""
    return Reply(status=status, body=body, action=TRUNCATE)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    # Header names lower-cased.
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, like a real API front end.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        owner.record(
            RecordedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
            )
        )
        reply = owner.next_reply()
        if reply.action == DROP:
            self._close_now()
            return
        if reply.action == HANG:
            owner.released.wait(HANG_LIMIT_SECONDS)
        try:
            self._send(reply)
        except OSError:
            # The client gave up (timeout) and closed its end: nothing left to do.
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        payload, content_type = reply.encoded()
        promised = len(payload) + (100 if reply.action == TRUNCATE else 0)
        self.send_response(reply.status)
        headers = {"Content-Type": content_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(promised))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()
        if reply.action == TRUNCATE:
            self._close_now()

    def _close_now(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ScriptServer


class ScriptServer:
    """Usage: `with ScriptServer() as server: server.script(answer(200, {...})); ...`"""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self.released = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ScriptServer:
        httpd = _Server(("127.0.0.1", self._port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ScriptServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        return answer(599, {"code": "ScriptExhausted", "message": "no reply was scripted"})

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)


def free_port() -> int:
    """A port nothing listens on (yet): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
