"""Upload limits hold before a request body is read: the file count and the whole body size."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import RequestFactory

from studio.editor.models import Draft
from studio.wan.capabilities import MODELS
from tests.images import png_upload

MB = 1024 * 1024
MOST_IMAGES = max(caps.images.count.hi for caps in MODELS.values())
LARGEST_IMAGE = max(caps.images.max_bytes for caps in MODELS.values())


def png(name: str) -> io.BytesIO:
    return png_upload(name, 300, 300, "teal")


def test_the_limits_come_from_the_models_table():
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == MOST_IMAGES == 9
    assert settings.REQUEST_BODY_MAX_BYTES > MOST_IMAGES * LARGEST_IMAGE


def test_more_files_than_a_model_accepts_are_refused_with_the_limit_named(alice_client, media):
    files = [png(f"ref-{i}.png") for i in range(MOST_IMAGES + 1)]
    response = alice_client.post("/create/references", {"references": files})
    assert response.status_code == 400
    assert response.content.decode() == "Too many files: at most 9 can be uploaded at once."
    assert not Draft.objects.filter(references__isnull=False).exists()


def test_as_many_files_as_a_model_accepts_get_through(alice_client, media):
    files = [png(f"ref-{i}.png") for i in range(MOST_IMAGES)]
    response = alice_client.post("/create/references", {"references": files})
    assert response.status_code == 200
    assert Draft.objects.get().references.count() == MOST_IMAGES


def test_a_body_over_the_cap_is_refused_from_its_content_length_without_reading_it(alice_client):
    declared = settings.REQUEST_BODY_MAX_BYTES + 1
    # The body actually sent is tiny: reading past it would fail the test client's payload, so a
    # 413 with this message proves the answer came from the declared length alone.
    response = alice_client.post(
        "/create/references",
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(declared),
    )
    assert response.status_code == 413
    message = response.content.decode()
    assert message.startswith(f"The request is {declared / MB:.0f} MB; the limit is ")
    assert f"({MOST_IMAGES} images of at most {LARGEST_IMAGE // MB} MB each)" in message


def test_uploads_beyond_a_small_size_stream_to_a_temporary_file_not_memory():
    body = png("big.png").getvalue() + b"\0" * settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    request = RequestFactory().post("/create/references", {"references": io.BytesIO(body)})
    upload = request.FILES["references"]
    assert isinstance(upload, TemporaryUploadedFile)
