"""`python manage.py gallery verify`: every stored original re-hashed; missing or changed files reported."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from studio.gallery import integrity
from tests.gallery_helpers import finished_job, png_bytes
from tests.pipeline_helpers import png_reference



def verify(*args: str) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("gallery", "verify", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


@pytest.fixture
def jobs(alice, bob, media):
    return [
        finished_job(alice, n=2, references=[png_reference(480, 320)]),
        finished_job(bob, n=3),
    ]


def test_all_files_as_stored_exit_zero(jobs):
    out, error = verify()

    assert error is None
    assert "Checked 5 images" in out and "5 thumbnails and 1 references: 0 missing, 0 changed, 0 files no row names." in out


def test_an_altered_file_is_reported_and_fails_the_command(jobs):
    output = jobs[1].outputs.get(index=2)
    storage, name = output.file.storage, output.file.name
    storage.delete(name)
    storage.save(name, ContentFile(png_bytes("#000000")))  # a valid PNG, just not the one stored

    out, error = verify()

    assert error is not None and "1 stored files are missing, changed or named by no row" in str(error)
    [line] = [line for line in out.splitlines() if line.startswith("CHANGED")]
    assert line.startswith(f"CHANGED image: job {jobs[1].pk}, index 2, {name} (SHA-256 ")
    assert "0 missing, 1 changed" in out


def test_a_deleted_file_is_reported(jobs):
    output = jobs[0].outputs.get(index=0)
    output.file.storage.delete(output.file.name)

    out, error = verify()

    assert error is not None
    assert f"MISSING image: job {jobs[0].pk}, index 0, {output.file.name}" in out.splitlines()
    assert "1 missing, 0 changed" in out


def test_missing_thumbnails_and_references_are_reported_too(jobs):
    output = jobs[1].outputs.get(index=0)
    reference = jobs[0].references.get()
    output.thumbnail.storage.delete(output.thumbnail.name)
    reference.file.storage.delete(reference.file.name)

    out, error = verify()

    assert error is not None
    assert f"MISSING thumbnail: job {jobs[1].pk}, index 0, {output.thumbnail.name}" in out
    assert f"MISSING reference: job {jobs[0].pk}, index 0, {reference.file.name}" in out


def test_trashed_jobs_are_checked_as_well(jobs):
    from django.utils import timezone

    jobs[0].__class__.objects.filter(pk=jobs[0].pk).update(deleted_at=timezone.now())
    output = jobs[0].outputs.get(index=1)
    output.file.storage.delete(output.file.name)

    out, error = verify()

    assert error is not None and f"job {jobs[0].pk}, index 1" in out


def test_files_are_hashed_in_chunks(jobs, monkeypatch):
    monkeypatch.setattr(integrity, "CHUNK_BYTES", 7)
    out, error = verify()
    assert error is None, out


def test_a_file_no_row_names_is_reported_and_can_be_removed(jobs):
    storage = jobs[0].outputs.get(index=0).file.storage
    stray = storage.save(f"outputs/{jobs[0].pk}/0_leftover.png", ContentFile(png_bytes("#123456")))
    half = storage.save(f"thumbnails/{jobs[1].pk}/7.webp", ContentFile(b"RIFF"))

    out, error = verify("--grace-seconds", "0")

    assert error is not None and "2 stored files are missing, changed or named by no row" in str(error)
    assert f"ORPHAN file: {stray} (no row names it)" in out.splitlines()
    assert f"ORPHAN file: {half} (no row names it)" in out.splitlines()

    out, error = verify("--grace-seconds", "0", "--remove-orphans")

    assert error is None and "2 files no row names (2 removed)" in out
    assert not storage.exists(stray) and not storage.exists(half)
    assert verify("--grace-seconds", "0")[1] is None
    # Every file a row names is still there.
    assert all(storage.exists(o.file.name) for job in jobs for o in job.outputs.all())


def test_a_file_younger_than_the_grace_period_may_be_a_store_in_progress(jobs):
    storage = jobs[0].outputs.get(index=0).file.storage
    storage.save(f"outputs/{jobs[0].pk}/5.png", ContentFile(png_bytes("#123456")))

    out, error = verify("--remove-orphans")

    assert error is None and "1 newer files passed over" in out
    assert storage.exists(f"outputs/{jobs[0].pk}/5.png")
