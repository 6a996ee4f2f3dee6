"""Hostile input never gets a 500: every refusal is a 4xx naming the field and the limit, nothing is
half-stored, and the server log holds no traceback.

The Django test client re-raises any exception a view lets through, so a 500 fails these tests
loudly; `no_tracebacks` also fails on any logged error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from studio.editor import uploads
from studio.editor.models import Draft
from studio.front.form_scan import FIELD_KEEP_BYTES
from tests import hostile_inputs as hostile
from tests.gallery_helpers import finished_job
from tests.test_editor_views import HTMX, box_fields, form, palette_fields

MB = 1024 * 1024
EDIT_MODELS = {"PNG": "wan2.7-image", "JPEG": "wan2.7-image", "WEBP": "wan2.7-image", "BMP": "wan2.7-image", "TIFF": "wanx2.1-imageedit"}


@pytest.fixture(autouse=True)
def no_tracebacks(caplog):
    caplog.set_level(logging.WARNING)
    yield
    broken = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not broken, [r.getMessage() for r in broken]


@pytest.fixture
def editor(alice_client, media):
    alice_client.get("/create/")
    return alice_client


def stored_files(media: Path) -> list[Path]:
    return [p for p in Path(media).rglob("*") if p.is_file()] if Path(media).exists() else []


def damaged_images() -> list[tuple[str, str, bytes]]:
    cases = []
    for fmt in hostile.FORMATS:
        for how, data in hostile.truncations(hostile.valid(fmt)).items():
            cases.append((fmt, how, data))
    cases += [("PNG", how, data) for how, data in {**hostile.chunk_bombs(), **hostile.broken_headers()}.items()]
    return cases


# -- Uploads: through the protocol's own entry point, every generated file ---------------------


@pytest.mark.parametrize("fmt", hostile.FORMATS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomly_mutated_files_are_accepted_or_refused_by_name_never_raised(fmt, seed):
    model = EDIT_MODELS[fmt]
    outcomes = {"accepted": 0, "refused": 0}
    for i, data in enumerate(hostile.mutations(hostile.valid(fmt), seed, 40)):
        name = f"mutant-{seed}-{i}.{fmt.lower()}"
        try:
            uploads.accept_reference(name, data, model=model)
        except uploads.UploadRefused as exc:
            assert str(exc).startswith(f"{name}: "), str(exc)
            outcomes["refused"] += 1
        else:
            outcomes["accepted"] += 1
    # Both happen: a flipped byte in pixel data decodes, one in a header does not.
    assert outcomes["refused"] > 0


@pytest.mark.parametrize(("fmt", "how", "data"), damaged_images(), ids=lambda v: v if isinstance(v, str) else "")
def test_a_damaged_file_is_refused_naming_the_file(fmt, how, data):
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.accept_reference(f"broken.{fmt.lower()}", data, model=EDIT_MODELS[fmt])
    message = str(refused.value)
    assert message.startswith(f"broken.{fmt.lower()}: ")
    assert "damaged" in message or "not an image" in message or "not accepted" in message, message


@pytest.mark.parametrize(
    ("how", "data"), list({**hostile.chunk_bombs(), **hostile.broken_headers()}.items()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_damaged_uploads_are_answered_422_in_the_editor_and_nothing_is_stored(editor, alice, media, how, data):
    response = editor.post("/create/references", {"references": [SimpleUploadedFile("bad.png", data, "image/png")]}, **HTMX)
    assert response.status_code == 422
    assert "bad.png: the" in response.content.decode() and "could not be decoded" in response.content.decode()
    assert not Draft.objects.get(owner=alice).references.exists()
    assert stored_files(media) == []


def test_truncated_files_of_every_format_are_refused_over_http_with_nothing_stored(editor, alice, media):
    files = [
        SimpleUploadedFile(f"cut-{fmt}.{fmt.lower()}", hostile.valid(fmt)[:100], "application/octet-stream")
        for fmt in ("PNG", "JPEG", "WEBP", "BMP")
    ]
    response = editor.post("/create/references", {"references": files}, **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    for upload in files:
        assert f"{upload.name}: " in page
    assert not Draft.objects.get(owner=alice).references.exists()
    assert stored_files(media) == []


# -- Masks ---------------------------------------------------------------------------------------


def test_masks_decode_as_png_only_and_damaged_ones_are_refused(editor, alice):
    editor.post("/create/references", {"references": [SimpleUploadedFile("a.png", hostile.valid("PNG"), "image/png")]})
    ref = Draft.objects.get(owner=alice).references.get()
    truncated = {f"PNG {how}": data for how, data in hostile.truncations(hostile.valid("PNG")).items()}
    masks = {"JPEG mask": hostile.valid("JPEG"), "BMP mask": hostile.valid("BMP"), **truncated}
    masks |= {f"PNG {how}": data for how, data in {**hostile.chunk_bombs(), **hostile.broken_headers()}.items()}
    masks |= {f"PNG mutant {i}": data for i, data in enumerate(hostile.mutations(hostile.valid("PNG"), 7, 30))}
    answers = {}
    for how, data in masks.items():
        response = editor.post(f"/create/references/{ref.pk}/mask", {"mask": SimpleUploadedFile("mask.png", data)})
        answers[how] = response.status_code
        if response.status_code != 204:
            assert response.status_code == 422 and response.content.decode().startswith("Mask: "), how
    assert answers["JPEG mask"] == answers["BMP mask"] == 422
    assert all(answers[how] == 422 for how in truncated)
    # A mutant may still decode to a mask of the right size; then it is stored clean, as a PNG.
    ref.refresh_from_db()
    if ref.mask:
        with ref.mask.open("rb") as handle, Image.open(handle) as stored:
            assert (stored.format, stored.size, stored.mode) == ("PNG", hostile.SIZE, "L")


# -- Numbers: odd digits and huge values in every field and query that holds one ---------------


@pytest.mark.parametrize("value", hostile.ODD_DIGITS + hostile.HUGE)
@pytest.mark.parametrize("field", ["n", "max_images", "seed", "width", "height"])
def test_an_odd_number_in_a_parameter_is_refused_by_name_and_never_breaks_the_page(editor, alice, field, value):
    draft = Draft.objects.get(owner=alice)
    data = form(draft, **{field: value, "size_preset": "custom" if field in ("width", "height") else "1K"})
    data.setdefault("width", "1024")
    data.setdefault("height", "1024")
    assert editor.post("/create/save", data, **HTMX).status_code == 200
    # The stored draft value is shown back, never a reason for the page to fail.
    assert editor.get("/create/").status_code == 200
    refused = editor.post("/create/generate", data, **HTMX)
    if field == "max_images":
        assert refused.status_code == 200  # wan2.7-image without interleave does not read it
        return
    assert refused.status_code == 422
    # A width too large to be one is a size the model does not make: the Size names the limit.
    labels = {"n": ["Number of images"], "seed": ["Seed"], "width": ["Width", "Size"], "height": ["Height", "Size"]}
    assert any(f"<strong>{label}</strong>" in refused.content.decode() for label in labels[field])


@pytest.mark.parametrize("value", hostile.ODD_DIGITS + hostile.HUGE)
def test_an_odd_box_coordinate_is_refused_by_name_and_never_breaks_the_page(editor, alice, value):
    editor.post("/create/references", {"references": [SimpleUploadedFile("a.png", hostile.valid("PNG"), "image/png")]})
    draft = Draft.objects.get(owner=alice)
    ref = draft.references.get()
    data = form(draft, **box_fields(ref.pk, 0, ["10", "10", value, "90"]))
    assert editor.post("/create/save", data, **HTMX).status_code == 200
    assert editor.get("/create/").status_code == 200
    refused = editor.post("/create/generate", data, **HTMX)
    assert refused.status_code == 422
    assert "<strong>Image 1, box 1" in refused.content.decode()


@pytest.mark.parametrize("value", hostile.ODD_DIGITS + hostile.HUGE)
def test_odd_numbers_in_the_palette_and_reference_buttons_change_nothing(editor, alice, value):
    files = [SimpleUploadedFile(f"{name}.png", hostile.valid("PNG"), "image/png") for name in "ab"]
    editor.post("/create/references", {"references": files})
    draft = Draft.objects.get(owner=alice)
    order = [r.pk for r in draft.ordered_references()]
    editor.post("/create/palette/toggle", form(draft, palette_enabled="on"), **HTMX)
    before = Draft.objects.get(pk=draft.pk).palette
    base = form(draft, **palette_fields(*[(row["hex"], row["percent"]) for row in before]))
    removed = editor.post("/create/palette/remove", {**base, "index": value}, **HTMX)
    assert (removed.status_code, "No such colour." in removed.content.decode()) == (422, True)
    extracted = editor.post("/create/palette/extract", {**base, "extract_image": value}, **HTMX)
    assert extracted.status_code == 422 and "Choose an image to extract colours from." in extracted.content.decode()
    assert Draft.objects.get(pk=draft.pk).palette == before
    reordered = editor.post("/create/references/order", {**base, "order": f"{value},{order[1]}"}, **HTMX)
    assert reordered.status_code == 200
    assert [r.pk for r in Draft.objects.get(pk=draft.pk).ordered_references()] == [order[1], order[0]]


@pytest.mark.parametrize("value", hostile.ODD_DIGITS + hostile.HUGE)
def test_odd_numbers_in_gallery_billing_and_team_requests_are_4xx(alice_client, alice, media, value):
    alice.is_staff = True  # billing is for the studio's staff
    alice.save()
    job = finished_job(alice, n=1)
    image = job.outputs.get()
    answers = {
        "board": alice_client.post(f"/gallery/images/{image.pk}/boards", {"board": value}, **HTMX),
        "review after": alice_client.get("/gallery/review/", {"after": value}),
        "selection": alice_client.post("/gallery/selection.zip", {"images": [value]}),
        "team switch": alice_client.post("/accounts/team/switch", {"team": value}),
        "billing team": alice_client.get("/billing/", {"team": value}),
        "cursor time": alice_client.get("/gallery/", {"cursor": f"{value}-1"}),
        "cursor row": alice_client.get("/gallery/", {"cursor": f"1-{value}"}),
        "image id in the path": alice_client.get(f"/gallery/images/{value}/"),
    }
    codes = {name: answer.status_code for name, answer in answers.items()}
    assert all(code < 500 for code in codes.values()), codes
    # Each says which field: the board picker, the zip's image list, the billing filter.
    assert "board: choose one of the boards" in answers["board"].content.decode()
    assert codes["selection"] == 400 and answers["selection"].content.decode().startswith("Images: ")
    assert codes["team switch"] == 404 and codes["review after"] == 404
    assert "<strong>Team</strong>" in answers["billing team"].content.decode()
    assert codes["cursor time"] == codes["cursor row"] == 400
    assert "Page position" in answers["cursor time"].content.decode()


# -- Large bodies and long names -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["/create/save", "/create/generate"])
def test_a_3_mb_prompt_is_refused_in_the_editors_error_place_naming_the_field_and_limit(editor, alice, endpoint):
    draft = Draft.objects.get(owner=alice)
    editor.post("/create/save", form(draft, prompt="A fox"), **HTMX)
    body = urlencode(form(draft, prompt="A" * (3 * MB), seed="42"))
    response = editor.post(endpoint, body, content_type="application/x-www-form-urlencoded", **HTMX)
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#generate-result", "innerHTML")
    page = response.content.decode()
    assert "<strong>Prompt</strong>: 3.0 MB was sent; Wan2.7 Image takes at most 5,000 characters" in page
    draft.refresh_from_db()
    assert draft.prompt == "A fox" and draft.fields.get("seed", "") != "42"  # nothing of it was applied


def test_a_large_field_to_a_page_that_does_not_show_refusals_is_a_413_naming_it(alice_client, alice, media):
    image = finished_job(alice, n=1).outputs.get()
    response = alice_client.post(
        f"/gallery/images/{image.pk}/comments",
        "text=" + "x" * (FIELD_KEEP_BYTES * 12),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.content.decode().startswith("text: 3.0 MB was sent; a form field may hold at most 256 KB")
    assert not image.comments.exists()


def test_many_fair_sized_fields_over_the_body_limit_are_refused_by_the_limit(alice_client):
    body = "&".join(f"f{i}=" + "x" * 200_000 for i in range(14))
    response = alice_client.post("/create/save", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.content.decode() == "The form fields are over 2.5 MB."


def test_a_thousand_character_file_name_is_refused_naming_the_limit_and_nothing_is_stored(editor, alice, media):
    # Written out by hand: Django's own file classes would cut the name to 255 characters.
    name = "a" * 1000 + ".png"
    body = (
        f'--x\r\nContent-Disposition: form-data; name="references"; filename="{name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + hostile.valid("PNG") + b"\r\n--x--\r\n"
    response = editor.post("/create/references", body, content_type="multipart/form-data; boundary=x", **HTMX)
    assert response.status_code == 422
    page = response.content.decode()
    assert "<strong>Reference images</strong>: a file name is too long" in page and "1,024 bytes" in page
    assert not Draft.objects.get(owner=alice).references.exists()
    assert stored_files(media) == []


# -- Choices and boxes the page would never send ----------------------------------------------


def test_an_unknown_model_or_size_is_refused_and_the_draft_keeps_its_settings(editor, alice):
    draft = Draft.objects.get(owner=alice)
    editor.post("/create/save", form(draft, size_preset="2K"), **HTMX)
    refused = editor.post("/create/save", form(draft, model="gpt-image-1", size_preset="9999*9999", prompt="Kept"), **HTMX)
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "<strong>Model</strong>: “gpt-image-1” is not one of the studio&#x27;s models" in page
    assert "<strong>Size</strong>: “9999*9999” is not a size" in page
    draft.refresh_from_db()
    assert (draft.model, draft.fields["size_preset"], draft.prompt) == ("wan2.7-image", "2K", "Kept")


def test_a_box_smaller_than_8_px_is_refused_by_the_server_too(editor, alice):
    editor.post("/create/references", {"references": [SimpleUploadedFile("a.png", hostile.valid("PNG"), "image/png")]})
    draft = Draft.objects.get(owner=alice)
    ref = draft.references.get()
    tiny = editor.post("/create/generate", form(draft, **box_fields(ref.pk, 0, ["10", "10", "11", "50"])), **HTMX)
    assert tiny.status_code == 422
    assert "<strong>Image 1, box 1</strong>: 1×40 px is too small: a box is at least 8 px on each side" in tiny.content.decode()
    fine = editor.post("/create/generate", form(draft, **box_fields(ref.pk, 0, ["10", "10", "18", "18"])), **HTMX)
    assert fine.status_code == 200


# -- The same numbers outside the web: the command line and the provider's headers ---------------


@pytest.mark.parametrize("value", [v for v in hostile.ODD_DIGITS + hostile.HUGE if v != "-1"])  # -1: the validator's
def test_the_command_line_box_and_a_result_urls_expiry_read_ascii_digits_only(value):
    from studio.pipeline.downloads import url_expiry
    from studio.pipeline.generate_cli import UsageProblem, parse_bbox

    with pytest.raises(UsageProblem, match="expected I:x1,y1,x2,y2 with whole numbers"):
        parse_bbox(f"1:10,10,{value},50", image_count=1)
    assert url_expiry(f"https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/a.png?Expires={value}") is None
