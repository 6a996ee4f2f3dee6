"""A local DashScope-compatible server for the Wan2.7 image models: real HTTP, no network needed.

Base URL: http://HOST:PORT/api/v1 (the same paths as dashscope-intl.aliyuncs.com/api/v1).

  POST /services/aigc/multimodal-generation/generation   synchronous generation
  POST /services/aigc/image-generation/generation        submit a task (X-DashScope-Async: enable)
  GET  /tasks/{task_id}                                  task status and result
  POST /tasks/{task_id}/cancel                           cancel a PENDING task
  GET  /tasks?task_id=&start_time=&end_time=&model_name=&status=&page_no=&page_size=
                                                         the account's tasks (tasklist.py)
  GET  /results/{token}.png?Expires=&Signature=          result image (signed, expiring, no key)
  GET  /emulator/stats   GET|POST /emulator/config   POST /emulator/reset   (no key needed)

`/results` and `/emulator` are also answered under /api/v1. Requests are checked by intake.py,
faults come from faults.py, settings from config.py, answers are shaped by protocol.py (the task
list by tasklist.py), HTTP reading and sending is transport.py. No Django.

Tasks belong to the Alibaba Cloud account of the key that made them (EmulatorConfig.accounts):
every key of that account can read, cancel and list them, and the account's single-task and list
queries share one rate (windows.py).

Reference: ../shared/seeds/002_e63ba47cef0cee16.txt for every endpoint, header and shape (the
task list and accounts are not in it: see tasklist.py and windows.py).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from typing import TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from studio.wan_emulator import protocol, tasklist
from studio.wan_emulator.config import (
    EmulatorConfig,
    config_from_command_line,
    config_to_json,
    config_with_changes,
)
from studio.wan_emulator.faults import (
    HTTP500_ERROR,
    MODERATION_ERROR,
    TASK_FAILED_ERROR,
    ErrorAnswer,
    Fault,
    active_faults,
    download_fault,
)
from studio.wan_emulator.intake import Accepted, Refused, accept, prompt_of
from studio.wan_emulator.render import render_png
from studio.wan_emulator.state import RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE, EmulatorState, Generation
from studio.wan_emulator.transport import ApiHandler

__all__ = ["EmulatorConfig", "EmulatorServer", "run_from_command_line"]


class EmulatorServer:
    """The emulator bound to a port: start() serves in a thread, serve_forever() in this one."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self._initial_config = config or EmulatorConfig()
        self.config = self._initial_config
        self.state = EmulatorState(state_file=self.config.state_file)
        self._httpd = _HTTPServer((self.config.host, self.config.port), self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL a client is configured with: http://HOST:PORT/api/v1."""
        return self.root_url + protocol.API_PREFIX

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self.serve_forever, name="wan-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.1)

    def shutdown(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def update_config(self, changes: Mapping[str, object]) -> EmulatorConfig:
        """Apply JSON settings (as POST /emulator/config does); ValueError names a bad one."""
        self.config = config_with_changes(self.config, changes)
        return self.config

    def reset(self) -> None:
        """Forget every task, link and counter, and go back to the configuration given at start."""
        self.config = self._initial_config
        self.state.reset()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive connections would otherwise hold server_close() until every client hangs up.
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)


class _Drop(Exception):
    """Close the connection without answering (the `drop` fault)."""


class _Handler(ApiHandler):
    """Routes each request to its endpoint; the HTTP plumbing is ApiHandler's (transport.py)."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        self.request_id = str(uuid.uuid4())
        self.body_read = False
        # One config per request, even if a test changes it meanwhile.
        self.config = self.emulator.config
        if sdk := self.headers.get("X-DashScope-Sdk-Client"):
            # The official SDK names itself (and sends a session id and user agent): accepted
            # and counted, so a test can tell its requests reached the emulator.
            self.state.count("requests_by_sdk_client", sdk)
        parts = urlsplit(self.path)
        path = unquote(parts.path).rstrip("/") or "/"
        try:
            self._route(method, path, parse_qs(parts.query))
        except (_Drop, BrokenPipeError, ConnectionResetError):
            # Dropped on purpose, or the caller went away mid-answer (e.g. a slow download).
            self.close_connection = True
        except Refused as refused:
            self._send_error(refused.answer, refused.headers)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            self._send_error(
                ErrorAnswer(500, "InternalError", "The emulator failed to handle the request.")
            )

    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        prefix = protocol.API_PREFIX
        local = path[len(prefix) :] if path.startswith(prefix + "/") else path
        if local.startswith("/emulator/"):
            return self._control(method, local)
        if match := protocol.RESULT_PATH.fullmatch(local):
            return self._only(method, "GET") or self._result(match["token"], query)
        if local == path:  # Everything else lives under /api/v1.
            raise Refused(ErrorAnswer(404, "NotFound", f"No such path: {path}"))
        if local in protocol.SYNC_PATHS or local in protocol.ASYNC_PATHS:
            return self._only(method, "POST") or self._generation(local, is_task=local in protocol.ASYNC_PATHS)
        if local == tasklist.LIST_PATH:
            return self._only(method, "GET") or self._task_list(query)
        if match := protocol.TASK_PATH.fullmatch(local):
            if match["cancel"]:
                return self._only(method, "POST") or self._cancel(match["task_id"])
            return self._only(method, "GET") or self._task(match["task_id"])
        raise Refused(ErrorAnswer(404, "NotFound", f"No such path: {path}"))

    # --- generation --------------------------------------------------------------------------

    def _generation(self, path: str, *, is_task: bool) -> None:
        api_key = self._api_key()
        if is_task and self.headers.get("X-DashScope-Async", "").strip().lower() != "enable":
            # Reference: 002, X-DashScope-Async — "Returns 'current user api does not support
            # synchronous calls' error if not included."
            raise Refused(
                ErrorAnswer(403, "AccessDenied", "current user api does not support synchronous calls")
            )
        config = self.config
        refusal = self.state.admit(
            api_key,
            now=config.clock(),
            per_second=config.max_submissions_per_second,
            concurrent=config.max_concurrent_tasks,
            is_task=is_task,
        )
        if refusal is not None:
            retry = config.retry_after_seconds
            return self._send_error(refusal, None if retry is None else {"Retry-After": str(retry)})
        body = self._read_json()
        if Fault.HTTP500 in active_faults(config.faults, prompt_of(body)):
            raise Refused(HTTP500_ERROR)
        accepted = accept(body, config, path=path, is_task=is_task)
        if Fault.MODERATION in accepted.faults:
            raise Refused(MODERATION_ERROR)
        if is_task:
            self._submit(api_key, accepted)
        else:
            self._generate_now(api_key, accepted)

    def _submit(self, api_key: str, accepted: Accepted) -> None:
        config = self.config
        generation = self._store(api_key, accepted)
        task = self.state.add_task(
            generation,
            now=config.clock(),
            pending=config.pending_seconds,
            running=config.running_seconds,
            failed=Fault.TASK_FAILED in accepted.faults,
            model=accepted.model,
            request_id=self.request_id,
        )
        self._add_links(generation, accepted, ended_at=task.ended_at)
        if config.submit_latency_seconds:
            # The task exists (and is counted) but its id has not reached the caller yet; a
            # caller that gives up or crashes meanwhile can only find it in the task list.
            time.sleep(config.submit_latency_seconds)
        if Fault.DROP in accepted.faults:
            # The task exists but its id never reaches the caller: the "unknown outcome" case.
            self.state.count("drops")
            raise _Drop
        self._send_json(200, protocol.submitted_json(task, self.request_id))

    def _generate_now(self, api_key: str, accepted: Accepted) -> None:
        self.state.count_sync_call(accepted.prompt)
        if self.config.sync_latency_seconds:
            time.sleep(self.config.sync_latency_seconds)
        if Fault.TASK_FAILED in accepted.faults:
            raise Refused(TASK_FAILED_ERROR)
        generation = self._store(api_key, accepted)
        self._add_links(generation, accepted, ended_at=self.config.clock())
        # Made (and billed) before the answer leaves: a dropped answer loses images already paid.
        self.state.count_sync_images(generation)
        if Fault.DROP in accepted.faults:
            self.state.count("drops")
            raise _Drop
        self._send_json(200, protocol.sync_json(generation, self._urls(generation), self.request_id))

    def _store(self, api_key: str, accepted: Accepted) -> Generation:
        self.state.sweep(now=self.config.clock(), task_ttl=self.config.task_ttl_seconds)
        return self.state.add_generation(
            api_key=api_key,
            prompt=accepted.prompt,
            spec=accepted.spec,
            faults=accepted.faults,
            input_tokens=accepted.input_tokens,
            model=accepted.model,
            asked=accepted.asked,
            texts=accepted.texts,
            actual_prompt=accepted.actual_prompt,
        )

    def _add_links(self, generation: Generation, accepted: Accepted, *, ended_at: float) -> None:
        # Reference: 002 — "The link is valid for 24 hours"; expired_url makes it dead on arrival.
        if Fault.EXPIRED_URL in accepted.faults:
            expires = int(ended_at) - 1
        else:
            expires = int(ended_at + self.config.result_ttl_seconds)
        self.state.add_links(generation, expires=expires, fault=download_fault(accepted.faults))

    def _urls(self, generation: Generation) -> list[str]:
        # The host the caller used, so links work whatever name the emulator is reached by.
        host = self.headers.get("Host") or f"{self.config.host}:{self.emulator.port}"
        return self.state.urls(generation, base=f"http://{host}")

    # --- tasks -------------------------------------------------------------------------------

    def _owned_by_callers_account(self, api_key: str) -> Callable[[str], bool]:
        """Which keys' tasks the caller sees: those of its own account, whichever key made them."""
        config = self.config
        account = config.account_of(api_key)
        return lambda key: config.account_of(key) == account

    def _admit_task_query(self, api_key: str, now: float) -> None:
        """Count a single-task or list query against its account's rate; Refused (429) past it."""
        config = self.config
        if not self.state.query_rate.admit(
            account=config.account_of(api_key),
            api_key=api_key,
            now=now,
            per_second=config.max_task_queries_per_second,
        ):
            retry = config.retry_after_seconds
            raise Refused(
                ErrorAnswer(429, RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE),
                headers=None if retry is None else {"Retry-After": str(retry)},
            )

    def _task(self, task_id: str) -> None:
        api_key = self._api_key()
        now = self.config.clock()
        self._admit_task_query(api_key, now)
        self.state.record_task_query(api_key=api_key, task_id=task_id)
        owned = self._owned_by_callers_account(api_key)
        task = self.state.find_task(task_id, owned=owned, now=now, ttl=self.config.task_ttl_seconds)
        if task is None:
            return self._send_json(200, protocol.unknown_task_json(task_id, self.request_id))
        generation = self.state.generations[task.generation_id]
        payload = protocol.task_json(
            task, generation, self._urls(generation), now=now, request_id=self.request_id
        )
        self._send_json(200, payload)

    def _cancel(self, task_id: str) -> None:
        api_key = self._api_key()
        now = self.config.clock()
        owned = self._owned_by_callers_account(api_key)
        task = self.state.find_task(task_id, owned=owned, now=now, ttl=self.config.task_ttl_seconds)
        # Reference: 000 / 002 SDK examples — "Only tasks in the PENDING state can be canceled."
        if task is None or not self.state.cancel(task, now=now):
            status = task.status(now) if task else "UNKNOWN"
            message = (
                f"Failed to cancel the task: only PENDING tasks can be canceled (task status: {status})."
            )
            raise Refused(ErrorAnswer(400, "UnsupportedOperation", message))
        self._send_json(200, protocol.canceled_json(task_id, self.request_id))

    def _task_list(self, query: dict[str, list[str]]) -> None:
        api_key = self._api_key()
        now = self.config.clock()
        self._admit_task_query(api_key, now)
        if Fault.LIST_DOWN in self.config.faults:
            raise Refused(HTTP500_ERROR)
        selection = tasklist.parse_list_query(query, now=now, max_page_size=self.config.max_list_page_size)
        owned = self._owned_by_callers_account(api_key)
        tasks = self.state.tasks_of(owned, now=now, ttl=self.config.task_ttl_seconds)
        self._send_json(
            200, tasklist.task_list_json(tasks, selection, now=now, request_id=self.request_id)
        )

    # --- results -----------------------------------------------------------------------------

    def _result(self, token: str, query: dict[str, list[str]]) -> None:
        found = self.state.link(token)
        if found is None:
            return self._send_oss_error(404, "NoSuchKey", "The specified key does not exist.")
        link, generation = found
        expires = (query.get("Expires") or [""])[0]
        signature = (query.get("Signature") or [""])[0]
        if not expires.isdigit() or not self.state.check_signature(token, int(expires), signature):
            return self._send_oss_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self.config.clock() > int(expires):
            return self._send_oss_error(403, "AccessDenied", "Request has expired.")
        data = self.state.cached_png(token)
        if data is None:
            # Drawn on first download, then cached; the same spec always gives the same bytes.
            data = render_png(generation.spec, link.index)
            self.state.cache_png(token, data, limit=self.config.render_cache_size)
        self.state.count_download(token)
        self._send_png(data, link.fault)

    # --- emulator control (no key: these paths do not exist on the real service) ------------

    def _control(self, method: str, path: str) -> None:
        if path == "/emulator/stats":
            return self._only(method, "GET") or self._send_json(200, self.state.stats(now=self.config.clock()))
        if path == "/emulator/reset":
            if not self._only(method, "POST"):
                self.emulator.reset()
                self._send_json(200, {"reset": True, "config": config_to_json(self.emulator.config)})
            return None
        if path != "/emulator/config":
            raise Refused(ErrorAnswer(404, "NotFound", f"No such path: {path}"))
        if method == "POST":
            changes = self._read_json()
            if not isinstance(changes, dict):
                raise Refused(ErrorAnswer(400, "InvalidParameter", "Send a JSON object of settings."))
            try:
                self.emulator.update_config(changes)
            except ValueError as exc:
                raise Refused(ErrorAnswer(400, "InvalidParameter", str(exc))) from None
        elif self._only(method, "GET"):
            return None
        self._send_json(200, config_to_json(self.emulator.config))


def run_from_command_line(options: Mapping[str, object], *, stdout: TextIO) -> int:
    """Serve in the foreground until SIGINT or SIGTERM; 0 on a clean stop, 2 on bad settings.

    `options`: host, port, api_keys (empty: the default key), state_file — as cli.py parses
    them; latency and faults come from WAN_EMULATOR_* (see config.py).
    """
    try:
        config = config_from_command_line(options)
        server = EmulatorServer(config)
    except (ValueError, OSError) as exc:
        print(f"wan emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    stdout.write(f"Wan emulator serving {server.url} (API keys: {', '.join(sorted(config.api_keys))})\n")
    stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    return 0
