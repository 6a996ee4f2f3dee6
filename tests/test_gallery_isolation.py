"""Isolation of the gallery's browse and review URLs: Mallory (team Harbour) never sees, reviews,
comments on, stars or files Lighthouse's work. Every URL that names a Lighthouse image, job or
board answers her 404 — the same as for an id that does not exist — pages, htmx partials and files.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import Client

from studio.editor.models import Draft
from studio.gallery.models import Board, BoardItem, Comment, ImageReview, ReviewEvent, Star
from tests.gallery_helpers import finished_job
from tests.pipeline_helpers import png_reference

HTMX = {"HTTP_HX_REQUEST": "true"}



@pytest.fixture
def work(alice, lighthouse, media):
    """Lighthouse's image (of a job with a masked reference) and board."""
    reference = png_reference(320, 240)
    job = finished_job(alice, n=2, prompt="Lighthouse secret", references=[replace(reference, mask=reference.content)])
    board = Board.objects.create(team=lighthouse, name="Lighthouse board", created_by=alice)
    return job, job.outputs.get(index=0), board


@pytest.fixture
def mallorys(mallory) -> Client:
    client = Client()
    client.force_login(mallory)
    return client


def urls(job, image, board) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/gallery/images/{image.pk}/", {}),
        ("post", f"/gallery/images/{image.pk}/review", {"state": "approved"}),
        ("post", f"/gallery/images/{image.pk}/comments", {"text": "hello"}),
        ("post", f"/gallery/images/{image.pk}/star", {}),
        ("post", f"/gallery/images/{image.pk}/boards", {"board": board.pk, "action": "add"}),
        ("get", f"/gallery/images/{image.pk}/board-menu", {}),
        ("post", f"/gallery/images/{image.pk}/board-menu", {"board": board.pk, "action": "add"}),
        ("get", f"/gallery/jobs/{job.pk}/references/0", {}),
        ("get", f"/gallery/jobs/{job.pk}/references/0/mask", {}),
        ("get", f"/gallery/review/?after={image.pk}", {}),
        ("post", f"/gallery/review/{image.pk}", {"state": "approved"}),
        # The grid's thumbnails and the page's full image come from the editor's checked views.
        ("get", f"/jobs/{job.pk}/images/0.webp", {}),
        ("get", f"/jobs/{job.pk}/images/0.png", {}),
        # Versions: comparing two of the team's images.
        ("get", f"/gallery/compare/{image.pk}/{job.outputs.get(index=1).pk}/", {}),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_url_naming_another_teams_work_is_404(mallorys, work, htmx):
    job, image, board = work
    headers = HTMX if htmx else {}
    for method, url, data in urls(job, image, board):
        response = getattr(mallorys, method)(url, data, **headers)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    # Nothing she sent left a trace.
    assert not ImageReview.objects.exists() and not ReviewEvent.objects.exists()
    assert not Comment.objects.exists() and not Star.objects.exists() and not BoardItem.objects.exists()


def comment_urls(image, comment) -> list[tuple[str, str, dict]]:
    """A Lighthouse comment's own actions (region comments): named through its image."""
    return [
        ("post", f"/gallery/images/{image.pk}/comments/{comment.pk}/edit", {}),
        ("post", f"/gallery/images/{image.pk}/comments/{comment.pk}/resolve", {"resolved": "1"}),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_url_naming_another_teams_comment_is_404(mallorys, mallory, alice, work, htmx):
    job, image, board = work
    comment = Comment.objects.create(image=image, author=alice, text="Lighthouse secret", boxes=[[0, 0, 50, 50]])
    for method, url, data in comment_urls(image, comment):
        response = getattr(mallorys, method)(url, data, **(HTMX if htmx else {}))
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    comment.refresh_from_db()
    assert comment.resolved_at is None
    # No draft of hers holds the image, the boxes or the text.
    assert not Draft.objects.filter(owner=mallory, from_comment=comment).exists()
    assert not Draft.objects.filter(owner=mallory, prompt__contains="Lighthouse").exists()


def test_the_answer_is_the_same_as_for_an_id_that_does_not_exist(mallorys, work):
    job, image, board = work
    theirs = mallorys.get(f"/gallery/images/{image.pk}/")
    missing = mallorys.get("/gallery/images/999999/")
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)


def test_the_teammates_get_what_mallory_does_not(alice, bob, work):
    """The same URLs work for the team, so the 404s above are isolation, not broken URLs."""
    job, image, board = work
    alices = Client()
    alices.force_login(alice)
    for method, url, data in urls(job, image, board):
        response = getattr(alices, method)(url, data, **HTMX)
        assert response.status_code == 200, f"{method.upper()} {url} answered {response.status_code}"


def test_her_gallery_shows_only_her_teams_work(mallorys, mallory, work):
    job, image, board = work
    finished_job(mallory, n=1, prompt="Harbour at night")
    page = mallorys.get("/gallery/").content.decode()
    assert "Harbour at night" in page
    assert "Lighthouse secret" not in page and f"/gallery/images/{image.pk}/" not in page
    assert "Lighthouse board" not in page  # not among the board choices either


def test_filtering_by_another_teams_board_is_refused_like_an_unknown_board(mallorys, work):
    job, image, board = work
    theirs = mallorys.get("/gallery/", {"board": board.pk})
    unknown = mallorys.get("/gallery/", {"board": 999999})
    assert theirs.status_code == unknown.status_code == 400
    assert "Lighthouse secret" not in theirs.content.decode()


def test_her_queue_and_boards_are_her_teams(mallorys, work):
    job, image, board = work
    queue = mallorys.get("/gallery/review/").content.decode()
    assert "Nothing to review" in queue and "Lighthouse secret" not in queue
    boards = mallorys.get("/gallery/boards/").content.decode()
    assert "Lighthouse board" not in boards
    mallorys.post("/gallery/boards/", {"name": "Lighthouse board"})  # the name is free in her team
    assert Board.objects.filter(name="Lighthouse board").count() == 2


def test_comparing_her_image_with_theirs_is_404_either_way(mallorys, mallory, work):
    job, image, board = work
    hers = finished_job(mallory, n=1, prompt="Harbour at night").outputs.get()
    for first, second in ((hers, image), (image, hers)):
        response = mallorys.get(f"/gallery/compare/{first.pk}/{second.pk}/")
        assert response.status_code == 404
        assert "Lighthouse secret" not in response.content.decode()
