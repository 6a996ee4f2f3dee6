"""Starting a draft never silently throws one away: "Reuse settings" and "a new draft" from the
gallery keep the draft being edited, and the editor offers "Back to your previous draft".

Going back saves what the form held first, and the draft left becomes the way back in turn, so
two drafts can be compared by switching. Drafts are personal: anyone else's is a 404.
"""

from __future__ import annotations

import pytest

from studio.editor.models import Draft
from tests.gallery_helpers import finished_job

HTMX = {"HTTP_HX_REQUEST": "true"}
BACK = "Back to your previous draft"


@pytest.fixture
def editor(alice_client, media):
    return alice_client


def type_prompt(client, prompt: str) -> Draft:
    assert client.post("/create/save", {"prompt": prompt}, **HTMX).status_code == 200
    return Draft.objects.get(prompt=prompt)


def reuse(client, job):
    return client.post(f"/gallery/jobs/{job.pk}/reuse")


def back(client, draft: Draft, **data):
    return client.post(f"/create/drafts/{draft.pk}/open", data)


def test_reuse_keeps_the_draft_being_edited_and_the_editor_offers_the_way_back(editor, alice):
    mine = type_prompt(editor, "My own half-finished idea")
    job = finished_job(alice, prompt="A lighthouse at dawn")

    reuse(editor, job)

    current = Draft.current_for(alice)
    assert current.prompt == "A lighthouse at dawn" and current.previous == mine
    page = editor.get("/create/").content.decode()
    assert BACK in page and 'Your previous draft is kept: “<span translate="no">My own half-finished idea</span>”' in page
    mine.refresh_from_db()
    assert mine.prompt == "My own half-finished idea"


def test_back_reopens_the_previous_draft_and_offers_the_reused_one_in_turn(editor, alice):
    mine = type_prompt(editor, "My own half-finished idea")
    reuse(editor, finished_job(alice, prompt="A lighthouse at dawn"))
    reused = Draft.current_for(alice)

    response = back(editor, mine)

    assert response.status_code == 302 and response["Location"] == "/create/"
    assert Draft.current_for(alice) == mine
    page = editor.get("/create/").content.decode()
    assert ">My own half-finished idea</textarea>" in page
    assert BACK in page and 'Your previous draft is kept: “<span translate="no">A lighthouse at dawn</span>”' in page  # the reused one
    assert Draft.objects.get(pk=mine.pk).previous == reused


def test_going_back_first_saves_what_the_form_held(editor, alice):
    mine = type_prompt(editor, "My own idea")
    reuse(editor, finished_job(alice, prompt="A lighthouse at dawn"))
    reused = Draft.current_for(alice)

    # Typed a moment ago, before the autosave's delay ran out: the button carries the form (htmx).
    response = editor.post(f"/create/drafts/{mine.pk}/open", {"prompt": "A lighthouse at dusk"}, **HTMX)

    assert response.status_code == 200 and response["HX-Redirect"] == "/create/"
    reused.refresh_from_db()
    assert reused.prompt == "A lighthouse at dusk"
    assert Draft.current_for(alice) == mine


def test_a_new_draft_from_a_gallery_image_keeps_the_previous_one_too(editor, alice):
    mine = type_prompt(editor, "My own idea")
    output = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()

    editor.post(f"/gallery/images/{output.pk}/use-as-reference", {"draft": "new"})

    assert Draft.current_for(alice).previous == mine
    assert BACK in editor.get("/create/").content.decode()


def test_a_blank_draft_is_not_offered_as_a_way_back(editor, alice):
    Draft.current_for(alice)  # opened the editor, typed nothing
    reuse(editor, finished_job(alice))

    assert Draft.current_for(alice).previous is None
    assert BACK not in editor.get("/create/").content.decode()


def test_a_draft_without_a_previous_one_shows_no_way_back(editor):
    assert BACK not in editor.get("/create/").content.decode()


def test_someone_elses_draft_cannot_be_opened(editor, alice, bob, mallory):
    for other in (bob, mallory):  # a teammate's draft is as personal as an outsider's
        theirs = Draft.objects.create(owner=other, prompt="Not yours")
        assert back(editor, theirs).status_code == 404
    assert Draft.current_for(alice).prompt != "Not yours"


def test_an_unknown_draft_is_404_and_opening_is_post_only(editor, alice):
    assert editor.post("/create/drafts/999999/open").status_code == 404
    mine = type_prompt(editor, "My own idea")
    assert editor.get(f"/create/drafts/{mine.pk}/open").status_code == 405
