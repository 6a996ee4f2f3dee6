"""The gallery as a workspace, without a browser: parameters as people read them, ← and → across the
gallery, filters answered as a fragment, the board menu, delete with Undo, and Undo in the review queue.

Alice is Lighthouse's admin, Bob a member, Rita a reviewer; Mallory is in Harbour and sees nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studio.gallery import presenters, queries
from studio.gallery.models import Board, BoardItem, ImageReview, ReviewEvent
from studio.pipeline.models import Job
from tests.gallery_helpers import finished_job

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def triggered(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger") or response.headers.get("HX-Trigger-After-Settle") or "{}")


# --- Parameters as people read them ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("watermark", False, "Off"),
        ("prompt_extend", True, "On"),
        ("seed", None, "—"),
        ("negative_prompt", "", "—"),
        ("size", "1024*1024", "1024×1024"),
        ("size", "2K", "2K"),
        ("seed", 4242, "4242"),
        ("strength", 0.5, "0.5"),
        ("bbox_list", [[[1, 2, 30, 40], [5, 6, 70, 80]], []], "image 1: 2 boxes; image 2: none"),
    ],
)
def test_a_parameter_reads_as_people_write_it(name, value, text):
    assert presenters.parameter_text(name, value) == text


def test_parameters_carry_the_label_of_the_capability_table(alice, media):
    job = finished_job(alice, n=1, seed=7, watermark=True)
    rows = {row.name: row for row in presenters.parameters(job)}
    assert (rows["watermark"].label, rows["watermark"].text) == ("Watermark", "On")
    assert (rows["seed"].label, rows["seed"].text) == ("Seed", "7")


def test_the_image_page_says_off_not_false(alice_client, alice, media):
    image = finished_job(alice, n=1, watermark=False).outputs.get()
    page = alice_client.get(f"/gallery/images/{image.pk}/").content.decode()
    assert '<dt>Watermark <span class="api-name" translate="no">watermark</span></dt><dd>Off</dd>' in page
    assert "False" not in page


# --- ← and → walk the gallery in the grid's order --------------------------------------------


@pytest.fixture
def three_jobs(alice, media):
    now = timezone.now()
    old = finished_job(alice, n=2, prompt="Old", created_at=now - timedelta(hours=2))
    middle = finished_job(alice, n=1, prompt="Middle", created_at=now - timedelta(hours=1))
    new = finished_job(alice, n=1, prompt="New", created_at=now)
    return old, middle, new


def test_neighbours_follow_the_grid_newest_job_first_then_by_index(three_jobs):
    old, middle, new = three_jobs
    order = [new.outputs.get(), middle.outputs.get(), old.outputs.get(index=0), old.outputs.get(index=1)]
    for at, image in enumerate(order):
        previous, following = queries.gallery_neighbours(image)
        assert previous == (order[at - 1] if at > 0 else None)
        assert following == (order[at + 1] if at + 1 < len(order) else None)


def test_neighbours_skip_the_trash_and_other_teams(three_jobs, mallory):
    old, middle, new = three_jobs
    finished_job(mallory, n=1, prompt="Harbour's", created_at=middle.created_at - timedelta(minutes=1))
    Job.objects.filter(pk=middle.pk).update(deleted_at=timezone.now())
    assert queries.gallery_neighbours(new.outputs.get()) == (None, old.outputs.get(index=0))


def test_the_image_page_links_previous_and_next_for_the_arrow_keys(alice_client, three_jobs):
    old, middle, new = three_jobs
    page = alice_client.get(f"/gallery/images/{middle.outputs.get().pk}/").content.decode()
    assert f'rel="prev" href="/gallery/images/{new.outputs.get().pk}/" data-key="ArrowLeft"' in page
    assert f'rel="next" href="/gallery/images/{old.outputs.get(index=0).pk}/" data-key="ArrowRight"' in page


# --- Filters answered as a fragment -----------------------------------------------------------


def test_a_filter_change_gets_only_the_results(alice_client, alice, media):
    finished_job(alice, n=1, prompt="A fox")
    finished_job(alice, n=1, prompt="A whale")
    response = alice_client.get("/gallery/", {"q": "fox"}, HTTP_HX_TARGET="gallery-results", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="gallery-results"') and "<h1>" not in html
    assert "A fox" in html and "A whale" not in html


def test_a_bad_filter_is_a_422_naming_the_field_where_the_results_were(alice_client, media):
    response = alice_client.get("/gallery/", {"from": "yesterday"}, HTTP_HX_TARGET="gallery-results", **HTMX)
    assert response.status_code == 422
    assert 'id="gallery-results"' in response.content.decode() and "From:" in response.content.decode()


def test_back_after_a_filter_change_gets_the_whole_page(alice_client, media):
    response = alice_client.get("/gallery/", {"q": "fox"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<h1>" in response.content.decode()


# --- The board menu ---------------------------------------------------------------------------


@pytest.fixture
def image(alice, media):
    return finished_job(alice, n=1, prompt="A fox on a pier").outputs.get()


def test_the_menu_adds_to_a_board_and_says_so(bob, lighthouse, image):
    board = Board.objects.create(team=lighthouse, name="Picks")
    response = client_for(bob).post(f"/gallery/images/{image.pk}/board-menu", {"board": board.pk, "action": "add"}, **HTMX)
    assert response.status_code == 200
    assert BoardItem.objects.filter(board=board, image=image).exists()
    assert 'aria-pressed="true"' in response.content.decode()
    assert triggered(response)["gallery-toast"]["message"] == f"Image 1 of job {image.job_id} added to “Picks”."


def test_a_board_made_inline_holds_the_image(bob, image):
    response = client_for(bob).post(f"/gallery/images/{image.pk}/board-new", {"name": "  Moody   skies "}, **HTMX)
    board = Board.objects.get()
    assert board.name == "Moody skies" and BoardItem.objects.filter(board=board, image=image).exists()
    assert "boards-changed" in triggered(response)


def test_a_board_without_a_name_is_a_422_in_the_menu(bob, image):
    response = client_for(bob).post(f"/gallery/images/{image.pk}/board-new", {"name": "  "}, **HTMX)
    assert response.status_code == 422
    assert "name: give the board a name." in response.content.decode() and not Board.objects.exists()


def test_another_teams_board_or_image_is_refused(mallory, bob, image):
    harbour_board = Board.objects.create(team=mallory.teams.get(), name="Theirs")
    response = client_for(bob).post(f"/gallery/images/{image.pk}/board-menu", {"board": harbour_board.pk}, **HTMX)
    assert response.status_code == 422 and not BoardItem.objects.exists()
    mallorys = client_for(mallory)
    assert mallorys.get(f"/gallery/images/{image.pk}/board-menu", **HTMX).status_code == 404
    assert mallorys.post(f"/gallery/images/{image.pk}/board-new", {"name": "Mine"}, **HTMX).status_code == 404


# --- Delete with Undo -------------------------------------------------------------------------


@pytest.fixture
def bobs_job(bob, media):
    return finished_job(bob, n=2, prompt="Bob's storm")


def test_delete_from_the_grid_offers_undo_and_undo_brings_the_job_back(bob, bobs_job):
    bobs = client_for(bob)
    response = bobs.post(f"/gallery/jobs/{bobs_job.pk}/delete", **HTMX)
    assert response.status_code == 200
    assert f'hx-post="/gallery/jobs/{bobs_job.pk}/undo-delete"' in response.content.decode()
    assert triggered(response)["job-trashed"] == {"job": bobs_job.pk}
    assert Job.objects.get(pk=bobs_job.pk).deleted_at is not None

    response = bobs.post(f"/gallery/jobs/{bobs_job.pk}/undo-delete", **HTMX)
    assert response.status_code == 200 and "is back in the gallery" in response.content.decode()
    assert triggered(response)["job-restored"] == {"job": bobs_job.pk}
    assert Job.objects.get(pk=bobs_job.pk).deleted_at is None


def test_undo_is_for_the_person_who_deleted_and_only_for_a_while(bob, rita, alice, bobs_job):
    client_for(bob).post(f"/gallery/jobs/{bobs_job.pk}/delete", **HTMX)
    assert client_for(rita).post(f"/gallery/jobs/{bobs_job.pk}/undo-delete", **HTMX).status_code == 403
    Job.objects.filter(pk=bobs_job.pk).update(deleted_at=timezone.now() - timedelta(hours=1))
    assert client_for(bob).post(f"/gallery/jobs/{bobs_job.pk}/undo-delete", **HTMX).status_code == 403
    # A team admin restores at any time, as from the trash.
    assert client_for(alice).post(f"/gallery/jobs/{bobs_job.pk}/undo-delete", **HTMX).status_code == 200
    assert Job.objects.get(pk=bobs_job.pk).deleted_at is None


def test_another_team_gets_404_for_undo(bob, mallory, bobs_job):
    client_for(bob).post(f"/gallery/jobs/{bobs_job.pk}/delete", **HTMX)
    assert client_for(mallory).post(f"/gallery/jobs/{bobs_job.pk}/undo-delete", **HTMX).status_code == 404


# --- Undo in the review queue -----------------------------------------------------------------


def test_a_review_in_the_queue_says_what_it_did_with_undo(rita, image):
    response = client_for(rita).post(f"/gallery/review/{image.pk}", {"state": "approved"}, **HTMX)
    html = response.content.decode()
    assert 'id="queue-status" hx-swap-oob="innerHTML"' in html
    assert f"image 1 of job {image.job_id}." in html and 'data-key="u"' in html


def test_undo_in_the_queue_sets_the_image_back_and_shows_it_again(rita, image):
    ritas = client_for(rita)
    ritas.post(f"/gallery/review/{image.pk}", {"state": "rejected"}, **HTMX)
    response = ritas.post(f"/gallery/review/{image.pk}/undo", **HTMX)
    assert response.status_code == 200
    assert ImageReview.objects.get(image=image).state == "unreviewed"
    assert f'action="/gallery/review/{image.pk}"' in response.content.decode()  # the card shows it again
    assert "Undone" in response.content.decode()
    # The history keeps both steps: nothing is erased.
    assert list(ReviewEvent.objects.values_list("to_state", flat=True)) == ["rejected", "unreviewed"]


def test_undo_never_overwrites_someone_elses_later_review(rita, alice, image):
    client_for(rita).post(f"/gallery/review/{image.pk}", {"state": "rejected"}, **HTMX)
    client_for(alice).post(f"/gallery/review/{image.pk}", {"state": "approved"}, **HTMX)
    response = client_for(rita).post(f"/gallery/review/{image.pk}/undo", **HTMX)
    assert response.status_code == 422 and "nothing of yours to undo" in response.content.decode()
    assert ImageReview.objects.get(image=image).state == "approved"


def test_a_member_may_not_undo_and_another_team_gets_404(bob, mallory, rita, image):
    client_for(rita).post(f"/gallery/review/{image.pk}", {"state": "rejected"}, **HTMX)
    assert client_for(bob).post(f"/gallery/review/{image.pk}/undo", **HTMX).status_code == 403
    assert client_for(mallory).post(f"/gallery/review/{image.pk}/undo", **HTMX).status_code == 404
    assert ImageReview.objects.get(image=image).state == "rejected"


# --- The grid's star --------------------------------------------------------------------------


def test_the_grid_star_answers_with_the_tiles_own_button(bob, image):
    response = client_for(bob).post(f"/gallery/images/{image.pk}/star", {"where": "grid"}, **HTMX)
    html = response.content.decode()
    assert f'id="tile-star-{image.pk}"' in html and 'aria-pressed="true"' in html and "<h2" not in html


def test_a_plain_form_post_from_the_menu_comes_back_to_the_gallery(bob, lighthouse, image):
    board = Board.objects.create(team=lighthouse, name="Picks")
    response = client_for(bob).post(f"/gallery/images/{image.pk}/board-menu", {"board": board.pk, "action": "add"})
    assert response.status_code == 302 and response.url == "/gallery/"
    assert BoardItem.objects.filter(board=board, image=image).exists()


def test_a_delete_from_the_image_page_is_offered_for_undo_once_in_the_gallery(bob, bobs_job):
    bobs = client_for(bob)
    response = bobs.post(f"/gallery/jobs/{bobs_job.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/gallery/"
    undo = f'action="/gallery/jobs/{bobs_job.pk}/undo-delete"'
    assert undo in bobs.get("/gallery/").content.decode()
    assert undo not in bobs.get("/gallery/").content.decode()
