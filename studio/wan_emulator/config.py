"""Every knob of the emulator, how tests change them at run time, and the command line's defaults."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from studio.wan.capabilities import RESULT_TTL_SECONDS, TASK_QUERIES_PER_SECOND
from studio.wan_emulator.faults import Fault, parse_fault_names

DEFAULT_API_KEY = "sk-emulator"
# The account of every key `EmulatorConfig.accounts` does not name.
DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class EmulatorConfig:
    """Tests build one; POST /emulator/config replaces the runtime fields while serving."""

    api_keys: frozenset[str] = frozenset({DEFAULT_API_KEY})
    # Which Alibaba Cloud account each key belongs to; a key not named here is DEFAULT_ACCOUNT's,
    # so by default every key is one account. An account's keys see, cancel and list each
    # other's tasks and share one task-query rate. Reference: "Asynchronous task management
    # API", https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (Chinese
    # original: https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks)
    # — "You can query all tasks under the Alibaba Cloud account that owns the current API key,
    # including tasks submitted with any API key under that account".
    accounts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # Task lifecycle: PENDING for pending_seconds, then RUNNING for running_seconds.
    pending_seconds: float = 1.0
    running_seconds: float = 3.0
    # How long the synchronous endpoint takes to answer.
    sync_latency_seconds: float = 0.0
    # How long the async submit waits, AFTER creating the task, before answering: the window in
    # which the provider has a task but the caller has no task id yet (real seconds, slept).
    submit_latency_seconds: float = 0.0
    # Reference: 002 — task ids can be queried, and result URLs downloaded, for 24 hours.
    task_ttl_seconds: float = RESULT_TTL_SECONDS
    result_ttl_seconds: float = RESULT_TTL_SECONDS
    # Faults applied to every request (a prompt marker "[fault:name]" applies one to one request).
    faults: frozenset[Fault] = frozenset()
    # Throttles per API key; None means unlimited.
    max_submissions_per_second: int | None = None
    max_concurrent_tasks: int | None = None
    # Task queries (GET /tasks/{id} and the task list, counted together) per account in any
    # 1 s window; past it, 429 Throttling.RateQuota. None means unlimited. Reference: the task
    # management API above — "Rate limit: 20 QPS per Alibaba Cloud account (includes all RAM
    # users)", and the list's documented error "Throttling.RateQuota".
    max_task_queries_per_second: int | None = TASK_QUERIES_PER_SECOND
    # The task list's largest page: a bigger page_size is served (and echoed back) at this size.
    # The reference documents the default (10), not a maximum, so callers must read the echo.
    max_list_page_size: int = 100
    # Sent as Retry-After on 429 answers when set (the real service sends none).
    retry_after_seconds: int | None = None
    # The slow_download fault: the PNG is sent in this many pieces, pausing before each but the first.
    slow_download_chunks: int = 8
    slow_download_pause_seconds: float = 0.25
    # Fetching http(s) input images.
    download_timeout_seconds: float = 10.0
    # Rendered PNGs kept in memory (re-rendered on demand; rendering is deterministic).
    render_cache_size: int = 32
    host: str = "127.0.0.1"
    # 0 picks a free port; EmulatorServer.port tells which.
    port: int = 0
    state_file: str | None = None
    log_requests: bool = False
    # Task statuses, link expiry and throttles read this clock; tests may pass a fake one.
    clock: Callable[[], float] = time.time

    def account_of(self, api_key: str) -> str:
        return self.accounts.get(api_key, DEFAULT_ACCOUNT)


_SECONDS_FIELDS = frozenset(
    {
        "pending_seconds",
        "running_seconds",
        "sync_latency_seconds",
        "submit_latency_seconds",
        "task_ttl_seconds",
        "result_ttl_seconds",
        "slow_download_pause_seconds",
        "download_timeout_seconds",
    }
)
_OPTIONAL_LIMIT_FIELDS = frozenset(
    {
        "max_submissions_per_second",
        "max_concurrent_tasks",
        "max_task_queries_per_second",
        "retry_after_seconds",
    }
)
_COUNT_FIELDS = frozenset({"slow_download_chunks", "render_cache_size", "max_list_page_size"})
RUNTIME_FIELDS = (
    _SECONDS_FIELDS
    | _OPTIONAL_LIMIT_FIELDS
    | _COUNT_FIELDS
    | {"faults", "api_keys", "accounts", "log_requests"}
)


def config_to_json(config: EmulatorConfig) -> dict[str, object]:
    data: dict[str, object] = {name: getattr(config, name) for name in sorted(RUNTIME_FIELDS)}
    data["faults"] = sorted(f.value for f in config.faults)
    data["api_keys"] = sorted(config.api_keys)
    data["accounts"] = dict(sorted(config.accounts.items()))
    return data


def config_with_changes(config: EmulatorConfig, changes: Mapping[str, object]) -> EmulatorConfig:
    """A copy of `config` with JSON `changes` applied; ValueError names the first bad one."""
    updates: dict[str, object] = {}
    for name, value in changes.items():
        if name not in RUNTIME_FIELDS:
            raise ValueError(
                f"{name}: not a runtime setting (known: {', '.join(sorted(RUNTIME_FIELDS))})"
            )
        updates[name] = _checked_setting(name, value)
    return dataclasses.replace(config, **updates)  # type: ignore[arg-type]


def _checked_setting(name: str, value: object) -> object:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if name in _SECONDS_FIELDS:
        if not (is_int or isinstance(value, float)) or value < 0:  # type: ignore[operator]
            raise ValueError(f"{name}: must be a number of seconds ≥ 0")
        return float(value)  # type: ignore[arg-type]
    if name in _OPTIONAL_LIMIT_FIELDS:
        if value is not None and (not is_int or value < 0):  # type: ignore[operator]
            raise ValueError(f"{name}: must be an integer ≥ 0 or null")
        return value
    if name in _COUNT_FIELDS:
        if not is_int or value < 1:  # type: ignore[operator]
            raise ValueError(f"{name}: must be an integer ≥ 1")
        return value
    if name == "log_requests":
        if not isinstance(value, bool):
            raise ValueError(f"{name}: must be true or false")
        return value
    if name == "accounts":
        return _checked_accounts(value)
    if not isinstance(value, list):
        raise ValueError(f"{name}: must be a list")
    if name == "faults":
        return parse_fault_names(value)
    if not value or not all(isinstance(k, str) and k for k in value):
        raise ValueError(f"{name}: must be a non-empty list of keys")
    return frozenset(value)


def _checked_accounts(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(a, str) and a for k, a in value.items()
    ):
        raise ValueError('accounts: must be an object of API key to account name, e.g. {"sk-a": "team-1"}')
    return dict(value)


def _env_accounts(name: str) -> dict[str, str]:
    """'sk-a=team-1,sk-b=team-1,sk-c=team-2' -> {key: account}; ValueError on a malformed pair."""
    accounts: dict[str, str] = {}
    for pair in os.environ.get(name, "").split(","):
        if not pair.strip():
            continue
        key, sep, account = (part.strip() for part in pair.partition("="))
        if not sep or not key or not account:
            raise ValueError(f"{name} takes key=account pairs separated by commas, got {pair.strip()!r}")
        accounts[key] = account
    return accounts


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be ≥ 0, got {raw!r}")
    return value


def config_from_command_line(options: Mapping[str, object]) -> EmulatorConfig:
    """The config of `python -m studio.wan_emulator`: its options plus WAN_EMULATOR_* variables.

    WAN_EMULATOR_PENDING_SECONDS (1), WAN_EMULATOR_RUNNING_SECONDS (3), WAN_EMULATOR_SYNC_SECONDS
    (2) — slow enough for a person to see a job go PENDING, RUNNING, done; WAN_EMULATOR_SUBMIT_SECONDS
    (0) delays the answer to a submit after its task exists; WAN_EMULATOR_FAULTS
    (comma-separated fault names); WAN_EMULATOR_ACCOUNTS ("sk-a=team-1,sk-b=team-2": the keys that
    share an account; unnamed keys are one default account); WAN_EMULATOR_LOG=1 logs every
    request. ValueError on bad values.
    """
    keys = [str(k) for k in options.get("api_keys") or []]  # type: ignore[attr-defined]
    faults = [
        name.strip() for name in os.environ.get("WAN_EMULATOR_FAULTS", "").split(",") if name.strip()
    ]
    state_file = options.get("state_file")
    return EmulatorConfig(
        host=str(options.get("host") or "127.0.0.1"),
        port=int(options.get("port") or 0),  # type: ignore[call-overload]
        api_keys=frozenset(keys or [DEFAULT_API_KEY]),
        accounts=_env_accounts("WAN_EMULATOR_ACCOUNTS"),
        state_file=str(state_file) if state_file else None,
        pending_seconds=_env_seconds("WAN_EMULATOR_PENDING_SECONDS", 1.0),
        running_seconds=_env_seconds("WAN_EMULATOR_RUNNING_SECONDS", 3.0),
        sync_latency_seconds=_env_seconds("WAN_EMULATOR_SYNC_SECONDS", 2.0),
        submit_latency_seconds=_env_seconds("WAN_EMULATOR_SUBMIT_SECONDS", 0.0),
        faults=parse_fault_names(faults),
        log_requests=os.environ.get("WAN_EMULATOR_LOG", "").strip() not in ("", "0"),
    )
