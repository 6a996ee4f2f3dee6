"""Sliding 1 s windows: the submission throttle's, and the account's task-query rate.

The task-management endpoints share one rate per Alibaba Cloud account: a single-task query
(GET /tasks/{id}) and a task-list query (GET /tasks) both count, whichever key of the account
sends them. Reference: "Asynchronous task management API",
https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (Chinese original:
https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks) — "Rate
limit: 20 QPS per Alibaba Cloud account (includes all RAM users)", for the result query and the
batch (list) query alike.
"""

from __future__ import annotations

import threading
from collections import deque

WINDOW_SECONDS = 1.0


def slide(window: deque[float], now: float) -> deque[float]:
    """Drop the moments that have left the window ending at `now`."""
    while window and window[0] <= now - WINDOW_SECONDS:
        window.popleft()
    return window


class QueryRate:
    """Admits task queries per account; records the most seen in any window, sent or refused.

    Only answered queries count against the limit (a refused one is not served); every query
    sent counts in the maxima /emulator/stats reports, so a caller that sends too many shows it.
    Refused queries (429) are counted too, per account.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: dict[str, deque[float]] = {}
        self._sent_by_account: dict[str, deque[float]] = {}
        self._sent_by_key: dict[str, deque[float]] = {}
        self.max_by_account: dict[str, int] = {}
        self.max_by_key: dict[str, int] = {}
        self.refused_by_account: dict[str, int] = {}

    def admit(self, *, account: str, api_key: str, now: float, per_second: int | None) -> bool:
        with self._lock:
            for windows, best, name in (
                (self._sent_by_account, self.max_by_account, account),
                (self._sent_by_key, self.max_by_key, api_key),
            ):
                window = slide(windows.setdefault(name, deque()), now)
                window.append(now)
                best[name] = max(best.get(name, 0), len(window))
            admitted = slide(self._admitted.setdefault(account, deque()), now)
            if per_second is not None and len(admitted) >= per_second:
                self.refused_by_account[account] = self.refused_by_account.get(account, 0) + 1
                return False
            admitted.append(now)
            return True

    def to_json(self) -> dict[str, object]:
        with self._lock:
            return {
                "max_task_queries_per_second": max(self.max_by_account.values(), default=0),
                "max_task_queries_per_second_by_account": dict(self.max_by_account),
                "max_task_queries_per_second_by_key": dict(self.max_by_key),
                # Task queries (single-task and list) answered 429 Throttling.RateQuota.
                "task_queries_refused": sum(self.refused_by_account.values()),
                "task_queries_refused_by_account": dict(self.refused_by_account),
            }

    def reset(self) -> None:
        with self._lock:
            self._admitted.clear()
            self._sent_by_account.clear()
            self._sent_by_key.clear()
            self.max_by_account.clear()
            self.max_by_key.clear()
            self.refused_by_account.clear()
