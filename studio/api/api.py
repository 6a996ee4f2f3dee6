"""The JSON API, version 1, under /api/v1/: one NinjaAPI, one router per room.

django-ninja was chosen over Django REST framework: endpoints are plain typed functions (thin
views calling the same services as the editor), request bodies are parsed by pydantic with the
JSON path of every problem, and the OpenAPI 3 schema and its Swagger page (served from the
package's own static files, no CDN, no inline script) come from the same type hints.
"""

from __future__ import annotations

from ninja import NinjaAPI

from studio.api import batches_api, errors, gallery_api, jobs_api, models_api, rate_limit, references_api, webhooks_api
from studio.api.auth import AUTH

api = NinjaAPI(
    title="Wan Studio API",
    version="1",
    description="Everything the editor does, from a script: references, jobs, batches, the gallery and webhooks. "
    "Authenticate with a personal API token (`Authorization: Bearer ws_…`).",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)
errors.install(api)
# RateLimit-* headers on every answer; the counting itself happens as the caller is authenticated.
api.add_decorator(rate_limit.with_headers, mode="view")

for module in (models_api, references_api, jobs_api, batches_api, gallery_api, webhooks_api):
    api.add_router("", module.router)


def urls() -> tuple[list, str, str]:
    """The API's URL patterns, opted out of the site's login redirect: the API answers 401 itself
    (a script must never get a login page), and its schema and docs are public like any API's."""
    patterns, app_name, namespace = api.urls
    for pattern in _all(patterns):
        pattern.callback.login_required = False
    return patterns, app_name, namespace


def _all(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _all(pattern.url_patterns)
        else:
            yield pattern
