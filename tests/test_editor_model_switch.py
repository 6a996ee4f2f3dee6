"""The editor adapts to the chosen model: only its controls, its limits, and a switch that keeps
what still applies and says what is not sent."""

from __future__ import annotations

import io

from PIL import Image

from studio.pipeline.jobs import request_for_job
from studio.pipeline.models import Job
from tests.test_editor_views import (  # noqa: F401
    HTMX,
    box_fields,
    draft_of,
    editor,
    form,
    palette_fields,
    png,
    upload,
)


def mask_png(width: int, height: int, box=(50, 40, 150, 120)) -> io.BytesIO:
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    mask.paste((255, 255, 255, 255), box)
    out = io.BytesIO()
    mask.save(out, "PNG")
    out.seek(0)
    out.name = "mask.png"
    return out


def test_the_editor_shows_only_the_chosen_models_controls(editor, alice):
    editor.post("/create/save", form(draft_of_or_new(editor, alice), model="wan2.6-image"), **HTMX)
    page = editor.get("/create/").content.decode()
    assert 'id="negative_prompt"' in page and 'id="prompt_extend"' in page and 'id="interleave"' in page
    assert 'id="thinking_mode"' not in page and 'id="sequential"' not in page and "<box-editor" not in page
    assert "0 of 4" in page  # wan2.6-image takes four references

    editor.post("/create/save", {"model": "wanx2.1-imageedit", "parameters": "1"}, **HTMX)
    page = editor.get("/create/").content.decode()
    assert 'id="function"' in page and 'id="size_preset"' not in page and "0 of 1" in page


def draft_of_or_new(client, user):
    client.get("/create/")
    return draft_of(user)


def test_a_switch_keeps_the_draft_and_says_what_is_not_sent(editor, alice):
    draft = draft_of_or_new(editor, alice)
    upload(editor, png(800, 600))
    ref = draft.references.get()
    data = form(draft, **box_fields(ref.pk, 0, [10, 10, 200, 200]), **palette_fields(("#112233", "50.00"), ("#445566", "30.00"), ("#778899", "20.00")))
    editor.post("/create/save", data, **HTMX)

    answer = editor.post("/create/save", {**data, "model": "wan2.6-image"}, **HTMX).content.decode()
    assert "Not sent with Wan2.6 Image (kept in the draft if you switch back): boxes on image 1; the colour palette." in answer

    draft.refresh_from_db()
    ref.refresh_from_db()
    assert draft.palette_enabled and len(draft.palette) == 3 and ref.boxes[0] == ["10", "10", "200", "200"]
    assert editor.post("/create/generate", {**data, "model": "wan2.6-image", "size_preset": "1K"}, **HTMX).status_code == 200
    job = Job.objects.get()
    request = request_for_job(job)
    assert (job.model, request.boxes, request.color_palette) == ("wan2.6-image", (), ())

    back = editor.post("/create/save", {**data, "model": "wan2.7-image"}, **HTMX).content.decode()
    assert "Not sent with" not in back


def test_too_many_references_for_the_new_model_are_refused_naming_the_limit(editor, alice):
    draft_of_or_new(editor, alice)
    upload(editor, *[png(400, 400, name=f"p{i}.png") for i in range(5)])
    draft = draft_of(alice)
    answer = editor.post("/create/generate", form(draft, model="wan2.6-image"), **HTMX)
    assert answer.status_code == 422
    assert "<strong>Reference images</strong>: has 5 images; wan2.6-image takes 1–4" in answer.content.decode()
    assert draft.references.count() == 5


def test_text_to_image_models_leave_references_in_the_draft_unsent(editor, alice):
    draft_of_or_new(editor, alice)
    upload(editor, png(400, 400))
    draft = draft_of(alice)
    answer = editor.post("/create/generate", form(draft, model="wan2.6-t2i", size_preset="1280*1280"), **HTMX)
    assert answer.status_code == 200, answer.content.decode()
    assert request_for_job(Job.objects.get()).images == ()
    assert draft.references.count() == 1


def test_mask_editing_needs_a_painted_mask_of_image_1(editor, alice):
    draft_of_or_new(editor, alice)
    upload(editor, png(600, 600))
    draft = draft_of(alice)
    ref = draft.references.get()
    data = form(draft, model="wanx2.1-imageedit", function="description_edit_with_mask", prompt="A red hat")
    refused = editor.post("/create/generate", data, **HTMX)
    assert refused.status_code == 422
    assert "<strong>Mask</strong>: paint the area to change on image 1 (white is edited)" in refused.content.decode()

    wrong = editor.post(f"/create/references/{ref.pk}/mask", {"mask": mask_png(200, 100)})
    assert (wrong.status_code, wrong.content.decode()) == (422, "Mask: must be 600×600 px like image 1, not 200×100")
    assert editor.post(f"/create/references/{ref.pk}/mask", {"mask": mask_png(600, 600)}).status_code == 204
    page = editor.get("/create/").content.decode()
    assert "<mask-brush" in page and f"/create/references/{ref.pk}/mask.png" in page

    assert editor.post("/create/generate", data, **HTMX).status_code == 200
    request = request_for_job(Job.objects.get())
    assert request.function == "description_edit_with_mask" and request.mask is not None
    with Image.open(io.BytesIO(request.mask.data)) as sent:
        # Transparent (unpainted) became black, painted white; exactly the reference's pixels.
        assert sent.size == (600, 600) and sent.convert("L").getbbox() == (50, 40, 150, 120)


def test_another_persons_reference_mask_is_404(editor, alice, bob, client):
    draft_of_or_new(editor, alice)
    upload(editor, png(400, 300))
    ref = draft_of(alice).references.get()
    client.force_login(bob)
    assert client.post(f"/create/references/{ref.pk}/mask", {"mask": mask_png(400, 300)}).status_code == 404
    assert client.get(f"/create/references/{ref.pk}/mask.png").status_code == 404


def test_local_stylization_names_the_chosen_style_in_the_prompt(editor, alice):
    draft_of_or_new(editor, alice)
    upload(editor, png(600, 600))
    data = form(draft_of(alice), model="wanx2.1-imageedit", function="stylization_local", prompt="Change the house")
    assert "<strong>Style</strong>: choose one of: Ice sculpture, Cloud" in editor.post("/create/generate", data, **HTMX).content.decode()
    assert editor.post("/create/generate", {**data, "style": "wooden"}, **HTMX).status_code == 200
    assert Job.objects.get().prompt == "Change the house, in wooden style"


def test_interleave_sends_max_images_and_the_cost_counts_them(editor, alice):
    draft = draft_of_or_new(editor, alice)
    data = form(draft, model="wan2.6-image", interleave="on", flag="interleave", max_images="3", size_preset="custom", width="1024", height="1024")
    summary = editor.post("/create/save", data, **HTMX).content.decode()
    assert "up to 3 images" in summary or "at most 3 ×" in summary
    assert editor.post("/create/generate", data, **HTMX).status_code == 200
    request = request_for_job(Job.objects.get())
    assert (request.enable_interleave, request.max_images, request.n, request.size) == (True, 3, None, "1024*1024")


def test_the_preview_shows_the_models_own_body(editor, alice):
    draft_of_or_new(editor, alice)
    upload(editor, png(400, 400))
    page = editor.post("/create/save", form(draft_of(alice), model="wan2.5-i2i-preview", size_preset="auto"), **HTMX).content.decode()
    assert "&quot;images&quot;: [" in page and "&quot;messages&quot;" not in page


def test_a_model_switch_redraws_the_prompt_with_the_new_limit_and_keeps_the_text(editor, alice):
    draft = draft_of_or_new(editor, alice)
    answer = editor.post("/create/save", form(draft, model="wan2.6-t2i", prompt="A cosy flower shop"), **HTMX).content.decode()
    assert 'id="prompt-panel"' in answer and 'maxlength="2100"' in answer and "A cosy flower shop</textarea>" in answer
    # Typing alone never redraws the prompt under the person's cursor.
    typed = editor.post("/create/save", form(draft, model="wan2.6-t2i", prompt="A cosy flower shop at dusk"), **HTMX).content.decode()
    assert 'id="prompt-panel"' not in typed


# --- Issue 15: what the real service refuses, said in the editor -------------------------------


def test_three_references_with_wanx21_are_refused_and_no_job_records_them(editor, alice):
    # Reference: 001 — the edit body carries one base image; a job records exactly what it sends.
    draft_of_or_new(editor, alice)
    upload(editor, *[png(600, 600, name=f"p{i}.png") for i in range(3)])
    draft = draft_of(alice)
    data = form(draft, model="wanx2.1-imageedit", function="colorization", prompt="")
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert "3 of 1" in page
    assert "Wanx2.1 Image Edit takes at most 1 reference image here: remove images 2–3 to generate." in page

    refused = editor.post("/create/generate", data, **HTMX)
    assert refused.status_code == 422
    assert ("<strong>Reference images</strong>: has 3 images; wanx2.1-imageedit takes 1–1 "
            "(it edits image 1; remove the other 2 images)") in refused.content.decode()
    assert not Job.objects.exists() and draft.references.count() == 3

    for ref in list(draft.ordered_references())[1:]:
        editor.post(f"/create/references/{ref.pk}/remove", data, **HTMX)
    assert editor.post("/create/generate", data, **HTMX).status_code == 200
    job = Job.objects.get()
    assert job.references.count() == 1 and len(request_for_job(job).images) == 1


def test_base_qwen_image_edit_says_it_takes_no_size_no_rewriting_and_makes_one_image(editor, alice):
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api
    draft_of_or_new(editor, alice)
    upload(editor, png(600, 400))
    data = form(draft_of(alice), model="qwen-image-edit", n="3", prompt="Make the sky pink")
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert ("Qwen-Image Edit makes 1 image per request, takes no size (the image is shaped like the last reference) "
            "and does no prompt rewriting.") in page
    assert 'id="size_preset"' not in page and 'id="prompt_extend"' not in page and 'id="n"' not in page
    assert "3 images (Qwen-Image Edit makes 1 per request)" in page

    assert editor.post("/create/generate", data, **HTMX).status_code == 200
    request = request_for_job(Job.objects.get())
    assert (request.size, request.n, request.prompt_extend) == (None, None, None)


def test_qwen_image_max_sends_one_image_at_its_default_size_whatever_the_draft_held(editor, alice):
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-api — n fixed at 1,
    # default size 1664*928.
    draft = draft_of_or_new(editor, alice)
    data = form(draft, model="qwen-image-max", n="4", size_preset="2K", prompt="A poster")
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert "Qwen-Image Max makes 1 image per request." in page
    assert "1664 × 928 (default)" in page
    assert editor.post("/create/generate", data, **HTMX).status_code == 200
    request = request_for_job(Job.objects.get())
    assert (request.n, request.size) == (1, "1664*928")


def test_a_qwen_reference_outside_the_recommended_sides_is_sent_with_a_warning(editor, alice):
    # Reference: qwen-image-edit-api — 384–3072 px "for best results", not a limit.
    draft_of_or_new(editor, alice)
    upload(editor, png(3200, 600))
    data = form(draft_of(alice), model="qwen-image-edit-plus", size_preset="1024*1024", prompt="Add a sign")
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert "3200×600 px is outside the 384–3072 px per side recommended for best results" in page
    assert editor.post("/create/generate", data, **HTMX).status_code == 200


def test_a_long_qwen_image_2_prompt_is_sent_with_a_note_that_it_may_be_cut(editor, alice):
    # Reference: https://www.alibabacloud.com/help/en/model-studio/qwen-image-generation-and-editing-api-reference
    draft = draft_of_or_new(editor, alice)
    prompt = "a quiet harbour at dawn, " * 80  # 2,000 characters: about 400 English tokens
    data = form(draft, model="qwen-image-2.0", size_preset="1024*1024", prompt=prompt)
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert "prompt is 1,999 characters; qwen-image-2.0 reads up to 1,300 tokens" in page
    assert editor.post("/create/generate", data, **HTMX).status_code == 200


def test_wan22_flash_custom_size_is_each_side_512_to_1440(editor, alice):
    # Reference: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
    draft = draft_of_or_new(editor, alice)
    data = form(draft, model="wan2.2-t2i-flash", size_preset="custom", width="1600", height="1000")
    page = editor.post("/create/save", data, **HTMX).content.decode()
    assert "Each side from 512 to 1440 px" in page and 'min="512" max="1440"' in page
    refused = editor.post("/create/generate", data, **HTMX).content.decode()
    assert "<strong>Size</strong>: 1600*1000 has width 1600 px; each side must be 512–1440 px on wan2.2-t2i-flash" in refused


def test_the_cost_and_preview_of_qwen_image_plus_count_one_image_even_if_the_draft_asked_for_four(editor, alice):
    draft = draft_of_or_new(editor, alice)
    page = editor.post("/create/save", form(draft, model="qwen-image-plus", n="4", prompt="A poster"), **HTMX).content.decode()
    assert "up to 1 image;" in page or "at most 1 ×" in page
    assert "&quot;n&quot;: 1," in page
