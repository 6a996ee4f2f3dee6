"""Every URL refuses a state-changing request without a CSRF token, htmx endpoints included."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")
SAMPLE = {"int": "1", "id": "1", "slug": "add", "str": "x", "path": "x", None: "x"}


def every_route(patterns=None, prefix: str = "") -> list[str]:
    routes: list[str] = []
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += every_route(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            routes.append(prefix + text)
    return routes


def concrete(route: str) -> str:
    route = PLACEHOLDER.sub(lambda m: SAMPLE.get(m.group(1), "x"), route)
    # The admin's routes are regular expressions; only its plain ones are needed here.
    return "/" + route.lstrip("^").rstrip("$")


def test_a_post_without_a_csrf_token_is_refused_everywhere(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    routes = sorted({concrete(r) for r in every_route() if not re.search(r"[(\\\[?*+]", r)})
    assert "/create/save" in routes and "/gallery/images/1/star" in routes and "/accounts/login/" in routes
    accepted = {}
    for url in routes:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            status = client.post(url, {"x": "1"}, **headers).status_code
            # 405: the route takes no POST at all (the API's read-only endpoints), so nothing changed.
            if status not in (403, 405):
                accepted[url] = status
    assert accepted == {}
