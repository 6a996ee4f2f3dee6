"""Reviewing the team's images: states with who, when and a history; the queue; comments, stars, boards.

Alice is an admin, Rita a reviewer, Bob a member of Lighthouse. Requests carry the htmx header
where the page sends them through htmx.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.test import Client

from studio.gallery.models import COMMENT_MAX_CHARS, Board, BoardItem, Comment, ImageReview, ReviewEvent, ReviewState, Star
from tests.gallery_helpers import finished_job

HTMX = {"HTTP_HX_REQUEST": "true"}



def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def image(alice, media):
    return finished_job(alice, n=1, prompt="A fox on a pier").outputs.get()


def review(client, image, state: str, note: str = ""):
    return client.post(f"/gallery/images/{image.pk}/review", {"state": state, "note": note}, **HTMX)


# --- Review states and their history ----------------------------------------------------------


def test_a_reviewer_approves_and_the_change_is_recorded(rita, image):
    response = review(client_for(rita), image, "approved")
    assert response.status_code == 200
    assert 'data-state="approved">Approved</strong>' in response.content.decode()
    assert "set by rita" in response.content.decode()
    current = ImageReview.objects.get(image=image)
    assert (current.state, current.set_by, current.set_at is not None) == ("approved", rita, True)
    event = ReviewEvent.objects.get(image=image)
    assert (event.from_state, event.to_state, event.by) == ("unreviewed", "approved", rita)


def test_every_change_appends_to_the_history_in_order(alice, rita, image):
    review(client_for(rita), image, "changes_requested", "The horizon is tilted")
    review(client_for(alice), image, "approved")
    review(client_for(alice), image, "approved")  # no change, no event
    events = list(ReviewEvent.objects.filter(image=image).values_list("from_state", "to_state", "by__username", "note"))
    assert events == [
        ("unreviewed", "changes_requested", "rita", "The horizon is tilted"),
        ("changes_requested", "approved", "alice", ""),
    ]
    page = client_for(alice).get(f"/gallery/images/{image.pk}/").content.decode()
    history = re.search(r'<ol class="history">(.*?)</ol>', page, re.S).group(1)
    assert re.search(r"rita</strong>:\s+Unreviewed → Changes requested — “The horizon is tilted”", history)
    assert re.search(r"alice</strong>:\s+Changes requested → Approved", history)
    assert history.index("rita") < history.index("alice")


def test_a_member_may_not_set_the_state_but_may_comment_and_star(bob, image):
    bobs = client_for(bob)
    response = review(bobs, image, "approved")
    assert response.status_code == 403
    assert not ReviewEvent.objects.exists() and not ImageReview.objects.exists()
    page = bobs.get(f"/gallery/images/{image.pk}/").content.decode()
    assert "Only reviewers and admins set review states" in page
    assert 'name="state"' not in page
    assert bobs.post(f"/gallery/images/{image.pk}/comments", {"text": "Nice"}, **HTMX).status_code == 200
    assert bobs.post(f"/gallery/images/{image.pk}/star", **HTMX).status_code == 200


def test_an_unknown_state_is_refused_naming_the_field(alice, image):
    response = review(client_for(alice), image, "fabulous")
    assert response.status_code == 422
    assert "state: “fabulous” is not a review state" in response.content.decode()
    assert not ReviewEvent.objects.exists()


def test_a_too_long_note_is_refused_with_the_limit(alice, image):
    from studio.gallery.models import REVIEW_NOTE_MAX_CHARS

    response = review(client_for(alice), image, "rejected", "x" * (REVIEW_NOTE_MAX_CHARS + 1))
    assert response.status_code == 422
    assert f"note: at most {REVIEW_NOTE_MAX_CHARS} characters" in response.content.decode()


def test_a_plain_form_post_comes_back_to_the_image(alice, image):
    response = client_for(alice).post(f"/gallery/images/{image.pk}/review", {"state": "rejected"})
    assert response.status_code == 302 and response["Location"] == f"/gallery/images/{image.pk}/"
    assert ImageReview.objects.get(image=image).state == "rejected"


# --- The review queue -------------------------------------------------------------------------


@pytest.fixture
def queue(alice, media):
    """Three single images, made a minute apart: oldest first in the queue."""
    start = datetime(2025, 6, 1, 9, 0, tzinfo=dt_timezone.utc)
    return [
        finished_job(alice, n=1, prompt=f"Queue image {i}", created_at=start + timedelta(minutes=i)).outputs.get()
        for i in range(3)
    ]


def current_of(response) -> int | None:
    found = re.search(r'action="/gallery/review/(\d+)"', response.content.decode())
    return int(found.group(1)) if found else None


def test_the_queue_shows_the_oldest_unreviewed_image_with_its_shortcuts(rita, queue):
    oldest, middle, newest = queue
    response = client_for(rita).get("/gallery/review/")
    page = response.content.decode()
    assert current_of(response) == oldest.pk
    assert "3 unreviewed" in page
    for key, verb in (("a", "Approve"), ("c", "Request changes"), ("r", "Reject")):
        assert re.search(rf'data-key="{key}" aria-keyshortcuts="{key}">{verb} <kbd', page)
    assert 'aria-keyshortcuts="n ArrowRight">Next' in page
    assert "<kbd>a</kbd> approve" in page  # the shortcuts are written on the page too


def test_deciding_in_the_queue_moves_to_the_next_image(rita, queue):
    oldest, middle, newest = queue
    ritas = client_for(rita)
    response = ritas.post(f"/gallery/review/{oldest.pk}", {"state": "approved"}, **HTMX)
    assert response.status_code == 200
    assert current_of(response) == middle.pk
    assert "<h1>" not in response.content.decode()  # just the card
    assert ImageReview.objects.get(image=oldest).state == "approved"
    response = ritas.post(f"/gallery/review/{middle.pk}", {"state": "rejected"}, **HTMX)
    assert current_of(response) == newest.pk
    response = ritas.post(f"/gallery/review/{newest.pk}", {"state": "changes_requested"}, **HTMX)
    assert "Nothing to review" in response.content.decode()
    assert ReviewEvent.objects.count() == 3


def test_next_skips_an_image_without_reviewing_it(rita, queue):
    oldest, middle, newest = queue
    ritas = client_for(rita)
    response = ritas.get(f"/gallery/review/?after={oldest.pk}", **HTMX)
    assert current_of(response) == middle.pk
    response = ritas.get(f"/gallery/review/?after={newest.pk}", **HTMX)
    assert "End of the queue" in response.content.decode()
    assert "3 unreviewed images left behind" in response.content.decode()
    assert not ImageReview.objects.exists()


def test_reviewed_images_leave_the_queue(rita, queue):
    oldest, middle, newest = queue
    ImageReview.objects.create(image=oldest, state=ReviewState.APPROVED)
    ImageReview.objects.create(image=middle, state=ReviewState.UNREVIEWED)  # set back: still to do
    assert current_of(client_for(rita).get("/gallery/review/")) == middle.pk


def test_a_member_sees_the_queue_without_review_buttons(bob, queue):
    bobs = client_for(bob)
    page = bobs.get("/gallery/review/").content.decode()
    assert 'data-key="a"' not in page and "Only reviewers and admins" in page
    assert 'data-key="n"' in page
    assert bobs.post(f"/gallery/review/{queue[0].pk}", {"state": "approved"}, **HTMX).status_code == 403


def test_an_empty_queue_says_so(rita, media):
    assert "Nothing to review" in client_for(rita).get("/gallery/review/").content.decode()


# --- Comments ---------------------------------------------------------------------------------


def test_a_comment_is_shown_as_text_never_as_html(bob, image):
    bobs = client_for(bob)
    response = bobs.post(f"/gallery/images/{image.pk}/comments", {"text": "<script>alert('hi')</script> & <b>bold</b>"}, **HTMX)
    assert response.status_code == 200
    for page in (response.content.decode(), bobs.get(f"/gallery/images/{image.pk}/").content.decode()):
        assert "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
        assert "<script>alert" not in page and "<b>bold</b>" not in page
    comment = Comment.objects.get()
    assert (comment.author, comment.image) == (bob, image)
    assert "<strong>bob</strong>" in response.content.decode()


def test_comments_keep_their_order_and_authors(alice, bob, image):
    client_for(alice).post(f"/gallery/images/{image.pk}/comments", {"text": "First"}, **HTMX)
    response = client_for(bob).post(f"/gallery/images/{image.pk}/comments", {"text": "Second"}, **HTMX)
    page = response.content.decode()
    assert page.index("First") < page.index("Second")
    assert 'Comments <span class="count">2</span>' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "comment: write something first."), ("x" * (COMMENT_MAX_CHARS + 1), f"comment: at most {COMMENT_MAX_CHARS} characters")],
)
def test_an_empty_or_too_long_comment_is_refused(alice, image, text, message):
    response = client_for(alice).post(f"/gallery/images/{image.pk}/comments", {"text": text}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Comment.objects.exists()


# --- Stars ------------------------------------------------------------------------------------


def test_stars_are_per_person_and_toggle(alice, bob, image):
    alices, bobs = client_for(alice), client_for(bob)
    response = alices.post(f"/gallery/images/{image.pk}/star", **HTMX)
    assert 'aria-pressed="true"' in response.content.decode()
    assert 'aria-pressed="false"' in bobs.get(f"/gallery/images/{image.pk}/").content.decode()
    assert 'aria-pressed="true"' in alices.get(f"/gallery/images/{image.pk}/").content.decode()
    response = alices.post(f"/gallery/images/{image.pk}/star", **HTMX)
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Star.objects.exists()


# --- Boards -----------------------------------------------------------------------------------


def test_creating_a_board(alice, lighthouse, media):
    alices = client_for(alice)
    response = alices.post("/gallery/boards/", {"name": "  Spring   campaign "})
    assert response.status_code == 302
    board = Board.objects.get()
    assert (board.team, board.name, board.created_by) == (lighthouse, "Spring campaign", alice)
    page = alices.get("/gallery/boards/").content.decode()
    assert f'href="/gallery/?board={board.pk}">Spring campaign</a>' in page


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "name: give the board a name."),
        ("spring CAMPAIGN", "name: Lighthouse already has a board called"),
        ("x" * 101, "name: at most 100 characters"),
    ],
)
def test_a_bad_board_name_is_refused(alice, lighthouse, media, name, message):
    Board.objects.create(team=lighthouse, name="Spring campaign", created_by=alice)
    response = client_for(alice).post("/gallery/boards/", {"name": name})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert Board.objects.count() == 1


def test_an_image_can_be_on_several_boards_and_leave_one(bob, alice, lighthouse, image):
    spring = Board.objects.create(team=lighthouse, name="Spring", created_by=alice)
    summer = Board.objects.create(team=lighthouse, name="Summer", created_by=alice)
    bobs = client_for(bob)
    bobs.post(f"/gallery/images/{image.pk}/boards", {"board": spring.pk, "action": "add"}, **HTMX)
    response = bobs.post(f"/gallery/images/{image.pk}/boards", {"board": summer.pk, "action": "add"}, **HTMX)
    assert set(BoardItem.objects.values_list("board__name", flat=True)) == {"Spring", "Summer"}
    assert BoardItem.objects.filter(added_by=bob).count() == 2
    chips = re.search(r'<ul class="board-chips">(.*?)</ul>', response.content.decode(), re.S).group(1)
    assert "Spring" in chips and "Summer" in chips
    response = bobs.post(f"/gallery/images/{image.pk}/boards", {"board": spring.pk, "action": "remove"}, **HTMX)
    assert list(BoardItem.objects.values_list("board__name", flat=True)) == ["Summer"]
    assert '<option value="%d">Spring</option>' % spring.pk in response.content.decode()


def test_a_board_of_another_team_is_refused(alice, mallory, image):
    harbour = mallory.teams.get()
    theirs = Board.objects.create(team=harbour, name="Theirs", created_by=mallory)
    response = client_for(alice).post(f"/gallery/images/{image.pk}/boards", {"board": theirs.pk, "action": "add"}, **HTMX)
    assert response.status_code == 422
    assert "board: choose one of the boards of this team." in response.content.decode()
    assert not BoardItem.objects.exists()
