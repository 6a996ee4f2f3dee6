"""The gallery through the JSON API: the same filters, review rules, comments and stars as the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.gallery.models import Comment, ImageReview, Star
from tests.api_calls import call, secret_for
from tests.gallery_helpers import finished_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice, media):
    return secret_for(alice)


@pytest.fixture
def lighthouse_job(alice, media):
    return finished_job(alice, prompt="A lighthouse at dawn", n=2)


def test_images_are_listed_newest_first_with_their_details(client, alice, alices):
    old = finished_job(alice, prompt="An old harbour", n=1, created_at=timezone.now() - timedelta(days=3))
    new = finished_job(alice, prompt="A new moon", n=2, model="wan2.7-image-pro")
    answer = call(client, "get", "/api/v1/images", alices)
    assert answer.status_code == 200
    images = answer.json()["images"]
    assert [i["job_id"] for i in images] == [new.pk, new.pk, old.pk]
    first = images[0]
    assert first["prompt"] == "A new moon" and first["model"] == "wan2.7-image-pro"
    assert first["review_state"] == "unreviewed" and first["starred"] is False and first["comment_count"] == 0
    assert first["download_url"] == f"/api/v1/images/{first['id']}/file"
    assert first["size"] == "96*64" and first["author"] == "alice"
    assert answer.json()["next"] is None


def test_the_gallery_filters_apply(client, alice, alices):
    finished_job(alice, prompt="A lighthouse at dawn", n=1)
    pro = finished_job(alice, prompt="A harbour at night", n=1, model="wan2.7-image-pro")
    assert [i["job_id"] for i in call(client, "get", "/api/v1/images?model=wan2.7-image-pro", alices).json()["images"]] == [pro.pk]
    assert [i["job_id"] for i in call(client, "get", "/api/v1/images?q=harbour", alices).json()["images"]] == [pro.pk]
    image = pro.outputs.get()
    call(client, "post", f"/api/v1/images/{image.pk}/star", alices)
    starred = call(client, "get", "/api/v1/images?starred=true", alices).json()["images"]
    assert [i["id"] for i in starred] == [image.pk]
    assert call(client, "get", "/api/v1/images?state=approved", alices).json()["images"] == []


def test_a_bad_filter_is_refused_naming_it(client, alices):
    answer = call(client, "get", "/api/v1/images?state=lovely&from=2026-02-30", alices)
    assert answer.status_code == 422
    paths = {p["path"] for p in answer.json()["error"]["problems"]}
    assert paths == {"query.state", "query.from"}
    assert call(client, "get", "/api/v1/images?limit=١٢", alices).json()["error"]["problems"][0]["path"] == "query.limit"
    assert call(client, "get", "/api/v1/images?limit=101", alices).status_code == 422
    assert call(client, "get", "/api/v1/images?cursor=nonsense", alices).status_code == 422


def test_cursor_paging_walks_every_image_once(client, alice, alices):
    for day in range(3):
        finished_job(alice, n=2, created_at=timezone.now() - timedelta(days=day))
    seen, cursor, pages = [], "", 0
    while True:
        page = call(client, "get", f"/api/v1/images?limit=4&cursor={cursor}", alices).json()
        seen += [i["id"] for i in page["images"]]
        pages += 1
        if not page["next"]:
            break
        cursor = page["next"]
    assert pages == 2 and len(seen) == len(set(seen)) == 6


def test_one_image_and_its_file(client, alices, lighthouse_job):
    image = lighthouse_job.outputs.get(index=1)
    answer = call(client, "get", f"/api/v1/images/{image.pk}", alices)
    assert answer.status_code == 200 and answer.json()["index"] == 1 and answer.json()["job_id"] == lighthouse_job.pk
    file = call(client, "get", f"/api/v1/images/{image.pk}/file", alices)
    assert file.status_code == 200
    assert file["Content-Type"] == "image/png"
    assert file["Content-Disposition"] == f'attachment; filename="wan-{lighthouse_job.pk}-2.png"'
    assert b"".join(file.streaming_content) == image.file.open("rb").read()


def test_another_teams_image_is_404_everywhere(client, mallory, lighthouse_job):
    malloryss = secret_for(mallory)
    image = lighthouse_job.outputs.first()
    for method, path, body in (
        ("get", f"/api/v1/images/{image.pk}", None),
        ("get", f"/api/v1/images/{image.pk}/file", None),
        ("get", f"/api/v1/images/{image.pk}/comments", None),
        ("post", f"/api/v1/images/{image.pk}/review", {"state": "rejected"}),
        ("post", f"/api/v1/images/{image.pk}/comments", {"text": "mine now"}),
        ("post", f"/api/v1/images/{image.pk}/star", None),
        ("delete", f"/api/v1/images/{image.pk}/star", None),
    ):
        answer = call(client, method, path, malloryss, json=body)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"]["code"] == "not_found"
    assert call(client, "get", "/api/v1/images", malloryss).json()["images"] == []
    assert not Comment.objects.exists() and not Star.objects.exists() and not ImageReview.objects.exists()


def test_a_token_sees_only_its_own_team(client, alice, lighthouse_job, django_user_model):
    from studio.accounts.teams import team_create

    other = team_create(name="Side project", admin=alice)
    side = secret_for(alice, other)
    image = lighthouse_job.outputs.first()
    assert call(client, "get", f"/api/v1/images/{image.pk}", side).status_code == 404
    assert call(client, "get", "/api/v1/images", side).json()["images"] == []


def test_reviewers_set_review_states_and_members_are_refused_with_the_reason(client, bob, rita, lighthouse_job):
    image = lighthouse_job.outputs.first()
    refused = call(client, "post", f"/api/v1/images/{image.pk}/review", secret_for(bob), json={"state": "approved"})
    assert refused.status_code == 403
    assert "reviewers and admins" in refused.json()["error"]["message"]
    ritas = secret_for(rita)
    done = call(client, "post", f"/api/v1/images/{image.pk}/review", ritas, json={"state": "approved", "note": "Lovely"})
    assert done.status_code == 200 and done.json()["review_state"] == "approved"
    assert ImageReview.objects.get(image=image).state == "approved"
    assert call(client, "get", "/api/v1/images?state=approved", ritas).json()["images"][0]["id"] == image.pk


def test_an_unknown_review_state_is_422_on_body_state(client, alice, alices, lighthouse_job):
    image = lighthouse_job.outputs.first()
    answer = call(client, "post", f"/api/v1/images/{image.pk}/review", alices, json={"state": "lovely"})
    assert answer.status_code == 422
    problem = answer.json()["error"]["problems"][0]
    assert problem["path"] == "body.state" and "approved" in problem["message"]
    wrong_type = call(client, "post", f"/api/v1/images/{image.pk}/review", alices, json={"state": 3})
    assert wrong_type.json()["error"]["problems"][0]["path"] == "body.state"


def test_comments_with_boxes_are_added_and_listed(client, bob, lighthouse_job):
    bobs = secret_for(bob)
    image = lighthouse_job.outputs.first()
    added = call(client, "post", f"/api/v1/images/{image.pk}/comments", bobs, json={"text": "Sky too dark", "boxes": [[0, 0, 48, 32]]})
    assert added.status_code == 201
    assert added.json()["boxes"] == [[0, 0, 48, 32]] and added.json()["author"] == "bob"
    listed = call(client, "get", f"/api/v1/images/{image.pk}/comments", bobs).json()["comments"]
    assert [c["text"] for c in listed] == ["Sky too dark"]
    assert call(client, "get", f"/api/v1/images/{image.pk}", bobs).json()["comment_count"] == 1


def test_bad_comments_name_the_field_and_limit(client, alices, lighthouse_job):
    image = lighthouse_job.outputs.first()
    url = f"/api/v1/images/{image.pk}/comments"
    empty = call(client, "post", url, alices, json={"text": "   "})
    assert empty.status_code == 422 and empty.json()["error"]["problems"][0]["path"] == "body.text"
    outside = call(client, "post", url, alices, json={"text": "x", "boxes": [[0, 0, 40, 30], [10, 10, 500, 60]]})
    assert outside.json()["error"]["problems"][0]["path"] == "body.boxes[1]"
    assert "96 × 64" in outside.json()["error"]["problems"][0]["message"]
    three = call(client, "post", url, alices, json={"text": "x", "boxes": [[0, 0, 20, 20]] * 3})
    assert three.status_code == 422 and three.json()["error"]["problems"][0]["path"] == "body.boxes"
    short = call(client, "post", url, alices, json={"text": "x", "boxes": [[0, 0, 20]]})
    assert short.json()["error"]["problems"][0]["path"] == "body.boxes[0]"
    assert not Comment.objects.exists()


def test_star_and_unstar_are_idempotent(client, alice, alices, lighthouse_job):
    image = lighthouse_job.outputs.first()
    url = f"/api/v1/images/{image.pk}/star"
    assert call(client, "post", url, alices).json()["starred"] is True
    assert call(client, "post", url, alices).json()["starred"] is True
    assert Star.objects.filter(image=image, user=alice).count() == 1
    assert call(client, "get", f"/api/v1/images/{image.pk}", alices).json()["starred"] is True
    assert call(client, "delete", url, alices).json()["starred"] is False
    assert call(client, "delete", url, alices).json()["starred"] is False
    assert not Star.objects.exists()


def test_a_huge_or_non_ascii_id_is_422_not_500(client, alices):
    assert call(client, "get", "/api/v1/images/99999999999999999999999", alices).status_code == 422
    assert call(client, "get", "/api/v1/images/١٢", alices).status_code == 422


def test_a_missing_file_is_a_json_404(client, alices, lighthouse_job):
    image = lighthouse_job.outputs.first()
    image.file.storage.delete(image.file.name)
    answer = call(client, "get", f"/api/v1/images/{image.pk}/file", alices)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "file_missing"


def test_session_writes_need_csrf(alice, lighthouse_job):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    image = lighthouse_job.outputs.first()
    assert browser.get(f"/api/v1/images/{image.pk}").status_code == 200
    assert browser.post(f"/api/v1/images/{image.pk}/star").status_code in (401, 403)
    assert not Star.objects.exists()


def test_board_and_date_filters(client, alice, alices, lighthouse):
    from studio.gallery.models import Board

    old = finished_job(alice, n=1, created_at=timezone.now() - timedelta(days=10))
    new = finished_job(alice, n=1)
    board = Board.objects.create(team=lighthouse, name="Autumn", created_by=alice)
    board.items.create(image=old.outputs.get(), added_by=alice)
    on_board = call(client, "get", f"/api/v1/images?board={board.pk}", alices).json()["images"]
    assert [i["job_id"] for i in on_board] == [old.pk]
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert [i["job_id"] for i in call(client, "get", f"/api/v1/images?from={since}", alices).json()["images"]] == [new.pk]
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert [i["job_id"] for i in call(client, "get", f"/api/v1/images?to={until}", alices).json()["images"]] == [old.pk]
    # Another team's board is not a choice here.
    assert call(client, "get", "/api/v1/images?board=999999", alices).json()["error"]["problems"][0]["path"] == "query.board"
