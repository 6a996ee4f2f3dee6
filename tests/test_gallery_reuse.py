"""From the gallery back to the editor: "Reuse settings" and "Use as reference".

Reuse must give the editor exactly the request the job sent — references (bytes, order, boxes),
palette, size, count, flags and the seed — so the jobs here are made through the editor itself,
and the test composes the new draft as the editor's Generate button would.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.editor.compose import compose
from studio.editor.models import Draft, DraftReference
from studio.pipeline.jobs import request_for_job
from studio.pipeline.models import Job, JobStatus
from tests.gallery_helpers import finished_job
from tests.images import png_bytes



def png(width: int, height: int, colour: str, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(width, height, colour), content_type="image/png")


def editor_job(client, user, *, uploads=(), boxes=None, **fields) -> Job:
    """A job made the way a person makes one: uploads, form fields, Generate; then marked done."""
    if uploads:
        assert client.post("/create/references", {"references": list(uploads)}).status_code == 200
    draft = Draft.current_for(user)
    data = {"model": "wan2.7-image", "prompt": "A fox", "parameters": "1", "size_preset": "1K", "n": "1", "seed": "", "palette_shown": "1"}
    for ref, ref_boxes in zip(draft.ordered_references(), boxes or [], strict=False):
        for slot, box in enumerate(ref_boxes):
            data.update({f"ref-{ref.pk}-box-{slot}-{k}": str(v) for k, v in zip(("x1", "y1", "x2", "y2"), box, strict=True)})
    data.update(fields)
    before = set(Job.objects.values_list("pk", flat=True))
    response = client.post("/create/generate", data)
    assert response.status_code == 302, [str(m) for m in get_messages(response.wsgi_request)]
    job = Job.objects.exclude(pk__in=before).get()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    job.refresh_from_db()
    return job


def reuse(client, job: Job):
    return client.post(f"/gallery/jobs/{job.pk}/reuse")


def palette(*rows) -> dict[str, str]:
    data = {"palette_enabled": "on"}
    for i, (hex_value, percent) in enumerate(rows):
        data[f"palette-{i}-hex"], data[f"palette-{i}-percent"] = hex_value, percent
    return data


# --- reuse settings --------------------------------------------------------------------------


CASES = {
    "text to image, custom size, palette, flags, studio-picked seed": dict(
        prompt="A lighthouse in fog, muted",
        size_preset="custom",
        width="1280",
        height="720",
        n="3",
        watermark="on",
        **palette(("#112233", "33.34"), ("#445566", "33.33"), ("#778899", "33.33")),
    ),
    "thinking mode on, preset size, own seed": dict(prompt="A quiet harbour", size_preset="2K", n="2", thinking_mode="on", seed="42"),
    "an image set": dict(prompt="Four seasons of one tree", sequential="on", n="4", size_preset="1K", seed="7"),
    "wan2.6 interleave with a negative prompt": dict(
        model="wan2.6-image", prompt="A latte art guide", interleave="on", max_images="2", flag=["interleave", "watermark"],
        size_preset="custom", width="1024", height="1024", negative_prompt="blurry", seed="3",
    ),
    "qwen fixed size without prompt rewriting": dict(
        model="qwen-image-plus", prompt="A poster", size_preset="928*1664", n="2", flag=["prompt_extend"], seed="11",
    ),
    "z-image-turbo": dict(model="z-image-turbo", prompt="A neon street", size_preset="custom", width="1280", height="720", seed="5"),
}


@pytest.mark.parametrize("fields", CASES.values(), ids=CASES.keys())
def test_reuse_gives_the_editor_exactly_the_jobs_request(alice_client, alice, media, fields):
    job = editor_job(alice_client, alice, **fields)

    response = reuse(alice_client, job)

    assert response.status_code == 302 and response["Location"] == "/create/"
    draft = Draft.current_for(alice)
    composed = compose(draft)
    assert composed.ok, composed.errors
    assert composed.request == request_for_job(job)


def test_reuse_brings_back_references_in_order_with_their_boxes(alice_client, alice, media):
    job = editor_job(
        alice_client,
        alice,
        uploads=[png(400, 300, "#ff0000", "red.png"), png(300, 400, "#00ff00", "green.png"), png(320, 320, "#0000ff", "blue.png")],
        boxes=[[], [(10, 20, 200, 300), (0, 0, 50, 60)], [(5, 5, 100, 100)]],
        prompt="Put image 1 into the boxes of image 2, lit like image 3",
        size_preset="2K",
        n="2",
        seed="2024",
    )

    reuse(alice_client, job)

    draft = Draft.current_for(alice)
    request = compose(draft).request
    assert request == request_for_job(job)
    assert request.seed == 2024, "the same seed: a rerun reproduces the image"
    assert [(r.width, r.height) for r in draft.ordered_references()] == [(400, 300), (300, 400), (320, 320)]
    assert draft.ordered_references()[1].boxes == [["10", "20", "200", "300"], ["0", "0", "50", "60"]]


def test_reuse_makes_a_new_current_draft_and_leaves_the_old_one_alone(alice_client, alice, media):
    job = editor_job(alice_client, alice, uploads=[png(400, 300, "#ff0000", "red.png")], prompt="First idea")
    old = Draft.current_for(alice)
    old_state = (old.prompt, old.fields, [r.file.name for r in old.ordered_references()])

    reuse(alice_client, job)

    new = Draft.current_for(alice)
    assert new.pk != old.pk
    old.refresh_from_db()
    assert (old.prompt, old.fields, [r.file.name for r in old.ordered_references()]) == old_state
    page = alice_client.get("/create/").content.decode()
    assert "First idea" in page and f"settings and references of job {job.pk}" in page


def test_the_new_drafts_references_are_copies_the_editor_may_delete(alice_client, alice, media):
    job = editor_job(alice_client, alice, uploads=[png(400, 300, "#ff0000", "red.png")])
    reuse(alice_client, job)
    copy = Draft.current_for(alice).ordered_references()[0]
    original = job.references.get()
    assert copy.file.name != original.file.name

    alice_client.post(f"/create/references/{copy.pk}/remove", {})

    assert not DraftReference.objects.filter(pk=copy.pk).exists()
    assert original.file.storage.exists(original.file.name), "the job's own reference is untouched"
    assert request_for_job(job).images[0].width == 400


def test_a_teammate_can_reuse_a_job_into_their_own_draft(client, alice, bob, media):
    job = finished_job(alice, prompt="Alice's lighthouse", n=1, seed=5, thinking_mode=True, watermark=False)
    client.force_login(bob)

    assert reuse(client, job).status_code == 302

    draft = Draft.current_for(bob)
    assert draft.owner == bob and draft.prompt == "Alice's lighthouse"
    assert compose(draft).request == request_for_job(job)
    assert not Draft.objects.filter(owner=alice).exists()


def test_another_team_gets_404_for_reuse(client, mallory, alice, media):
    job = finished_job(alice, n=1)
    client.force_login(mallory)
    assert reuse(client, job).status_code == 404
    assert not Draft.objects.filter(owner=mallory).exists()


def test_reuse_is_post_only(alice_client, alice, media):
    job = finished_job(alice, n=1)
    assert alice_client.get(f"/gallery/jobs/{job.pk}/reuse").status_code == 405


# --- use as reference ------------------------------------------------------------------------


def use(client, output, **data):
    return client.post(f"/gallery/images/{output.pk}/use-as-reference", data)


def test_an_image_becomes_the_last_reference_of_the_current_draft(alice_client, alice, media):
    alice_client.post("/create/references", {"references": [png(400, 300, "#ff0000", "red.png")]})
    draft = Draft.current_for(alice)
    job = finished_job(alice, n=2, image_size=(512, 384))
    second = job.outputs.get(index=1)

    response = use(alice_client, second)

    assert response.status_code == 302 and response["Location"] == "/create/"
    assert Draft.current_for(alice).pk == draft.pk
    refs = draft.ordered_references()
    assert [(r.width, r.height) for r in refs] == [(400, 300), (512, 384)]
    assert refs[1].original_name == f"wan-{job.pk}-2.png"
    with refs[1].file.open("rb") as handle, Image.open(handle) as image:
        assert image.getpixel((10, 10)) == Image.open(second.file.open("rb")).convert("RGB").getpixel((10, 10))


def test_an_image_can_start_a_new_draft(alice_client, alice, media):
    alice_client.post("/create/references", {"references": [png(400, 300, "#ff0000", "red.png")]})
    old = Draft.current_for(alice)
    output = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()

    use(alice_client, output, draft="new")

    new = Draft.current_for(alice)
    assert new.pk != old.pk
    assert [(r.width, r.height) for r in new.ordered_references()] == [(512, 384)]
    assert old.references.count() == 1


def test_a_full_draft_refuses_the_image_with_a_message_naming_the_limit(alice_client, alice, media):
    alice_client.post("/create/references", {"references": [png(300, 300, "#101010", f"{i}.png") for i in range(9)]})
    draft = Draft.current_for(alice)
    assert draft.references.count() == 9
    output = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()

    response = use(alice_client, output)

    assert response.status_code == 302 and response["Location"] == f"/gallery/images/{output.pk}/"
    assert draft.references.count() == 9
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "at most 9 reference images" in message


def test_an_image_too_small_to_be_a_reference_is_refused_with_the_limit(alice_client, alice, media):
    output = finished_job(alice, n=1, image_size=(200, 120)).outputs.get()

    response = use(alice_client, output, draft="new")

    assert response["Location"] == f"/gallery/images/{output.pk}/"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "240" in message, message
    assert not DraftReference.objects.exists() and Draft.objects.filter(owner=alice).count() <= 1


def test_another_team_gets_404_for_use_as_reference(client, mallory, alice, media):
    output = finished_job(alice, n=1, image_size=(512, 384)).outputs.get()
    client.force_login(mallory)
    assert use(client, output).status_code == 404
    assert not DraftReference.objects.exists()
