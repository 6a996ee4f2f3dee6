"""What the emulator remembers: tasks, signed result links, rendered PNGs, counters, throttles.

A task's status is computed from the clock (submitted + pending_seconds + running_seconds), so
no background thread moves tasks along and a test can drive the lifecycle with a fake clock.
Everything lives in memory; with a state file, tasks and links are loaded at start and written
after every change (never the studio's database).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import threading
import uuid
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studio.wan_emulator.faults import ErrorAnswer, Fault, parse_fault_names
from studio.wan_emulator.render import RenderSpec
from studio.wan_emulator.windows import QueryRate, slide

# Throttling answers (HTTP 429). Rate: DashScope's code for too many requests per second.
# Concurrency: plain "Throttling" ("Requests throttling triggered"), which callers may retry;
# not Throttling.AllocationQuota, which means an account's quota is used up (permanent).
RATE_QUOTA_CODE = "Throttling.RateQuota"
RATE_QUOTA_MESSAGE = "Requests rate limit exceeded, please try again later."
CONCURRENCY_CODE = "Throttling"


@dataclass
class Generation:
    """One accepted request: what to draw and how many, shared by its result links."""

    id: str
    api_key: str
    prompt: str
    spec: RenderSpec
    faults: frozenset[Fault]
    input_tokens: int
    tokens: tuple[str, ...] = ()
    # For the answer's shape: the model, how many images were asked for (a partial failure
    # reports the rest as failed), interleaved text parts, and the rewritten prompt.
    model: str = ""
    asked: int = 0
    texts: tuple[str, ...] = ()
    actual_prompt: str | None = None


@dataclass(frozen=True)
class ResultLink:
    token: str
    generation_id: str
    index: int
    # Unix seconds, as in an OSS signed URL's Expires parameter.
    expires: int
    fault: Fault | None


@dataclass
class Task:
    task_id: str
    generation_id: str
    api_key: str
    submitted_at: float
    pending_seconds: float
    running_seconds: float
    failed: bool
    canceled_at: float | None = None
    # For the task list: the model asked for and the request_id of the submit's answer.
    # Defaults keep state files written before these fields loadable.
    model: str = ""
    request_id: str = ""

    @property
    def scheduled_at(self) -> float:
        return self.submitted_at + self.pending_seconds

    @property
    def ended_at(self) -> float:
        return (
            self.canceled_at
            if self.canceled_at is not None
            else self.scheduled_at + self.running_seconds
        )

    def status(self, now: float) -> str:
        # Reference: 002, "Status transitions during polling" — PENDING → RUNNING → SUCCEEDED or FAILED.
        if self.canceled_at is not None:
            return "CANCELED"
        if now < self.scheduled_at:
            return "PENDING"
        if now < self.ended_at:
            return "RUNNING"
        return "FAILED" if self.failed else "SUCCEEDED"


@dataclass
class Counters:
    tasks_created: int = 0
    sync_calls: int = 0
    task_queries: int = 0
    task_list_queries: int = 0
    cancels: int = 0
    cancels_refused: int = 0
    drops: int = 0
    downloads: int = 0
    by_prompt: Counter[str] = field(default_factory=Counter)
    sync_by_prompt: Counter[str] = field(default_factory=Counter)
    sync_images_by_prompt: Counter[str] = field(default_factory=Counter)
    task_queries_by_task: Counter[str] = field(default_factory=Counter)
    task_queries_by_key: Counter[str] = field(default_factory=Counter)
    downloads_by_result: Counter[str] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    # Requests that named an SDK (the official SDK's X-DashScope-Sdk-Client header), by its value.
    requests_by_sdk_client: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, object]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {name: dict(value) if isinstance(value, dict) else value for name, value in data.items()}


class EmulatorState:
    """All mutable state, behind one lock (the HTTP server is threaded)."""

    def __init__(self, *, state_file: str | None = None) -> None:
        self._lock = threading.RLock()
        self._state_file = Path(state_file) if state_file else None
        self._secret = secrets.token_bytes(32)
        self.tasks: dict[str, Task] = {}
        self.generations: dict[str, Generation] = {}
        self.links: dict[str, ResultLink] = {}
        self.counters = Counters()
        self._submissions: dict[str, deque[float]] = {}
        # The task-query rate per account (list and single-task queries together).
        self.query_rate = QueryRate()
        self._pngs: OrderedDict[str, bytes] = OrderedDict()
        if self._state_file is not None and self._state_file.exists():
            try:
                self._load(self._state_file)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{self._state_file} is not an emulator state file ({exc!r})") from None

    # --- Creating work ----------------------------------------------------------------------

    def add_generation(
        self,
        *,
        api_key: str,
        prompt: str,
        spec: RenderSpec,
        faults: frozenset[Fault],
        input_tokens: int,
        **answer: object,
    ) -> Generation:
        generation = Generation(str(uuid.uuid4()), api_key, prompt, spec, faults, input_tokens, **answer)  # type: ignore[arg-type]
        with self._lock:
            self.generations[generation.id] = generation
        return generation

    def add_links(
        self, generation: Generation, *, expires: int, fault: Fault | None
    ) -> tuple[ResultLink, ...]:
        links = tuple(
            ResultLink(secrets.token_urlsafe(18), generation.id, i, expires, fault)
            for i in range(generation.spec.count)
        )
        with self._lock:
            for link in links:
                self.links[link.token] = link
            generation.tokens = tuple(link.token for link in links)
            self._save()
        return links

    def add_task(
        self,
        generation: Generation,
        *,
        now: float,
        pending: float,
        running: float,
        failed: bool,
        model: str = "",
        request_id: str = "",
    ) -> Task:
        task = Task(
            str(uuid.uuid4()),
            generation.id,
            generation.api_key,
            now,
            pending,
            running,
            failed,
            model=model,
            request_id=request_id,
        )
        with self._lock:
            self.tasks[task.task_id] = task
            self.counters.tasks_created += 1
            self.counters.by_prompt[generation.prompt] += 1
            self._save()
        return task

    def count_sync_call(self, prompt: str) -> None:
        with self._lock:
            self.counters.sync_calls += 1
            self.counters.sync_by_prompt[prompt] += 1

    def count_sync_images(self, generation: Generation) -> None:
        with self._lock:
            self.counters.sync_images_by_prompt[generation.prompt] += generation.spec.count

    def count(self, name: str, key: str | None = None) -> None:
        """Add one to a plain counter (`drops`, `cancels_refused`...) or to a keyed one."""
        with self._lock:
            if key is None:
                setattr(self.counters, name, getattr(self.counters, name) + 1)
            else:
                getattr(self.counters, name)[key] += 1

    # --- Reading and changing tasks ------------------------------------------------------------

    def find_task(
        self, task_id: str, *, owned: Callable[[str], bool], now: float, ttl: float
    ) -> Task | None:
        """The caller's task, or None when unknown, older than the task TTL, or made by a key
        `owned` refuses (one of another account: callers see every task of their account)."""
        with self._lock:
            task = self.tasks.get(task_id)
            if task is None or not owned(task.api_key):
                return None
            if now - task.submitted_at > ttl:
                del self.tasks[task_id]
                self._save()
                return None
            return task

    def tasks_of(self, owned: Callable[[str], bool], *, now: float, ttl: float) -> list[Task]:
        """The tasks of the keys `owned` accepts still within the task TTL, newest first (ties:
        created later first)."""
        with self._lock:
            self.counters.task_list_queries += 1
            own = [
                (task.submitted_at, order, task)
                for order, task in enumerate(self.tasks.values())
                if owned(task.api_key) and now - task.submitted_at <= ttl
            ]
        return [task for _, _, task in sorted(own, key=lambda row: row[:2], reverse=True)]

    def cancel(self, task: Task, *, now: float) -> bool:
        """Cancel if still PENDING (reference: 000 — only PENDING tasks can be canceled)."""
        with self._lock:
            if task.status(now) != "PENDING":
                self.counters.cancels_refused += 1
                return False
            task.canceled_at = now
            self.counters.cancels += 1
            self._save()
            return True

    def record_task_query(self, *, api_key: str, task_id: str) -> None:
        with self._lock:
            self.counters.task_queries += 1
            self.counters.task_queries_by_task[task_id] += 1
            self.counters.task_queries_by_key[api_key] += 1

    # --- Throttling ------------------------------------------------------------------------

    def admit(
        self, api_key: str, *, now: float, per_second: int | None, concurrent: int | None, is_task: bool
    ) -> ErrorAnswer | None:
        """Let a submission through (and count it against the rate), or say which quota is hit."""
        with self._lock:
            window = slide(self._submissions.setdefault(api_key, deque()), now)
            if per_second is not None and len(window) >= per_second:
                return ErrorAnswer(429, RATE_QUOTA_CODE, RATE_QUOTA_MESSAGE)
            if is_task and concurrent is not None and self._in_progress(api_key, now) >= concurrent:
                return ErrorAnswer(
                    429,
                    CONCURRENCY_CODE,
                    f"Requests throttling triggered: at most {concurrent} tasks may be PENDING or "
                    "RUNNING at once per API key, please try again later.",
                )
            window.append(now)
            return None

    def _in_progress(self, api_key: str, now: float) -> int:
        return sum(
            1
            for t in self.tasks.values()
            if t.api_key == api_key and t.status(now) in ("PENDING", "RUNNING")
        )

    # --- Result links ------------------------------------------------------------------------

    def signature(self, token: str, expires: int) -> str:
        message = f"{token}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check_signature(self, token: str, expires: int, signature: str) -> bool:
        # Bytes, so a signature with any characters is simply wrong rather than an error.
        return hmac.compare_digest(self.signature(token, expires).encode(), signature.encode())

    def link(self, token: str) -> tuple[ResultLink, Generation] | None:
        with self._lock:
            link = self.links.get(token)
            generation = self.generations.get(link.generation_id) if link else None
            return (link, generation) if link and generation else None

    def cached_png(self, token: str) -> bytes | None:
        with self._lock:
            data = self._pngs.get(token)
            if data is not None:
                self._pngs.move_to_end(token)
            return data

    def cache_png(self, token: str, data: bytes, *, limit: int) -> None:
        with self._lock:
            self._pngs[token] = data
            while len(self._pngs) > limit:
                self._pngs.popitem(last=False)

    def count_download(self, token: str) -> None:
        with self._lock:
            self.counters.downloads += 1
            self.counters.downloads_by_result[token] += 1

    def urls(self, generation: Generation, *, base: str) -> list[str]:
        """The signed links of a generation, OSS style: ...png?Expires=<unix>&Signature=<hmac>."""
        with self._lock:
            expiries = [(token, self.links[token].expires) for token in generation.tokens]
        return [
            f"{base}/results/{token}.png?Expires={expires}&Signature={self.signature(token, expires)}"
            for token, expires in expiries
        ]

    # --- Whole state -----------------------------------------------------------------------

    def sweep(self, *, now: float, task_ttl: float) -> None:
        """Forget tasks past their TTL, and generations no task shows whose links have expired."""
        with self._lock:
            for task_id in [t.task_id for t in self.tasks.values() if now - t.submitted_at > task_ttl]:
                del self.tasks[task_id]
            shown = {t.generation_id for t in self.tasks.values()}
            for generation in list(self.generations.values()):
                # A generation without tokens is still being stored by another request.
                if generation.id in shown or not generation.tokens:
                    continue
                if all(self.links[token].expires < now for token in generation.tokens):
                    for token in generation.tokens:
                        del self.links[token]
                        self._pngs.pop(token, None)
                    del self.generations[generation.id]

    def stats(self, *, now: float | None = None) -> dict[str, object]:
        with self._lock:
            data = self.counters.to_json()
            data.update(self.query_rate.to_json())
            data["tasks_stored"] = len(self.tasks)
            if now is not None:
                billed = self._images_billed(now)
                data["images_billed"] = sum(billed.values())
                data["images_billed_by_prompt"] = dict(billed)
            return data

    def _images_billed(self, now: float) -> Counter[str]:
        """Images the provider would bill, by prompt: every image of a task that has SUCCEEDED
        (reference: 004 — billed per successfully generated image) and of every synchronous
        answer made, whether or not its caller read it."""
        billed: Counter[str] = Counter(self.counters.sync_images_by_prompt)
        for task in self.tasks.values():
            if task.status(now) == "SUCCEEDED":
                generation = self.generations.get(task.generation_id)
                if generation is not None:
                    billed[generation.prompt] += generation.spec.count
        return billed

    def reset(self) -> None:
        with self._lock:
            self.tasks.clear()
            self.generations.clear()
            self.links.clear()
            self.counters = Counters()
            self._submissions.clear()
            self.query_rate.reset()
            self._pngs.clear()
            self._save()

    def _save(self) -> None:
        if self._state_file is None:
            return
        data = {
            "secret": self._secret.hex(),
            "tasks": [dataclasses.asdict(t) for t in self.tasks.values()],
            "generations": [_generation_to_json(g) for g in self.generations.values()],
            "links": [dataclasses.asdict(link) for link in self.links.values()],
        }
        tmp = self._state_file.with_name(self._state_file.name + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self._state_file)

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self._secret = bytes.fromhex(data["secret"])
        self.tasks = {t["task_id"]: Task(**t) for t in data.get("tasks", [])}
        self.generations = {g["id"]: _generation_from_json(g) for g in data.get("generations", [])}
        for item in data.get("links", []):
            fault = Fault(item["fault"]) if item.get("fault") else None
            self.links[item["token"]] = ResultLink(**{**item, "fault": fault})


def _generation_to_json(generation: Generation) -> dict[str, object]:
    return {
        "id": generation.id,
        "api_key": generation.api_key,
        "prompt": generation.prompt,
        "spec": generation.spec.to_json(),
        "faults": sorted(f.value for f in generation.faults),
        "input_tokens": generation.input_tokens,
        "tokens": list(generation.tokens),
        "model": generation.model,
        "asked": generation.asked,
        "texts": list(generation.texts),
        "actual_prompt": generation.actual_prompt,
    }


def _generation_from_json(data: dict[str, object]) -> Generation:
    return Generation(
        id=str(data["id"]),
        api_key=str(data["api_key"]),
        prompt=str(data["prompt"]),
        spec=RenderSpec.from_json(data["spec"]),  # type: ignore[arg-type]
        faults=parse_fault_names(data.get("faults") or []),  # type: ignore[arg-type]
        input_tokens=int(data["input_tokens"]),  # type: ignore[call-overload]
        tokens=tuple(data.get("tokens") or []),  # type: ignore[arg-type]
        model=str(data.get("model") or ""),
        asked=int(data.get("asked") or 0),  # type: ignore[call-overload]
        texts=tuple(data.get("texts") or []),  # type: ignore[arg-type]
        actual_prompt=data.get("actual_prompt"),  # type: ignore[arg-type]
    )
