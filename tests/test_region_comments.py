"""Region comments: a comment with boxes on the image, "Edit from this comment", resolving.

Alice (admin) made the image; Rita reviews it; Bob is a member; Mallory is in another team.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from studio.editor.models import Draft
from studio.gallery.models import Comment
from studio.gallery.region_comments import BOX_MIN_SIDE, MAX_COMMENT_BOXES, RegionInvalid, parse_boxes
from studio.pipeline.models import Job, JobStatus
from tests.gallery_helpers import finished_job

HTMX = {"HTTP_HX_REQUEST": "true"}
SIZE = (640, 480)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def box_form(*boxes, text: str = "The logo smaller, here") -> dict[str, str]:
    data = {"text": text}
    for slot in range(MAX_COMMENT_BOXES):
        values = boxes[slot] if slot < len(boxes) else ["", "", "", ""]
        data.update({f"box-{slot}-{n}": str(v) for n, v in zip(("x1", "y1", "x2", "y2"), values, strict=True)})
    return data


@pytest.fixture
def image(alice, media):
    job = finished_job(alice, n=2, image_size=SIZE, model="wan2.7-image", size="2K", seed=1234, watermark=True)
    return job.outputs.get(index=0)


@pytest.fixture
def comment(rita, image):
    return Comment.objects.create(image=image, author=rita, text="The logo smaller, here", boxes=[[40, 30, 200, 150]])


# --- box validation ---------------------------------------------------------------------------


def test_two_boxes_inside_the_image_are_kept_in_order():
    boxes = parse_boxes(box_form([0, 0, 100, 80], [300, 200, 640, 480]), width=640, height=480)
    assert boxes == [[0, 0, 100, 80], [300, 200, 640, 480]]


def test_empty_slots_are_no_boxes():
    assert parse_boxes(box_form(), width=640, height=480) == []


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ([10, 10, 700, 100], "inside the image (640 × 480 px)"),
        ([10, 10, 100, 481], "inside the image"),
        ([100, 10, 50, 100], "x1 must be less than x2"),
        ([10, 10, 10 + BOX_MIN_SIDE - 1, 100], f"at least {BOX_MIN_SIDE} px"),
        (["a", 10, 100, 100], "whole numbers"),
        ([-5, 10, 100, 100], "whole numbers"),
        ([10, 10, "", 100], "whole numbers"),
    ],
)
def test_a_bad_box_is_refused_naming_the_box_and_the_rule(box, message):
    with pytest.raises(RegionInvalid, match="box 1") as refused:
        parse_boxes(box_form(box), width=640, height=480)
    assert message in str(refused.value)


def test_third_box_is_refused():
    data = box_form([0, 0, 50, 50], [60, 60, 120, 120])
    data.update({"box-2-x1": "200", "box-2-y1": "200", "box-2-x2": "260", "box-2-y2": "260"})
    with pytest.raises(RegionInvalid, match=f"at most {MAX_COMMENT_BOXES}"):
        parse_boxes(data, width=640, height=480)


def test_a_reviewer_posts_a_comment_with_a_box_and_the_page_draws_it(rita, image):
    response = client_for(rita).post(f"/gallery/images/{image.pk}/comments", box_form([40, 30, 200, 150]), **HTMX)
    assert response.status_code == 200
    assert Comment.objects.get().boxes == [[40, 30, 200, 150]]
    page = response.content.decode()
    assert 'data-boxes="40,30,200,150"' in page and "Box 1: x 40, y 30, 160 × 120 px" in page


def test_a_comment_with_a_box_outside_the_image_is_refused_with_422_and_kept_text(rita, image):
    response = client_for(rita).post(f"/gallery/images/{image.pk}/comments", box_form([600, 30, 700, 150]), **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "inside the image (640 × 480 px)" in page and "The logo smaller, here</textarea>" in page
    assert 'name="box-0-x2" min="0"' in page and 'value="700"' in page  # the box is shown back to be corrected
    assert not Comment.objects.exists()


# --- Edit from this comment -------------------------------------------------------------------


def test_edit_from_a_comment_makes_a_new_draft_from_the_image_the_boxes_and_the_text(alice, image, comment):
    before = Draft.current_for(alice)
    before.prompt = "What Alice was writing"
    before.save()

    response = client_for(alice).post(f"/gallery/images/{image.pk}/comments/{comment.pk}/edit")

    assert response.status_code == 302 and response["Location"] == "/create/"
    draft = Draft.current_for(alice)
    assert draft.pk != before.pk and draft.previous_id == before.pk
    assert draft.from_comment_id == comment.pk
    assert draft.prompt == "The logo smaller, here"
    ref = draft.references.get()
    assert (ref.position, ref.width, ref.height) == (0, *SIZE)
    assert [[int(v) for v in box] for box in ref.boxes] == comment.boxes
    # The original job's model and settings, where they apply.
    assert draft.model == "wan2.7-image"
    assert draft.fields["size_preset"] == "2K" and draft.fields["seed"] == "1234" and draft.fields["watermark"] is True
    before.refresh_from_db()
    assert before.prompt == "What Alice was writing"


def test_an_edit_from_a_text_to_image_only_model_opens_with_the_default_edit_model(alice, media, rita):
    job = finished_job(alice, n=1, image_size=SIZE, model="qwen-image-plus", size="1328*1328")
    comment = Comment.objects.create(image=job.outputs.get(), author=rita, text="Warmer", boxes=[[0, 0, 64, 64]])
    client_for(alice).post(f"/gallery/images/{comment.image_id}/comments/{comment.pk}/edit")
    draft = Draft.current_for(alice)
    assert draft.model == "wan2.7-image-pro" and draft.prompt == "Warmer"


def test_a_teammate_may_edit_from_a_comment_into_their_own_draft(bob, image, comment):
    response = client_for(bob).post(f"/gallery/images/{image.pk}/comments/{comment.pk}/edit")
    assert response.status_code == 302
    assert Draft.current_for(bob).from_comment_id == comment.pk


def test_edit_from_a_comment_is_post_only(alice, image, comment):
    assert client_for(alice).get(f"/gallery/images/{image.pk}/comments/{comment.pk}/edit").status_code == 405


def test_a_comment_of_another_image_is_404(alice, image, comment):
    other = image.job.outputs.get(index=1)
    assert client_for(alice).post(f"/gallery/images/{other.pk}/comments/{comment.pk}/edit").status_code == 404


def test_generating_from_that_draft_links_the_job_to_the_comment(alice, image, comment, django_capture_on_commit_callbacks):
    alices = client_for(alice)
    alices.post(f"/gallery/images/{image.pk}/comments/{comment.pk}/edit")
    draft = Draft.current_for(alice)
    ref = draft.references.get()
    data = {"prompt": draft.prompt, "model": draft.model, "parameters": "1", "size_preset": "2K", "n": "1", "seed": ""}
    data.update({f"ref-{ref.pk}-box-0-{n}": str(v) for n, v in zip(("x1", "y1", "x2", "y2"), comment.boxes[0], strict=True)})
    with django_capture_on_commit_callbacks(execute=False):
        response = alices.post("/create/generate", data, **HTMX)
    assert response.status_code == 200, response.content.decode()
    job = Job.objects.latest("pk")
    assert list(comment.edit_jobs.all()) == [job]
    assert job.references.get(position=0).boxes == comment.boxes


def test_a_plain_generate_links_nothing(alice, image, comment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        client_for(alice).post("/create/generate", {"prompt": "A fox", "model": "wan2.7-image", "parameters": "1", "n": "1"}, **HTMX)
    assert Job.objects.count() == 2 and not comment.edit_jobs.exists()


# --- resolving --------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "allowed"), [("rita", True), ("alice", True), ("bob", False)])
def test_resolve_is_for_the_comments_author_the_images_author_or_an_admin(request, image, comment, who, allowed):
    response = client_for(request.getfixturevalue(who)).post(
        f"/gallery/images/{image.pk}/comments/{comment.pk}/resolve", {"resolved": "1"}, **HTMX
    )
    comment.refresh_from_db()
    assert response.status_code == (200 if allowed else 403)
    assert (comment.resolved_at is not None) is allowed


def test_an_admin_who_is_neither_author_resolves_and_the_page_says_so(alice, bob, rita, media):
    job = finished_job(bob, n=1, image_size=SIZE)
    comment = Comment.objects.create(image=job.outputs.get(), author=rita, text="Crop it")
    response = client_for(alice).post(f"/gallery/images/{comment.image_id}/comments/{comment.pk}/resolve", {"resolved": "1"}, **HTMX)
    assert response.status_code == 200 and "Resolved by alice" in response.content.decode()
    response = client_for(alice).post(f"/gallery/images/{comment.image_id}/comments/{comment.pk}/resolve", {"resolved": "0"}, **HTMX)
    comment.refresh_from_db()
    assert comment.resolved_at is None and "Mark resolved" in response.content.decode()


def test_the_first_image_of_a_succeeded_edit_job_resolves_the_comment(alice, image, comment):
    edit = finished_job(alice, n=2, image_size=SIZE, prompt="The logo smaller")
    comment.edit_jobs.add(edit)
    page = client_for(alice).get(f"/gallery/images/{image.pk}/").content.decode()
    first = edit.outputs.get(index=0)
    assert f'Resolved by <a href="/gallery/images/{first.pk}/">image 1 of job {edit.pk}</a>' in page


def test_an_edit_job_still_running_or_in_the_trash_resolves_nothing(alice, image, comment):
    edit = finished_job(alice, n=1, image_size=SIZE)
    comment.edit_jobs.add(edit)
    Job.objects.filter(pk=edit.pk).update(status=JobStatus.RUNNING)
    assert "Resolved by" not in client_for(alice).get(f"/gallery/images/{image.pk}/").content.decode()
    Job.objects.filter(pk=edit.pk).update(status=JobStatus.SUCCEEDED, deleted_at=timezone.now())
    assert "Resolved by" not in client_for(alice).get(f"/gallery/images/{image.pk}/").content.decode()
