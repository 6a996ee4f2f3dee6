"""The API key is never sent to a browser, never logged and never in an error page.

With the key set to a unique marker, a real job goes through the whole pipeline against the
emulator (which accepts only that key) while every log record at DEBUG, from every logger
including httpx and httpcore, is captured; then every page, partial, file, download and error
page the studio serves is fetched. The marker must appear in none of them.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from studio.pipeline import ledger  # noqa: F401 - the ledger's signal handlers charge the job
from studio.editor.models import Draft
from studio.pipeline import follow, provider, submit
from studio.pipeline.models import Job, JobStatus, OutputImage
from studio.pipeline.store import job_download
from tests.images import png_upload

MARKER = "sk-LEAK-MARKER-7f3a9c2e1b5d4680"


@pytest.fixture
def keyed_emulator(settings, start_emulator, media):
    """The studio as in production with a real key: here the emulator accepts only the marker."""
    server = start_emulator(api_keys=frozenset({MARKER}))
    settings.DASHSCOPE_API_KEY = MARKER
    settings.WAN_EMULATOR = False
    settings.DASHSCOPE_BASE_URL = server.url
    settings.DEBUG = False
    assert provider.api_key() == MARKER
    return server


def png(name: str, colour: str = "teal") -> io.BytesIO:
    return png_upload(name, 320, 320, colour)


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + body.decode("latin-1")


def test_the_api_key_appears_in_no_page_partial_file_or_log_line(
    keyed_emulator, alice, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "studio", "django", "django_q", "django.request"):
        caplog.set_level(logging.DEBUG, logger=name)
    alice.is_staff = alice.is_superuser = True
    alice.save()
    web = Client(raise_request_exception=False)
    web.force_login(alice)
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages: dict[str, str] = {}

    def fetch(label: str, response, *statuses: int) -> None:
        assert response.status_code in (statuses or (200,)), (label, response.status_code)
        pages[label] = text_of(response)

    # The editor and each of its htmx partials, ending in a real generation request.
    fetch("editor", web.get("/create/"))
    fetch("save", web.post("/create/save", {"prompt": "A lighthouse at dawn", "model": "wan2.7-image", "n": "1", "size_preset": "1K"}, **htmx))
    fetch("references", web.post("/create/references", {"references": [png("a.png")]}, **htmx))
    ref = Draft.current_for(alice).references.first()
    fetch("reference image", web.get(f"/create/references/{ref.pk}/image"))
    fetch("reference remove", web.post(f"/create/references/{ref.pk}/remove", **htmx))
    fetch("palette add", web.post("/create/palette/add", **htmx), 200, 422)
    fetch("palette unknown", web.post("/create/palette/nonsense", **htmx), 422)
    fetch("generate refused", web.post("/create/generate", {"prompt": ""}, **htmx), 422)
    with django_capture_on_commit_callbacks(execute=False):
        fetch("generate", web.post("/create/generate", {"prompt": "A lighthouse at dawn", "n": "1"}, **htmx))
    job = Job.objects.get()

    # The pipeline, for real, against the emulator: submit, the task finishes, poll, download.
    assert submit.job_submit(job_id=job.pk) == "submitted"
    keyed_emulator.clock.advance(60)
    job.refresh_from_db()
    with provider.make_client() as client:
        follow.apply_task_result(job.pk, job.status, client.get_task(job.task_id))
    job_download(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    image = OutputImage.objects.get(job=job, index=0)
    # The log really holds the provider conversation (so an empty capture cannot pass).
    assert any("/tasks/" in record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("httpcore") for record in caplog.records)

    fetch("job card", web.get(f"/jobs/{job.pk}/card", **htmx))
    fetch("job image", web.get(f"/jobs/{job.pk}/images/0.png"))
    fetch("job thumb", web.get(f"/jobs/{job.pk}/images/0.webp"))
    for path in (
        "/", "/create/", "/gallery/", f"/gallery/images/{image.pk}/", "/gallery/review/", "/gallery/boards/",
        "/gallery/trash/", f"/gallery/images/{image.pk}/download", f"/gallery/jobs/{job.pk}/images.zip",
        "/billing/", "/billing/reconciliation/", "/billing/ledger.csv", "/accounts/team/", "/accounts/password/",
        "/healthz",
    ):
        fetch(path, web.get(path))
    fetch("gallery page 2", web.get("/gallery/?page=2", **htmx), 200, 404)

    # The admin: its index and every model's list and first object.
    fetch("admin", web.get("/admin/"))
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        fetch(f"admin {opts.label}", web.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")))
        first = model.objects.first()
        if first is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
            fetch(f"admin {opts.label} {first.pk}", web.get(change))

    # Error pages.
    fetch("404", web.get("/no-such-page/"), 404)
    fetch("404 partial", web.get("/jobs/999999/card", **htmx), 404)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    fetch("403 csrf", strict.post("/create/save", {"prompt": "x"}), 403)
    outsider = Client()
    fetch("login page", outsider.get("/accounts/login/"))
    fetch("login refused", outsider.post("/accounts/login/", {"username": "alice", "password": "wrong"}))
    fetch("anonymous redirect", outsider.get("/gallery/"), 302)

    assert len(pages) > 30
    leaked_pages = [label for label, text in pages.items() if MARKER in text]
    leaked_logs = [record.getMessage() for record in caplog.records if MARKER in record.getMessage() or MARKER in repr(record.args)]
    assert leaked_pages == []
    assert leaked_logs == []
    assert MARKER not in caplog.text
