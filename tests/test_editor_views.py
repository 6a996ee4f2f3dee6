"""The editor's server side: the authority on every limit, and nothing a person made is lost.

Driven through Django's test client with the htmx header, as the page's requests are.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.editor.models import Draft
from studio.pipeline.models import Job, JobStatus
from studio.pipeline.jobs import request_for_job

HTMX = {"HTTP_HX_REQUEST": "true"}


def png(width=400, height=300, colour="#2a6f97", name="photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def editor(alice_client, media):
    return alice_client


def upload(client, *files):
    return client.post("/create/references", {"references": list(files)}, **HTMX)


def draft_of(user) -> Draft:
    return Draft.objects.get(owner=user)


def box_fields(ref_id: int, slot: int, box) -> dict[str, str]:
    return {f"ref-{ref_id}-box-{slot}-{name}": str(v) for name, v in zip(("x1", "y1", "x2", "y2"), box, strict=True)}


def form(draft: Draft, **fields) -> dict[str, str]:
    """What the page posts: every field, as the person left it."""
    data = {"prompt": "A fox in image 1", "model": "wan2.7-image", "parameters": "1", "size_preset": "1K", "n": "1", "seed": "", "palette_shown": "1"}
    for ref in draft.references.all():
        for slot in range(2):
            data.update(box_fields(ref.pk, slot, ["", "", "", ""]))
    data.update(fields)
    return data


def palette_fields(*rows) -> dict[str, str]:
    data = {"palette_enabled": "on"}
    for i, (hex_value, percent) in enumerate(rows):
        data[f"palette-{i}-hex"] = hex_value
        data[f"palette-{i}-percent"] = percent
    return data


def test_the_editor_is_behind_login(client):
    response = client.get("/create/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_editor_labels_its_controls(editor):
    page = editor.get("/create/").content.decode()
    assert '<label for="prompt" class="field-label">Prompt</label>' in page
    assert '<label for="reference-files" class="field-label">Reference images</label>' in page
    assert ">Generate</button>" in page


def test_an_upload_becomes_image_1_with_its_pixel_size(editor, alice):
    response = upload(editor, png(640, 480))
    assert response.status_code == 200
    assert "Image 1" in response.content.decode() and "640 × 480 px" in response.content.decode()
    ref = draft_of(alice).references.get()
    assert (ref.width, ref.height, ref.mime) == (640, 480, "image/png")


def test_a_refused_upload_names_the_file_and_the_limit_and_keeps_the_others(editor, alice):
    response = upload(editor, png(100, 100, name="tiny.png"), png(500, 500, name="fine.png"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "tiny.png" in page and "240" in page and "8000" in page
    assert [r.original_name for r in draft_of(alice).references.all()] == ["fine.png"]


def test_an_upload_that_is_not_an_image_is_refused_with_422(editor, alice):
    response = upload(editor, SimpleUploadedFile("notes.png", b"hello", content_type="image/png"))
    assert response.status_code == 422
    assert "notes.png" in response.content.decode()
    assert not draft_of(alice).references.exists()


def test_a_tenth_image_is_refused(editor, alice):
    upload(editor, *[png(300, 300, name=f"{i}.png") for i in range(9)])
    response = upload(editor, png(300, 300, name="tenth.png"))
    assert response.status_code == 422
    assert "9" in response.content.decode() and "tenth.png" in response.content.decode()
    assert draft_of(alice).references.count() == 9


def test_a_failed_submit_keeps_uploads_boxes_and_palette(editor, alice):
    upload(editor, png(400, 300))
    draft = draft_of(alice)
    ref = draft.references.get()
    data = form(draft, prompt="", **box_fields(ref.pk, 0, [10, 20, 200, 150]),
                **palette_fields(("#112233", "50.00"), ("#445566", "30.00"), ("#778899", "20.00")))
    response = editor.post("/create/generate", data, **HTMX)

    assert response.status_code == 422
    assert "Prompt" in response.content.decode()
    assert not Job.objects.exists()
    page = editor.get("/create/").content.decode()
    assert f'name="ref-{ref.pk}-box-0-x1" min="0"' in page and 'value="10"' in page and 'value="200"' in page
    assert 'value="#445566"' in page and 'value="30.00"' in page
    assert "Image 1" in page


def test_the_palette_must_total_exactly_100_percent(editor, alice):
    draft = Draft.current_for(alice)
    short = palette_fields(("#112233", "33.33"), ("#445566", "33.33"), ("#778899", "33.33"))
    response = editor.post("/create/generate", form(draft, **short), **HTMX)
    assert response.status_code == 422
    assert "99.99%" in response.content.decode() and "100.00%" in response.content.decode()

    exact = palette_fields(("#112233", "33.34"), ("#445566", "33.33"), ("#778899", "33.33"))
    response = editor.post("/create/generate", form(draft, **exact), **HTMX)
    assert response.status_code == 200, response.content.decode()
    job = Job.objects.get()
    assert [c["hundredths"] for c in job.parameters["color_palette"]] == [3334, 3333, 3333]


@pytest.mark.parametrize(
    ("fields", "label", "words"),
    [
        ({"n": "5"}, "Number of images", "1–4"),
        ({"n": "two"}, "Number of images", "not a whole number"),
        ({"seed": "-3"}, "Seed", "not a whole number"),
        ({"seed": "2147483648"}, "Seed", "0–2147483647"),
        ({"size_preset": "custom", "width": "100", "height": "100"}, "Size", "768"),
        ({"size_preset": "custom", "width": "", "height": "900"}, "Width", "required"),
    ],
)
def test_each_refused_parameter_names_its_field_and_limit(editor, alice, fields, label, words):
    response = editor.post("/create/generate", form(Draft.current_for(alice), **fields), **HTMX)
    page = response.content.decode()
    assert response.status_code == 422
    assert f"<strong>{label}</strong>" in page and words in page


def test_4k_is_refused_once_a_reference_image_is_added(editor, alice):
    upload(editor, png(400, 300))
    draft = draft_of(alice)
    response = editor.post("/create/generate", form(draft, model="wan2.7-image-pro", size_preset="4K"), **HTMX)
    assert response.status_code == 422
    assert "<strong>Size</strong>" in response.content.decode() and "4K" in response.content.decode()


def test_a_box_outside_its_image_is_refused_and_kept(editor, alice):
    upload(editor, png(400, 300))
    draft = draft_of(alice)
    ref = draft.references.get()
    response = editor.post("/create/generate", form(draft, **box_fields(ref.pk, 0, [10, 20, 500, 150])), **HTMX)
    assert response.status_code == 422
    assert "<strong>Image 1, box 1</strong>" in response.content.decode()
    assert draft_of(alice).references.get().boxes[0] == ["10", "20", "500", "150"]


def test_a_half_filled_box_says_which_fields_are_missing(editor, alice):
    upload(editor, png(400, 300))
    draft = draft_of(alice)
    ref = draft.references.get()
    response = editor.post("/create/generate", form(draft, **box_fields(ref.pk, 1, [10, 20, "", ""])), **HTMX)
    assert response.status_code == 422
    assert "<strong>Image 1, box 2</strong>" in response.content.decode() and "x2, y2 missing" in response.content.decode()


def test_a_submit_queues_a_job_with_references_boxes_and_palette_in_order(editor, alice, django_capture_on_commit_callbacks):
    upload(editor, png(400, 300, "#ff0000", name="red.png"), png(300, 400, "#00ff00", name="green.png"))
    draft = draft_of(alice)
    red, green = draft.ordered_references()
    data = form(
        draft,
        prompt="Put image 1 into the box of image 2",
        **box_fields(green.pk, 0, [10, 20, 200, 300]),
        **box_fields(green.pk, 1, [0, 0, 50, 60]),
        **palette_fields(("#112233", "60.00"), ("#445566", "25.00"), ("#778899", "15.00")),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor.post("/create/generate", data, **HTMX)

    assert response.status_code == 200
    assert len(callbacks) == 1, "the job's doorbell is rung once, on commit"
    job = Job.objects.get()
    assert 'hx-swap-oob="afterbegin:#jobs"' in response.content.decode() and f"Job {job.pk}" in response.content.decode()
    request = request_for_job(job)
    assert [(i.width, i.height) for i in request.images] == [(400, 300), (300, 400)]
    assert request.boxes == ((), ((10, 20, 200, 300), (0, 0, 50, 60)))
    assert [c.ratio for c in request.color_palette] == ["60.00%", "25.00%", "15.00%"]
    assert isinstance(job.parameters["seed"], int), "an empty seed is chosen by the studio and kept"
    assert draft_of(alice).references.count() == 2, "the draft stays for the next variation"


def test_references_are_reordered_by_the_keyboard_buttons(editor, alice):
    upload(editor, png(400, 300, name="first.png"), png(400, 300, name="second.png"))
    first, second = draft_of(alice).ordered_references()
    editor.post(f"/create/references/{first.pk}/move", {"direction": "later"}, **HTMX)
    assert [r.original_name for r in draft_of(alice).ordered_references()] == ["second.png", "first.png"]
    editor.post("/create/references/order", {"order": f"{first.pk},{second.pk}"}, **HTMX)
    assert [r.original_name for r in draft_of(alice).ordered_references()] == ["first.png", "second.png"]


def test_palette_actions_keep_the_total_exact(editor, alice):
    draft = Draft.current_for(alice)
    rows = palette_fields(("#112233", "10"), ("#445566", "10"), ("#778899", "13"))
    response = editor.post("/create/palette/normalize", form(draft, **rows), **HTMX)
    assert response.status_code == 200
    percents = [row["percent"] for row in draft_of(alice).palette]
    assert sum(int(p.replace(".", "")) for p in percents) == 10000
    editor.post("/create/palette/even", form(draft, **rows), **HTMX)
    assert [row["percent"] for row in draft_of(alice).palette] == ["33.34", "33.33", "33.33"]


def test_a_palette_is_extracted_from_a_reference(editor, alice):
    out = io.BytesIO()
    image = Image.new("RGB", (400, 300), "#FF0000")
    image.paste(Image.new("RGB", (400, 60), "#00FF00"), (0, 140))
    image.paste(Image.new("RGB", (400, 100), "#0000FF"), (0, 200))
    image.save(out, "PNG")
    upload(editor, SimpleUploadedFile("flag.png", out.getvalue(), content_type="image/png"))
    draft = draft_of(alice)
    response = editor.post("/create/palette/extract", form(draft, extract_image="0", **palette_fields()), **HTMX)
    assert response.status_code == 200
    palette = draft_of(alice).palette
    assert sum(int(row["percent"].replace(".", "")) for row in palette) == 10000
    assert {row["hex"] for row in palette[:3]} == {"#FF0000", "#00FF00", "#0000FF"}, palette


def test_extracting_from_a_two_colour_image_says_a_colour_is_missing(editor, alice):
    out = io.BytesIO()
    image = Image.new("RGB", (400, 300), "#FF0000")
    image.paste(Image.new("RGB", (400, 100), "#0000FF"), (0, 200))
    image.save(out, "PNG")
    upload(editor, SimpleUploadedFile("flag.png", out.getvalue(), content_type="image/png"))
    response = editor.post("/create/palette/extract", form(draft_of(alice), extract_image="0", **palette_fields()), **HTMX)
    assert response.status_code == 422
    assert "Image 1 has only 2 distinct colours" in response.content.decode()
    assert len(draft_of(alice).palette) == 2, "what was found is kept to build on"


def test_a_colour_palette_is_refused_for_image_sets(editor, alice):
    draft = Draft.current_for(alice)
    data = form(draft, sequential="on", n="3", **palette_fields(("#112233", "33.34"), ("#445566", "33.33"), ("#778899", "33.33")))
    editor.post("/create/save", data, **HTMX)
    page = editor.get("/create/").content.decode()
    assert "Not available for image sets" in page


def test_another_team_cannot_see_a_draft_image_or_a_job(editor, alice, mallory, client, django_capture_on_commit_callbacks):
    upload(editor, png(400, 300))
    ref = draft_of(alice).references.get()
    with django_capture_on_commit_callbacks(execute=False):
        editor.post("/create/generate", form(draft_of(alice)), **HTMX)
    job = Job.objects.get()
    editor.logout()
    client.force_login(mallory)
    assert client.get(f"/create/references/{ref.pk}/image").status_code == 404
    assert client.get(f"/jobs/{job.pk}/card").status_code == 404
    assert client.post(f"/jobs/{job.pk}/cancel").status_code == 404


def test_a_queued_job_is_canceled_from_its_card(editor, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        editor.post("/create/generate", form(Draft.current_for(alice)), **HTMX)
    job = Job.objects.get()
    response = editor.post(f"/jobs/{job.pk}/cancel", **HTMX)
    assert response.status_code == 200 and "Canceled" in response.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELED


def test_the_cost_line_shows_n_times_the_unit_price(editor, alice, settings):
    settings.WAN_UNIT_PRICES = {"wan2.7-image": {"singapore": "0.05"}}
    response = editor.post("/create/save", form(Draft.current_for(alice), n="3"), **HTMX)
    assert "at most 3 × 0.05 USD = <strong>0.15 USD</strong>" in response.content.decode()
