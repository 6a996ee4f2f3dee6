"""Getting originals out of the gallery: one PNG, or a job's or a selection's images as a streamed ZIP.

Files are served through views that check team membership: a person outside the team gets 404,
the same answer as for an image that does not exist.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
import zipfile

import pytest
from django.core.files.base import ContentFile

from studio.editor.models import Draft
from studio.gallery import zips
from studio.pipeline.models import Job, OutputImage
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference



@pytest.fixture
def job(alice, media):
    return finished_job(alice, prompt="Three lighthouses, image 1's colours", n=3, seed=1234, watermark=False)


def stored_bytes(output: OutputImage) -> bytes:
    with output.file.open("rb") as handle:
        return handle.read()


def zip_of(response) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None, "every entry's CRC matches its bytes"
    return archive


def replace_file(output: OutputImage, data: bytes) -> None:
    """Put other bytes behind an output's stored name (as a larger result, or a damaged disk, would)."""
    storage, name = output.file.storage, output.file.name
    storage.delete(name)
    assert storage.save(name, ContentFile(data)) == name
    OutputImage.objects.filter(pk=output.pk).update(byte_size=len(data), sha256=hashlib.sha256(data).hexdigest())
    output.refresh_from_db()


# --- isolation: every URL of this part of the gallery ---------------------------------------


def in_trash(owner) -> Job:
    job = finished_job(owner, prompt="In the trash", n=1)
    Job.objects.filter(pk=job.pk).update(deleted_at=job.created_at)
    return job


def file_urls(job: Job, image: OutputImage, to_restore: Job, to_purge: Job) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/gallery/images/{image.pk}/download", {}),
        ("get", f"/gallery/jobs/{job.pk}/images.zip", {}),
        ("post", "/gallery/selection.zip", {"images": [image.pk]}),
        ("post", f"/gallery/jobs/{job.pk}/reuse", {}),
        ("post", f"/gallery/images/{image.pk}/use-as-reference", {}),
        ("post", f"/gallery/jobs/{job.pk}/delete", {}),
        ("post", f"/gallery/jobs/{to_restore.pk}/restore", {}),
        ("post", f"/gallery/jobs/{to_purge.pk}/purge", {"confirm": "purge"}),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_file_reuse_and_trash_url_is_404_for_another_team(client, mallory, alice, job, htmx):
    trashed = in_trash(alice)
    client.force_login(mallory)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    for method, url, data in file_urls(job, job.outputs.first(), trashed, trashed):
        response = getattr(client, method)(url, data, **headers)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"

    # Nothing she sent left a trace.
    assert Job.objects.get(pk=job.pk).deleted_at is None
    assert Job.objects.get(pk=trashed.pk).deleted_at is not None and trashed.outputs.count() == 1
    assert not Draft.objects.filter(owner=mallory).exists()


def test_the_team_gets_what_mallory_does_not(alice_client, alice, job):
    """The same URLs work for Lighthouse's admin, so the 404s above are isolation, not broken URLs."""
    for method, url, data in file_urls(job, job.outputs.first(), in_trash(alice), in_trash(alice)):
        response = getattr(alice_client, method)(url, data)
        assert response.status_code in (200, 302), f"{method.upper()} {url} answered {response.status_code}"


def test_a_foreign_image_gets_the_same_answer_as_one_that_does_not_exist(client, mallory, job):
    client.force_login(mallory)
    theirs = client.get(f"/gallery/images/{job.outputs.first().pk}/download")
    missing = client.get("/gallery/images/999999/download")
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)


# --- one original ----------------------------------------------------------------------------


def test_download_is_the_original_png_as_an_attachment(alice_client, job):
    first = job.outputs.get(index=0)

    response = alice_client.get(f"/gallery/images/{first.pk}/download")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored_bytes(first)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="wan-{job.pk}-1.png"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_teammate_can_download_too(client, bob, job):
    client.force_login(bob)
    assert client.get(f"/gallery/images/{job.outputs.first().pk}/download").status_code == 200


def test_download_needs_a_login(client, job):
    response = client.get(f"/gallery/images/{job.outputs.first().pk}/download")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_team_gets_404_for_a_download(client, mallory, job):
    client.force_login(mallory)
    assert client.get(f"/gallery/images/{job.outputs.first().pk}/download").status_code == 404


def test_a_trashed_jobs_images_cannot_be_downloaded(alice_client, job):
    Job.objects.filter(pk=job.pk).update(deleted_at=job.created_at)
    assert alice_client.get(f"/gallery/images/{job.outputs.first().pk}/download").status_code == 404


def test_a_missing_file_is_a_404_not_a_crash(alice_client, job):
    output = job.outputs.first()
    output.file.storage.delete(output.file.name)
    assert alice_client.get(f"/gallery/images/{output.pk}/download").status_code == 404


# --- a job's ZIP -----------------------------------------------------------------------------


def test_a_jobs_zip_holds_every_original_byte_for_byte_and_a_manifest(alice_client, alice, media):
    job = finished_job(
        alice,
        prompt="Put image 1 on the table",
        n=2,
        references=[png_reference(480, 320, boxes=[(10, 20, 200, 300)])],
        seed=77,
        watermark=True,
    )

    response = alice_client.get(f"/gallery/jobs/{job.pk}/images.zip")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="wan-job-{job.pk}.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    archive = zip_of(response)
    assert archive.namelist() == ["manifest.json", f"wan-{job.pk}-1.png", f"wan-{job.pk}-2.png"]
    for output in job.outputs.all():
        assert archive.read(f"wan-{job.pk}-{output.index + 1}.png") == stored_bytes(output)
    manifest = json.loads(archive.read("manifest.json"))
    [entry] = manifest["jobs"]
    assert entry["job_id"] == job.pk
    assert entry["prompt"] == "Put image 1 on the table"
    assert entry["model"] == "wan2.7-image"
    assert entry["parameters"] == job.parameters and entry["parameters"]["seed"] == 77
    assert entry["task_id"] == job.task_id and entry["request_id"] == job.request_id
    assert entry["references"] == [{"position": 0, "width": 480, "height": 320, "boxes": [[10, 20, 200, 300]]}]
    assert [(i["file"], i["sha256"]) for i in entry["images"]] == [
        (f"wan-{job.pk}-{o.index + 1}.png", hashlib.sha256(stored_bytes(o)).hexdigest()) for o in job.outputs.all()
    ]


def test_another_team_gets_404_for_a_jobs_zip(client, mallory, job):
    client.force_login(mallory)
    assert client.get(f"/gallery/jobs/{job.pk}/images.zip").status_code == 404


def test_a_missing_file_is_named_in_the_zip_instead_of_breaking_it(alice_client, job):
    gone, kept = job.outputs.get(index=1), job.outputs.get(index=2)
    gone.file.storage.delete(gone.file.name)

    archive = zip_of(alice_client.get(f"/gallery/jobs/{job.pk}/images.zip"))

    assert zips.image_filename(gone) not in archive.namelist()
    assert archive.read(zips.image_filename(kept)) == stored_bytes(kept)
    assert f"{zips.image_filename(gone)}: the stored file {gone.file.name} is missing" in archive.read("MISSING.txt").decode()


def test_a_trashed_job_has_no_zip(alice_client, job):
    Job.objects.filter(pk=job.pk).update(deleted_at=job.created_at)
    assert alice_client.get(f"/gallery/jobs/{job.pk}/images.zip").status_code == 404


# --- a selection's ZIP -----------------------------------------------------------------------


def test_a_selection_zip_holds_the_chosen_images_of_several_jobs(alice_client, alice, bob, media):
    mine = finished_job(alice, prompt="Mine", n=2)
    bobs = finished_job(bob, prompt="Bob's", n=3)
    chosen = [mine.outputs.get(index=1), bobs.outputs.get(index=0), bobs.outputs.get(index=2)]

    response = alice_client.post("/gallery/selection.zip", {"images": [o.pk for o in chosen]})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="wan-selection-')
    archive = zip_of(response)
    expected = ["manifest.json", f"wan-{mine.pk}-2.png", f"wan-{bobs.pk}-1.png", f"wan-{bobs.pk}-3.png"]
    assert sorted(archive.namelist()) == sorted(expected)
    for output in chosen:
        assert archive.read(zips.image_filename(output)) == stored_bytes(output)
    manifest = json.loads(archive.read("manifest.json"))
    assert {j["prompt"]: len(j["images"]) for j in manifest["jobs"]} == {"Mine": 1, "Bob's": 2}


def test_one_foreign_image_in_a_selection_is_a_404_for_the_whole_request(alice_client, job, mallory):
    theirs = finished_job(mallory, prompt="Harbour at night", n=1)
    ids = [job.outputs.first().pk, theirs.outputs.first().pk]

    response = alice_client.post("/gallery/selection.zip", {"images": ids})

    assert response.status_code == 404
    assert not getattr(response, "streaming", False), "not a byte of Lighthouse's images is sent either"


def test_another_team_gets_404_for_a_selection_of_our_images(client, mallory, job):
    client.force_login(mallory)
    assert client.post("/gallery/selection.zip", {"images": [job.outputs.first().pk]}).status_code == 404


@pytest.mark.parametrize(
    "images, words",
    [([], "select at least one image"), (["7", "<b>x1"], "“<b>x1” is not an image id")],
)
def test_a_bad_selection_is_refused_naming_the_field(alice_client, job, images, words):
    response = alice_client.post("/gallery/selection.zip", {"images": images})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8", "what was posted is never echoed as HTML"
    assert response.content.decode().startswith("Images:") and words in response.content.decode()


def test_a_selection_larger_than_the_limit_is_refused(alice_client, job, settings):
    ids = list(range(1, zips.SELECTION_MAX_IMAGES + 2))
    response = alice_client.post("/gallery/selection.zip", {"images": ids})
    assert response.status_code == 400
    assert f"at most {zips.SELECTION_MAX_IMAGES}" in response.content.decode()


def test_a_selection_zip_is_post_only(alice_client, job):
    assert alice_client.get(f"/gallery/selection.zip?images={job.outputs.first().pk}").status_code == 405


# --- streaming -------------------------------------------------------------------------------


def test_a_large_file_leaves_in_many_bounded_chunks_as_it_is_read(alice_client, job):
    output = job.outputs.get(index=0)
    big = os.urandom(6 * 1024 * 1024)  # random bytes: no compression could hide a copy
    replace_file(output, big)

    response = alice_client.get(f"/gallery/jobs/{job.pk}/images.zip")
    sizes = []
    received = io.BytesIO()
    tracemalloc.start()
    try:
        for chunk in response.streaming_content:
            sizes.append(len(chunk))
            received.write(chunk)
            # Only what is held now counts: the test's own copy of the received bytes is not the view's.
            received.seek(0)
            received.truncate()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(sizes) >= len(big) // zips.CHUNK_BYTES, "the file is sent chunk by chunk"
    assert max(sizes) <= zips.CHUNK_BYTES + 4096, "no chunk is much more than one read"
    assert peak < len(big) // 4, f"streaming held {peak} bytes at once for a {len(big)}-byte file"


def test_the_streamed_zip_of_a_large_file_is_still_exact(alice_client, job):
    output = job.outputs.get(index=1)
    big = os.urandom(3 * 1024 * 1024 + 17)
    replace_file(output, big)

    archive = zip_of(alice_client.get(f"/gallery/jobs/{job.pk}/images.zip"))

    assert archive.read(zips.image_filename(output)) == big
    assert archive.getinfo(zips.image_filename(output)).compress_type == zipfile.ZIP_STORED


def test_the_selection_form_partial_posts_to_the_selection_zip(rf):
    from django.template.loader import render_to_string

    html = render_to_string("gallery/_files_selection.html", request=rf.get("/"))

    assert 'id="selection-zip"' in html and 'action="/gallery/selection.zip"' in html
    assert 'name="csrfmiddlewaretoken"' in html
