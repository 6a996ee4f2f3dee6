"""The Create page's weight: what a browser downloads to open it (HTML, styles, scripts, icons),
at most 200 KB, and not one request to another host. `make bench` runs this module with -s and
prints the figures; the reference images a person adds are their own and counted apart.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.browser import logged_in_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIMIT_BYTES = 200 * 1024


def load(page, url: str) -> list[tuple[str, str, int]]:
    """(url, resource type, body bytes) of every response the page's load brought."""
    seen: list[tuple[str, str, int]] = []

    def record(response) -> None:
        try:
            size = len(response.body())
        except Exception:  # a redirect has no body
            size = 0
        seen.append((response.url, response.request.resource_type, size))

    page.on("response", record)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", record)
    return seen


def test_the_create_page_weighs_at_most_200_kb_and_asks_no_other_host(browser, live_server, alice, media, tmp_path):
    context = logged_in_context(browser, live_server, alice)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    try:
        page = context.new_page()
        empty = load(page, f"{live_server.url}/create/")
        paths = []
        for i, colour in enumerate(("#2a6f97", "#c0392b", "#f1c40f")):
            path = tmp_path / f"ref-{i}.png"
            Image.new("RGB", (1200, 1600), colour).save(path, "PNG")
            paths.append(str(path))
        page.get_by_label("Reference images").set_input_files(paths)
        page.get_by_role("tab", name=re.compile("Image 3")).wait_for()
        with_refs = load(page, f"{live_server.url}/create/")
    finally:
        context.close()

    own = sum(size for _, _, size in empty)
    kinds: dict[str, int] = {}
    for _, kind, size in empty:
        kinds[kind] = kinds.get(kind, 0) + size
    with_references = sum(size for _, _, size in with_refs)
    others = sorted({urlsplit(url).netloc for url in requests} - {urlsplit(live_server.url).netloc})
    print(
        f"\nCreate page weight: {own / 1024:.1f} KB in {len(empty)} responses "
        f"({', '.join(f'{k} {v / 1024:.1f} KB' for k, v in sorted(kinds.items()))}); "
        f"limit {LIMIT_BYTES // 1024} KB. Reopened with three 1200×1600 references: "
        f"{with_references / 1024:.1f} KB in {len(with_refs)} responses. Requests to other hosts: {len(others)}"
    )
    assert others == [], f"the page asked other hosts: {others}"
    assert own <= LIMIT_BYTES
