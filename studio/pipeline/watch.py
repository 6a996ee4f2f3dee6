"""Which tasks in flight may have ended: asked of the task list, not task by task.

The task list (GET /tasks, filtered by status) names the account's PENDING and RUNNING tasks a
page at a time. A task of ours that neither list names has ended (or expired): only those are
fetched by id, since their URLs, usage and errors are only in the single-task answer. That fetch
stays the authority: a task is concluded ended only by its own answer, so a page that lags behind
the service or shifts while it is read (a task ending between two pages moves the rows after it up
by one) costs an extra fetch, never a missed or wrong result.

With few tasks in flight one query each costs fewer calls than the list's pages; `choose` compares.

Reference: "Asynchronous task management API", batch query of task statuses,
https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks — status and page
filters, page_size "默认查询10条" (10 by default, no documented maximum: the page size served is read
from each answer), 20 queries per second per account for the list and the single query together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from studio.wan.client import WanClient
from studio.wan.responses import TaskListPage

# What the lists are asked for: PENDING only while one of ours may still be waiting to start.
RUNNING, PENDING = "RUNNING", "PENDING"
# The page size asked for. The service may serve fewer a page; `Sight.page_size` says what it did.
ASK_PAGE_SIZE = 100
# Before any answer said otherwise, plan with the documented default.
DOCUMENTED_PAGE_SIZE = 10


@dataclass
class Sight:
    """One look at the lists: the tasks they named alive, by status."""

    alive: dict[str, str] = field(default_factory=dict)
    calls: int = 0
    # The page size the service served (None until an answer said).
    page_size: int | None = None


def list_cost(alive: int, pending: int, page_size: int) -> int:
    """Calls one look at the lists takes: RUNNING's pages, and PENDING's when any may wait."""
    size = max(1, page_size)
    return max(1, math.ceil(alive / size)) + (math.ceil(pending / size) if pending else 0)


def choose(alive: int, pending: int, page_size: int, *, list_usable: bool) -> str:
    """"list" or "single": whichever asks about every task in flight in fewer calls."""
    if not list_usable or alive == 0:
        return "single"
    return "list" if list_cost(alive, pending, page_size) < alive else "single"


def look(
    client: WanClient,
    *,
    statuses: Iterable[str],
    page_size: int,
    pages_at_once: Callable[[list[Callable[[], TaskListPage]]], list[TaskListPage]],
) -> Sight:
    """Read every page of each status list. Any failed call raises: an incomplete look proves
    nothing about the tasks it did not reach, so the caller must not conclude from it.

    `pages_at_once` runs the calls it is given side by side (each takes its own query slot) and
    returns their answers in order; the first page of a list is read alone, for its page count.
    """
    sight = Sight()
    for status in statuses:
        first = client.list_page(status=status, page_no=1, page_size=page_size)
        sight.calls += 1
        size = first.page_size or page_size
        sight.page_size = size
        pages = [first]
        rest = list(range(2, first.total_page + 1)) if first.tasks else []
        if rest:
            calls = [_page_call(client, status, page, size) for page in rest]
            pages += pages_at_once(calls)
            sight.calls += len(calls)
        for page in pages:
            for row in page.tasks:
                sight.alive.setdefault(row.task_id, row.task_status or status)
    return sight


def _page_call(client: WanClient, status: str, page_no: int, size: int) -> Callable[[], TaskListPage]:
    return lambda: client.list_page(status=status, page_no=page_no, page_size=size)
