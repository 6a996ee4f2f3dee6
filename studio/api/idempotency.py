"""`Idempotency-Key`, as Stripe honours it: a script may retry a POST after a timeout without
making a second job.

- A key (1–255 characters) belongs to a team; the first request with it inserts a row in its own
  transaction BEFORE doing the work, so a second request arriving meanwhile finds the row and is
  answered 409 "in progress" (the unique constraint decides who was first, not a read-then-write).
- When the work completes, its answer (status and JSON) is saved; the same key with the same
  request (method, path and body, JSON compared by meaning, not by spacing) replays it with
  `Idempotent-Replayed: true`.
- The same key with another request is refused 422 naming the header. Stripe answers 400 here;
  422 is what this API answers for every request whose content is wrong (the header is part of
  the request), and 409 is kept for "the same request is still running", which a retry can fix.
- An answer is saved only when the work ran: validation failures (422), conflicts (409) and
  refusals before the work (400, 401, 404, 429) are not, so a corrected request can reuse the key
  (Stripe: "results are only saved if an API endpoint started executing"). A budget refusal
  (402) is an answer of the work and is replayed like a success.
- Keys are kept KEEP_FOR (24 h): every keyed request first deletes the expired ones (idempotency_purge).
- The work and its saved answer commit in one transaction, so a process killed mid-request
  (gunicorn's 30 s timeout, a deploy) leaves either both or neither. A key left "in progress"
  for ABANDONED_AFTER therefore did nothing, and the next request with it takes it over and
  does the work, instead of being told "in progress" for 24 hours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from studio.api.errors import ApiError, Problem, error_body
from studio.api.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
# Longer than any request lives (gunicorn kills a worker after 30 s; a batch of 100 takes ~6 s).
ABANDONED_AFTER = timedelta(minutes=2)
MAX_KEY_CHARS = 255
# Answers of the work itself, replayed like a success (see the module's docstring).
_SAVED_REFUSALS = frozenset({402})
_PATH = f"header.{HEADER}"

Handler = Callable[[], tuple[int, dict]]

# For an endpoint's `openapi_extra={"parameters": [OPENAPI_PARAMETER]}`.
OPENAPI_PARAMETER = {
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS},
    "description": "Send the request again with the same key to get the first answer instead of doing the work twice (kept 24 h).",
}


def idempotent(request: HttpRequest, caller, handler: Handler) -> JsonResponse:
    """Run `handler` (which answers (status, JSON-able dict) or raises ApiError) at most once per
    `Idempotency-Key`; without the header it simply runs."""
    key = request.headers.get(HEADER)
    if key is None:
        return _respond(*handler())
    if not 1 <= len(key) <= MAX_KEY_CHARS or not key.isprintable():
        raise ApiError(422, "invalid", f"{HEADER} must be 1 to {MAX_KEY_CHARS} printable characters.",
                       problems=[Problem(_PATH, f"1 to {MAX_KEY_CHARS} printable characters, not {len(key)}")])
    digest = request_digest(request)
    # Lazily, every team's expired keys (an indexed range delete): no sweep has to know this room.
    idempotency_purge()
    try:
        # Its own transaction, committed before the work: the row is how a concurrent twin knows.
        with transaction.atomic():
            row = IdempotencyKey.objects.create(team=caller.team, key=key, digest=digest)
    except IntegrityError:
        row = _take_over_abandoned(caller, key, digest)
        if row is None:
            return _answer_twin(caller, key, digest)
    try:
        with transaction.atomic():
            status, payload = handler()
            payload = _jsonable(payload)
            _save(row, status, payload)
    except ApiError as exc:
        if exc.status in _SAVED_REFUSALS:
            _save(row, exc.status, error_body(exc.status, exc.code, exc.message, exc.problems, exc.extra))
        else:
            row.delete()
        raise
    except BaseException:
        row.delete()
        raise
    return _respond(status, payload)


def _take_over_abandoned(caller, key: str, digest: str) -> IdempotencyKey | None:
    """The key's row, if its first request died without an answer (see the module's docstring)
    and this request is the same one; a conditional update, so one retry takes it over."""
    now = timezone.now()
    rows = IdempotencyKey.objects.filter(team=caller.team, key=key, digest=digest, status__isnull=True)
    if rows.filter(created_at__lt=now - ABANDONED_AFTER).update(created_at=now) != 1:
        return None
    return rows.first()


def idempotency_purge(*, now=None) -> int:
    """Delete every key older than KEEP_FOR (for the recovery sweep); the number deleted."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def request_digest(request: HttpRequest) -> str:
    """SHA-256 of method, path and body; a JSON body by its meaning, a multipart one by its parts."""
    h = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # The boundary differs on every send: digest the fields and the files' bytes instead.
        for name in sorted(request.POST):
            h.update(f"field {name}={request.POST.getlist(name)!r}\n".encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                upload.seek(0)
                h.update(f"file {name} {upload.name!r} ".encode() + hashlib.sha256(upload.read()).digest())
                upload.seek(0)
        return h.hexdigest()
    raw = request.body
    try:
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass  # not JSON (or nested past the parser's depth): the bytes as sent
    h.update(raw)
    return h.hexdigest()


def _answer_twin(caller, key: str, digest: str) -> JsonResponse:
    row = IdempotencyKey.objects.filter(team=caller.team, key=key).first()
    if row is None:
        # The first request failed and let go of the key between our insert and this read.
        raise ApiError(409, "in_progress", f"A request with this {HEADER} just ended without an answer; send it again.",
                       problems=[Problem(_PATH, "retry")])
    if row.digest != digest:
        raise ApiError(
            422, "idempotency_mismatch",
            f"This {HEADER} was used with another request (method, path or body) in the last 24 hours; use a new key.",
            problems=[Problem(_PATH, "already used for a different request")],
        )
    if row.status is None:
        raise ApiError(
            409, "in_progress",
            f"A request with this {HEADER} is still running; retry when it has answered.",
            problems=[Problem(_PATH, "in progress")], headers={"Retry-After": "1"},
        )
    response = _respond(row.status, row.response)
    response["Idempotent-Replayed"] = "true"
    return response


def _save(row: IdempotencyKey, status: int, payload: dict) -> None:
    IdempotencyKey.objects.filter(pk=row.pk).update(status=status, response=payload, completed_at=timezone.now())


def _jsonable(payload: dict) -> dict:
    # What is saved is exactly what is sent, so a replay is byte-for-byte the same JSON.
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _respond(status: int, payload: dict) -> JsonResponse:
    return JsonResponse(_jsonable(payload), status=status, json_dumps_params={"ensure_ascii": False})
