"""The mask brush inside the real editor: switch to wanx2.1 mask editing, paint on image 1 in a
real browser, and the job carries a mask of the image's exact pixels, white where painted."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from studio.editor.models import Draft
from studio.pipeline.jobs import request_for_job
from studio.pipeline.models import Job
from tests.test_editor_browser import page  # noqa: F401 (alice's editor in a live browser)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mask_of(alice) -> Image.Image:
    ref = Draft.objects.get(owner=alice).ordered_references()[0]
    with ref.mask.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("L")


def test_painting_a_mask_in_the_editor_sends_it_with_the_job(page, alice, tmp_path):  # noqa: F811
    page.get_by_label("Model").select_option("wanx2.1-imageedit")
    page.get_by_label("Edit function").select_option("description_edit_with_mask")
    expect(page.locator("#function-hint")).to_contain_text("white is edited")
    path = tmp_path / "room.png"
    Image.new("RGB", (1000, 800), "#2a6f97").save(path, "PNG")
    page.get_by_label("Reference images").set_input_files(str(path))
    stage = page.locator("mask-brush .mask-stage img")
    expect(stage).to_be_visible()
    shown = stage.bounding_box()
    assert shown["width"] < 1000  # shown smaller than its pixels: the mask must still be 1000×800

    y = shown["y"] + shown["height"] / 2
    with page.expect_response(re.compile(r"/create/references/\d+/mask$")) as saved:
        page.mouse.move(shown["x"] + shown["width"] * 0.25, y)
        page.mouse.down()
        page.mouse.move(shown["x"] + shown["width"] * 0.5, y, steps=5)
        page.mouse.move(shown["x"] + shown["width"] * 0.75, y, steps=5)
        page.mouse.up()
    assert saved.value.status == 204
    mask = mask_of(alice)
    assert mask.size == (1000, 800)
    left, top, right, bottom = mask.getbbox()
    assert 200 <= left <= 260 and 740 <= right <= 800 and top < 400 < bottom
    assert mask.getpixel((500, 400)) == 255 and mask.getpixel((500, 50)) == 0

    page.get_by_label("Prompt", exact=True).fill("A vase of tulips on the table")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text(re.compile(r"Job \d+ queued"))
    request = request_for_job(Job.objects.get())
    assert request.function == "description_edit_with_mask"
    with Image.open(io.BytesIO(request.mask.data)) as sent:
        assert sent.size == (1000, 800) and sent.convert("L").getbbox() == (left, top, right, bottom)


def test_the_mask_is_painted_and_cleared_from_the_keyboard(page, alice, tmp_path):  # noqa: F811
    page.get_by_label("Model").select_option("wanx2.1-imageedit")
    page.get_by_label("Edit function").select_option("description_edit_with_mask")
    path = tmp_path / "room.png"
    Image.new("RGB", (600, 600), "#2a6f97").save(path, "PNG")
    page.get_by_label("Reference images").set_input_files(str(path))
    canvas = page.locator("mask-brush canvas").first
    expect(canvas).to_be_visible()
    canvas.focus()
    with page.expect_response(re.compile(r"/mask$")):
        page.keyboard.press("Space")
    assert mask_of(alice).getpixel((300, 300)) == 255
    with page.expect_response(re.compile(r"/mask$")):
        page.keyboard.press("Delete")
    # Nothing painted means no mask at all; submitting then says what is missing.
    assert not Draft.objects.get(owner=alice).ordered_references()[0].mask
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text("paint the area to change on image 1")
