"""Share links: made by members and admins, kept as a hash, shown to anyone holding the token
until they expire or are revoked, and never more than what was shared.

Alice (admin) and Bob (member) of Lighthouse share; Rita reviews and may not; visitors are
logged-out clients.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studio.gallery.models import Board, BoardItem
from studio.sharing import tokens
from studio.sharing.models import EXPIRY_MAX_DAYS, ShareComment, ShareLink
from tests.gallery_helpers import finished_job

URL = re.compile(r"https?://[^/]+(/s/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def work(alice, lighthouse, media):
    """Two jobs of Lighthouse; the board holds the first image of each, not the second of the first."""
    first = finished_job(alice, n=2, prompt="Secret lighthouse brief")
    second = finished_job(alice, n=1, prompt="Second brief")
    board = Board.objects.create(team=lighthouse, name="For the client", created_by=alice)
    BoardItem.objects.create(board=board, image=first.outputs.get(index=0), added_by=alice)
    BoardItem.objects.create(board=board, image=second.outputs.get(index=0), added_by=alice)
    return first, second, board


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client: Client, what: str, **fields) -> tuple[object, str]:
    """POST the share form; the response and the path of the new link (the token is only in it)."""
    data = {"what": what, "expires_in_days": "7", **fields}
    response = client.post("/shares/new", data)
    match = URL.search(response.content.decode())
    return response, match.group(1) if match else ""


# --- the token -------------------------------------------------------------------------------


def test_a_token_carries_at_least_128_bits_and_is_url_safe():
    token = tokens.new_token()
    assert len(token) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    # 43 characters of a 64-letter alphabet: 258 bits spelled, 256 of them random.
    assert len(token) * math.log2(64) >= 256
    assert len({tokens.new_token() for _ in range(1000)}) == 1000


def test_only_the_hash_of_the_token_is_stored(alice, work):
    response, path = create(login(alice), f"board:{work[2].pk}")
    assert response.status_code == 201
    token = path.split("/")[2]
    link = ShareLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in ShareLink.objects.values().get().values()]
    assert not any(token in value for value in stored)
    # The address is shown once: no cache may keep the answer that holds it.
    assert response["Cache-Control"] == "no-store"


# --- who may share, and the limits -------------------------------------------------------------


def test_members_and_admins_share_and_reviewers_may_not(alice, bob, rita, work):
    first, _, board = work
    assert create(login(alice), f"board:{board.pk}")[0].status_code == 201
    assert create(login(bob), f"image:{first.outputs.get(index=1).pk}")[0].status_code == 201
    refused, _ = create(login(rita), f"job:{first.pk}")
    assert refused.status_code == 403 and "reviewers cannot" in refused.content.decode()
    assert ShareLink.objects.count() == 2


def test_expiry_defaults_to_seven_days(alice, work):
    page = login(alice).get(f"/shares/new?what=board:{work[2].pk}")
    assert 'name="expires_in_days" value="7"' in page.content.decode()
    create(login(alice), f"board:{work[2].pk}")
    left = ShareLink.objects.get().expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)


@pytest.mark.parametrize(
    "days, message",
    [
        ("91", "Expires after (days): at most 90 days (you gave 91)."),
        ("0", "Expires after (days): at least 1 day (you gave 0)."),
        ("a week", "Expires after (days): “a week” is not a whole number of days (1 to 90)."),
        ("", "Expires after (days): give a number of days, 1 to 90."),
    ],
)
def test_an_expiry_outside_1_to_90_days_is_refused_naming_the_field(alice, work, days, message):
    response, _ = create(login(alice), f"board:{work[2].pk}", expires_in_days=days)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ShareLink.objects.exists()


def test_ninety_days_is_allowed(alice, work):
    response, _ = create(login(alice), f"board:{work[2].pk}", expires_in_days=str(EXPIRY_MAX_DAYS))
    assert response.status_code == 201


def test_an_unknown_kind_is_a_400_that_says_what_to_send(alice, work):
    response = login(alice).post("/shares/new", {"what": "team:1", "expires_in_days": "7"})
    assert response.status_code == 400 and "board:<id>" in response.content.decode()


# --- the shared page ---------------------------------------------------------------------------


def test_the_board_page_shows_its_images_and_nothing_of_the_team(alice, work):
    first, second, board = work
    _, path = create(login(alice), f"board:{board.pk}")
    visitor = Client()
    page = visitor.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"  # no Referer with the token to other sites
    assert page["X-Robots-Tag"].startswith("noindex") and '<meta name="robots" content="noindex' in html
    assert "2 images shared with you" in html
    for secret in ("Lighthouse", "For the client", "Secret lighthouse brief", "alice", "wan2.7", "/gallery/", "/jobs/"):
        assert secret not in html, secret
    # No studio id appears in any address on the page.
    addresses = re.findall(r'(?:href|src|action)="([^"]*)"', html)
    assert all(a.startswith(path) or a.startswith("/static/") or a == "#main" for a in addresses), addresses
    # The visit touched no session: nothing here logs anyone in.
    assert "sessionid" not in page.cookies


def test_the_prompt_shows_only_when_the_sharer_chose_it(alice, work):
    first = work[0]
    _, hidden = create(login(alice), f"job:{first.pk}")
    _, shown = create(login(alice), f"job:{first.pk}", include_prompt="on")
    assert "Secret lighthouse brief" not in Client().get(hidden).content.decode()
    assert "Secret lighthouse brief" in Client().get(shown).content.decode()


def test_every_view_is_counted(alice, work):
    _, path = create(login(alice), f"board:{work[2].pk}")
    for _ in range(3):
        Client().get(path)
    Client().get(path + "1.png")  # files are not views
    link = ShareLink.objects.get()
    assert link.view_count == 3 and link.last_viewed_at is not None
    assert "3 views" in login(alice).get("/shares/").content.decode()


def test_only_the_shared_images_are_served_through_the_link(alice, work):
    first, second, board = work
    _, path = create(login(alice), f"board:{board.pk}")
    visitor = Client()
    served = [visitor.get(f"{path}{n}.png") for n in (1, 2)]
    assert [r.status_code for r in served] == [200, 200]
    on_board = {first.outputs.get(index=0).file.read(), second.outputs.get().file.read()}
    assert {b"".join(r.streaming_content) for r in served} == on_board
    assert served[0]["X-Robots-Tag"].startswith("noindex")
    # The team's other image (same job, not on the board) is not at any place of the link.
    for n in (0, 3, 4, 99):
        assert visitor.get(f"{path}{n}.png").status_code == 404
        assert visitor.get(f"{path}{n}.webp").status_code == 404
    # Nor through the studio's own file views: the link grants nothing there.
    assert visitor.get(f"/jobs/{first.pk}/images/1.png").status_code == 302


def test_an_image_trashed_after_sharing_stops_showing(alice, work):
    first, _, board = work
    _, path = create(login(alice), f"image:{first.outputs.get(index=0).pk}")
    first.deleted_at = timezone.now()
    first.save(update_fields=["deleted_at"])
    assert Client().get(f"{path}1.png").status_code == 404


# --- revoked, expired, unknown -------------------------------------------------------------------


def test_revoked_expired_and_unknown_links_are_the_same_404(alice, work):
    board = work[2]
    _, revoked = create(login(alice), f"board:{board.pk}")
    _, expired = create(login(alice), f"board:{board.pk}")
    revoked_link, expired_link = ShareLink.objects.order_by("pk")
    login(alice).post(f"/shares/{revoked_link.pk}/revoke")
    ShareLink.objects.filter(pk=expired_link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    unknown = f"/s/{tokens.new_token()}/"
    answers = [Client().get(p) for p in (revoked, expired, unknown, "/s/short/")]
    assert {(a.status_code, a.content) for a in answers} == {(404, answers[2].content)}
    assert all(Client().get(f"{p}1.png").status_code == 404 for p in (revoked, expired))
    assert ShareLink.objects.filter(view_count__gt=0).count() == 0


def test_revoking_is_recorded_once_and_the_list_says_so(alice, bob, work):
    _, path = create(login(alice), f"board:{work[2].pk}")
    link = ShareLink.objects.get()
    assert login(bob).post(f"/shares/{link.pk}/revoke").status_code == 302
    assert login(alice).post(f"/shares/{link.pk}/revoke").status_code == 302
    link.refresh_from_db()
    assert link.revoked_by == bob
    page = login(alice).get("/shares/").content.decode()
    assert "revoked by bob" in page and "/revoke" not in page


def test_a_reviewer_sees_the_links_but_may_not_revoke(alice, rita, work):
    create(login(alice), f"board:{work[2].pk}")
    link = ShareLink.objects.get()
    assert "board “For the client”" in login(rita).get("/shares/").content.decode()
    assert login(rita).post(f"/shares/{link.pk}/revoke").status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None


# --- visitors' comments ------------------------------------------------------------------------


def test_a_visitor_comments_with_a_name_and_the_team_reads_it(alice, work):
    first, _, board = work
    _, path = create(login(alice), f"board:{board.pk}", may_comment="on")
    visitor = Client()
    response = visitor.post(f"{path}comments", {"name": "Carol (client)", "image": "2", "text": "Love the second one"})
    assert response.status_code == 302 and response["Location"].endswith("?sent=1#comment-form")
    comment = ShareComment.objects.get()
    assert (comment.name, comment.image, comment.text) == ("Carol (client)", work[1].outputs.get(), "Love the second one")
    listing = login(alice).get("/shares/").content.decode()
    assert "Carol (client)" in listing and "Love the second one" in listing


def test_comments_need_a_name_and_stay_closed_unless_opened(alice, work):
    board = work[2]
    _, open_path = create(login(alice), f"board:{board.pk}", may_comment="on")
    _, closed_path = create(login(alice), f"board:{board.pk}")
    nameless = Client().post(f"{open_path}comments", {"name": " ", "text": "Hi"})
    assert nameless.status_code == 422 and "Your name: tell the team who is writing." in nameless.content.decode()
    assert Client().post(f"{open_path}comments", {"name": "Carol", "image": "7", "text": "Hi"}).status_code == 422
    assert Client().post(f"{closed_path}comments", {"name": "Carol", "text": "Hi"}).status_code == 404
    assert "Comment for the team" not in Client().get(closed_path).content.decode()
    assert not ShareComment.objects.exists()


def test_a_logged_in_teammate_opening_a_link_sees_the_visitors_page_and_their_session_is_untouched(alice, work):
    _, path = create(login(alice), f"board:{work[2].pk}", may_comment="on")
    alices = login(alice)
    page = alices.get(path)
    assert not page.wsgi_request.session.accessed and "sessionid" not in page.cookies
    html = page.content.decode()
    assert "Lighthouse" not in html and "alice" not in html and "Log out" not in html
    # The comment form still carries its CSRF token (a cookie of its own, not the session).
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_shared_page_reads_the_same_few_queries_however_many_images_it_shows(alice, lighthouse, work, django_assert_num_queries):
    board = work[2]
    _, path = create(login(alice), f"board:{board.pk}")
    visitor = Client()
    # The link by its hash, the view counted, the images with their jobs.
    with django_assert_num_queries(3):
        assert "2 images shared with you" in visitor.get(path).content.decode()
    for job in (finished_job(alice, n=3), finished_job(alice, n=3)):
        for image in job.outputs.all():
            BoardItem.objects.create(board=board, image=image, added_by=alice)
    with django_assert_num_queries(3):
        assert "8 images shared with you" in visitor.get(path).content.decode()


def test_several_images_show_as_thumbnails_that_open_the_originals(alice, work):
    _, path = create(login(alice), f"board:{work[2].pk}")
    html = Client().get(path).content.decode()
    assert f'src="{path}1.webp"' in html and f'href="{path}1.png"' in html
    thumb = Client().get(f"{path}1.webp")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    assert b"".join(thumb.streaming_content) == work[0].outputs.get(index=0).thumbnail.read()


def test_the_image_page_points_the_team_to_what_visitors_wrote_about_it(alice, work):
    first = work[0]
    _, path = create(login(alice), f"job:{first.pk}", may_comment="on")
    Client().post(f"{path}comments", {"name": "Carol", "image": "2", "text": "This one"})
    second_page = login(alice).get(f"/gallery/images/{first.outputs.get(index=1).pk}/").content.decode()
    first_page = login(alice).get(f"/gallery/images/{first.outputs.get(index=0).pk}/").content.decode()
    assert "1 comment from visitors of share links" in second_page
    assert "from visitors of share links" not in first_page


def test_a_reviewer_sees_no_share_button_but_does_see_the_visitors_comments(alice, rita, work):
    first = work[0]
    image = first.outputs.get(index=0)
    assert "share-summary" in login(alice).get(f"/gallery/images/{image.pk}/").content.decode()
    _, path = create(login(alice), f"image:{image.pk}", may_comment="on")
    Client().post(f"{path}comments", {"name": "Carol", "text": "Lovely"})
    page = login(rita).get(f"/gallery/images/{image.pk}/").content.decode()
    assert "share-summary" not in page
    assert "1 comment from visitors of share links" in page
