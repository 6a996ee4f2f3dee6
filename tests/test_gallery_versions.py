"""Versions: every image knows the gallery images it was made from and what was made from it.

Alice's team Lighthouse edits its own images ("Use as reference"); Mallory's team Harbour never
shows up in Lighthouse's chains, nor Lighthouse's in hers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from studio.editor.models import Draft
from studio.gallery import versions
from studio.pipeline.models import Job, JobReference, JobStatus
from studio.pipeline.retry import job_retry
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference

pytestmark = pytest.mark.django_db


def edit_of(owner, *parents, n: int = 1, prompt: str = "Make the logo smaller", **kwargs):
    """A finished job whose references were taken from these gallery images (then one upload)."""
    refs = [replace(png_reference(), source_image_id=parent.pk) for parent in parents]
    return finished_job(owner, n=n, prompt=prompt, references=refs, **kwargs)


@pytest.fixture
def root(alice, media):
    return finished_job(alice, n=1, prompt="A poster").outputs.get()


# --- the chain -------------------------------------------------------------------------------


def test_an_image_made_from_a_prompt_alone_starts_a_chain(root):
    chain = versions.chain_for(root)
    assert chain.versions == [root] and chain.at == 0
    assert chain.parent is None and versions.parents(root) == []


def test_an_upload_from_disk_starts_a_chain_too(alice, media):
    uploaded = finished_job(alice, n=1, references=[png_reference()]).outputs.get()
    assert versions.chain_for(uploaded).versions == [uploaded]


def test_a_reference_taken_from_the_gallery_makes_its_image_the_parent(alice, root):
    v2 = edit_of(alice, root).outputs.get()
    v3 = edit_of(alice, v2).outputs.get()

    chain = versions.chain_for(v2)

    assert chain.versions == [root, v2, v3] and chain.at == 1
    assert chain.parent == root
    assert versions.parents(v3) == [v2] and versions.children(root) == [v2]


def test_the_chain_goes_back_to_the_root_and_forward_through_the_newest_child(alice, root):
    older = edit_of(alice, root, created_at=timezone.now() - timedelta(hours=2)).outputs.get()
    newer = edit_of(alice, root, created_at=timezone.now() - timedelta(hours=1)).outputs.get()
    newest_of_newer = edit_of(alice, newer).outputs.get()

    assert versions.children(root) == [newer, older]
    assert versions.chain_for(root).versions == [root, newer, newest_of_newer]
    assert versions.chain_for(older).versions == [root, older]


def test_the_first_reference_is_the_chains_parent_and_the_others_are_listed(alice, root):
    other = finished_job(alice, n=1, prompt="A logo").outputs.get()
    merged = edit_of(alice, root, other).outputs.get()

    chain = versions.chain_for(merged)

    assert chain.versions == [root, merged]
    assert chain.other_parents == [other]


def test_siblings_are_the_other_images_of_the_same_job(alice, root):
    job = edit_of(alice, root, n=3)
    first, second, third = job.outputs.order_by("index")

    chain = versions.chain_for(second)

    assert chain.siblings == [first, third]
    # Each image of the batch is a version of the same parent.
    assert versions.chain_for(third).versions == [root, third]


def test_a_trashed_edit_is_no_version(alice, root):
    edit = edit_of(alice, root)
    Job.objects.filter(pk=edit.pk).update(deleted_at=timezone.now())
    assert versions.chain_for(root).versions == [root]


def test_another_teams_image_never_appears_in_a_chain(alice, mallory, root):
    harbour = mallory.teams.get()
    theirs = finished_job(mallory, n=1, prompt="Harbour secret").outputs.get()
    # Neither way across: a Lighthouse edit of Harbour's image, a Harbour edit of Lighthouse's.
    ours = edit_of(alice, theirs, root).outputs.get()
    their_edit = edit_of(mallory, root, team=harbour).outputs.get()

    chain = versions.chain_for(ours)
    assert chain.versions == [root, ours] and chain.other_parents == []
    assert versions.children(root) == [ours]
    assert versions.chain_for(their_edit).versions == [their_edit]


def test_deleting_the_parent_keeps_the_edit_and_forgets_the_link(alice, root):
    edit = edit_of(alice, root)
    Job.objects.filter(pk=root.job_id).delete()
    assert JobReference.objects.get(job=edit).source_image is None
    assert versions.chain_for(edit.outputs.get()).versions == [edit.outputs.get()]


# --- how the link is made --------------------------------------------------------------------


@pytest.fixture
def alices(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def generate(client, prompt: str = "Make the sky pink") -> Job:
    before = set(Job.objects.values_list("pk", flat=True))
    data = {"model": "wan2.7-image", "prompt": prompt, "parameters": "1", "size_preset": "1K", "n": "1", "seed": "", "palette_shown": "1"}
    response = client.post("/create/generate", data)
    assert response.status_code == 302, [str(m) for m in get_messages(response.wsgi_request)]
    return Job.objects.exclude(pk__in=before).get()


def test_use_as_reference_records_the_image_and_the_job_carries_it(alices, alice, media):
    parent = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()

    assert alices.post(f"/gallery/images/{parent.pk}/use-as-reference").status_code == 302
    [ref] = Draft.current_for(alice).ordered_references()
    assert ref.source_image == parent

    job = generate(alices)
    assert [r.source_image_id for r in job.references.order_by("position")] == [parent.pk]


def test_an_uploaded_reference_has_no_source(alices, alice, media):
    parent = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()
    with parent.file.open("rb") as handle:
        alices.post("/create/references", {"references": [handle]})
    job = generate(alices)
    assert job.references.get().source_image is None


def test_reuse_settings_and_retry_keep_the_source(alices, alice, media):
    parent = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()
    edit = edit_of(alice, parent)

    alices.post(f"/gallery/jobs/{edit.pk}/reuse")
    assert [r.source_image_id for r in Draft.current_for(alice).ordered_references()] == [parent.pk]

    Job.objects.filter(pk=edit.pk).update(status=JobStatus.FAILED)
    edit.refresh_from_db()
    again = job_retry(job=edit, owner=alice)
    assert again.references.get().source_image == parent


# --- the image page and the gallery ----------------------------------------------------------


def test_the_image_page_shows_the_chain_and_compare_with_parent(alices, alice, root):
    v2 = edit_of(alice, root).outputs.get()

    page = alices.get(f"/gallery/images/{v2.pk}/").content.decode()

    assert "Versions" in page and "v1" in page and "v2" in page
    assert f'href="/gallery/images/{root.pk}/"' in page
    assert f'href="/gallery/compare/{root.pk}/{v2.pk}/"' in page and "Compare with parent" in page


def grid_prompts(client, **params) -> list[str]:
    response = client.get("/gallery/", params)
    assert response.status_code == 200
    return [unit.job.prompt for unit in response.context["page"].units]


def test_newest_version_only_hides_images_something_was_made_from(alices, alice, mallory, root):
    v2 = edit_of(alice, root, prompt="v2").outputs.get()
    edit_of(alice, v2, prompt="v3")
    finished_job(alice, n=1, prompt="Alone")
    # Another team's edit of Lighthouse's image does not make it an old version here.
    lone = finished_job(alice, n=1, prompt="Edited elsewhere").outputs.get()
    edit_of(mallory, lone, team=mallory.teams.get(), prompt="Harbour edit")

    assert set(grid_prompts(alices)) == {"A poster", "v2", "v3", "Alone", "Edited elsewhere"}
    assert set(grid_prompts(alices, newest="on")) == {"v3", "Alone", "Edited elsewhere"}


def test_the_newest_filter_is_a_labelled_checkbox(alices, root):
    page = alices.get("/gallery/").content.decode()
    assert 'type="checkbox" name="newest"' in page and "Newest version only" in page


# --- compare ---------------------------------------------------------------------------------


def test_compare_shows_both_images_with_a_keyboard_slider(alices, alice, root):
    v2 = edit_of(alice, root).outputs.get()

    response = alices.get(f"/gallery/compare/{root.pk}/{v2.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert f"/jobs/{root.job_id}/images/0.png" in page and f"/jobs/{v2.job_id}/images/0.png" in page
    assert 'role="slider"' in page and 'aria-valuenow="50"' in page


def test_compare_works_across_the_persons_teams(alice, mallory, media):
    from studio.accounts.models import Membership

    harbour = mallory.teams.get()
    Membership.objects.create(user=alice, team=harbour, role="member")
    ours = finished_job(alice, n=1).outputs.get()
    theirs = finished_job(mallory, n=1).outputs.get()
    client = Client()
    client.force_login(alice)
    assert client.get(f"/gallery/compare/{ours.pk}/{theirs.pk}/").status_code == 200


def test_compare_refuses_an_image_with_itself_and_an_unknown_mode(alices, root, alice):
    other = finished_job(alice, n=1).outputs.get()
    same = alices.get(f"/gallery/compare/{root.pk}/{root.pk}/")
    assert same.status_code == 400 and "pick two different images" in same.content.decode()
    mode = alices.get(f"/gallery/compare/{root.pk}/{other.pk}/", {"mode": "blink"})
    assert mode.status_code == 400 and "“blink” is not a view of this page" in mode.content.decode()


def test_compare_of_an_unknown_or_trashed_image_is_404(alices, alice, root):
    trashed = finished_job(alice, n=1)
    Job.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    assert alices.get(f"/gallery/compare/{root.pk}/999999/").status_code == 404
    assert alices.get(f"/gallery/compare/{root.pk}/{trashed.outputs.get().pk}/").status_code == 404
