"""Isolation of share links: Mallory (team Harbour, an admin there) cannot create, list or revoke
links for Lighthouse's image, job or board — every such URL answers her 404, the same as an unknown
id — and a link shows a visitor nothing beyond what was shared.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from studio.gallery.models import Board, BoardItem
from studio.sharing.models import ShareLink
from tests.gallery_helpers import finished_job

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def work(alice, lighthouse, media):
    job = finished_job(alice, n=2, prompt="Lighthouse secret")
    board = Board.objects.create(team=lighthouse, name="Lighthouse board", created_by=alice)
    BoardItem.objects.create(board=board, image=job.outputs.get(index=0), added_by=alice)
    return job, job.outputs.get(index=0), board


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def share(user, what: str) -> str:
    response = login(user).post("/shares/new", {"what": what, "expires_in_days": "7"})
    return re.search(r"/s/[A-Za-z0-9_-]{43}/", response.content.decode()).group(0)


def create_urls(job, image, board) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/shares/new", {"what": f"image:{image.pk}"}),
        ("get", "/shares/new", {"what": f"job:{job.pk}"}),
        ("get", "/shares/new", {"what": f"board:{board.pk}"}),
        ("post", "/shares/new", {"what": f"image:{image.pk}", "expires_in_days": "7"}),
        ("post", "/shares/new", {"what": f"job:{job.pk}", "expires_in_days": "7"}),
        ("post", "/shares/new", {"what": f"board:{board.pk}", "expires_in_days": "7"}),
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_she_cannot_share_our_image_job_or_board(mallory, work, htmx):
    mallorys = login(mallory)
    for method, url, data in create_urls(*work):
        response = getattr(mallorys, method)(url, data, **(HTMX if htmx else {}))
        assert response.status_code == 404, f"{method.upper()} {url} {data} answered {response.status_code}"
    assert not ShareLink.objects.exists()


def test_the_answer_is_the_same_as_for_an_id_that_does_not_exist(mallory, work):
    job, image, board = work
    theirs = login(mallory).post("/shares/new", {"what": f"board:{board.pk}", "expires_in_days": "7"})
    missing = login(mallory).post("/shares/new", {"what": "board:999999", "expires_in_days": "7"})
    assert (theirs.status_code, theirs.content) == (missing.status_code, missing.content)


def test_she_cannot_list_or_revoke_our_links(alice, mallory, work):
    job, image, board = work
    share(alice, f"board:{board.pk}")
    link = ShareLink.objects.get()
    mallorys = login(mallory)
    listing = mallorys.get("/shares/").content.decode()
    assert "Lighthouse board" not in listing and f"/shares/{link.pk}/revoke" not in listing
    assert mallorys.post(f"/shares/{link.pk}/revoke").status_code == 404
    assert mallorys.post("/shares/999999/revoke").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_the_teammates_can_do_what_she_cannot(alice, bob, work):
    """The same URLs work for the team, so the 404s above are isolation, not broken URLs."""
    bobs = login(bob)
    for method, url, data in create_urls(*work):
        assert getattr(bobs, method)(url, data).status_code in (200, 201), f"{method.upper()} {url} {data}"
    assert bobs.post(f"/shares/{ShareLink.objects.first().pk}/revoke").status_code == 302


def test_a_link_opened_by_another_team_shows_what_it_shows_anyone_and_opens_nothing_else(alice, mallory, work):
    job, image, board = work
    path = share(alice, f"board:{board.pk}")
    mallorys = login(mallory)
    page = mallorys.get(path).content.decode()
    # Logged in or not, in a team or not: the same page, byte for byte.
    assert page == Client().get(path).content.decode()
    for secret in ("Lighthouse", "Harbour", "mallory", "Lighthouse secret"):
        assert secret not in page, secret
    # Holding a link is no key to the studio: the image's own pages stay 404 for her.
    assert mallorys.get(f"/gallery/images/{image.pk}/").status_code == 404
    assert mallorys.get(f"/jobs/{job.pk}/images/0.png").status_code == 404


def test_a_board_link_never_shows_an_image_of_another_team_even_if_one_were_on_the_board(alice, mallory, work):
    job, image, board = work
    harbour = finished_job(mallory, n=1, prompt="Harbour secret")
    # The studio never puts another team's image on a board; the link does not rely on that.
    BoardItem.objects.create(board=board, image=harbour.outputs.get(), added_by=mallory)
    path = share(alice, f"board:{board.pk}")
    page = Client().get(path).content.decode()
    assert "An image shared with you" in page
    assert Client().get(f"{path}2.png").status_code == 404
