"""The editor in a real browser (Debian's chromium through Playwright) against a live server.

Images are shown smaller than their pixels, so every coordinate check proves that boxes are
measured in the original image's pixels, not the screen's.
"""

from __future__ import annotations

import re

import pytest
from PIL import Image

from studio.editor.models import Draft
from studio.pipeline.models import Job
from studio.wan_emulator.server import EmulatorConfig, EmulatorServer
from tests.cluster import Cluster, cluster_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

from playwright.sync_api import expect

from tests.browser import logged_in_context


def png_file(tmp_path, name: str, width: int, height: int, colour: str = "#2a6f97"):
    path = tmp_path / name
    Image.new("RGB", (width, height), colour).save(path, "PNG")
    return path


def rotated_jpeg(tmp_path, name: str = "phone.jpg"):
    """A 600×400 landscape JPEG whose EXIF says 'rotate 90° clockwise': upright it is 400×600."""
    image = Image.new("RGB", (600, 400), "#2a6f97")
    image.paste(Image.new("RGB", (600, 100), "#ffcc00"), (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / name
    image.save(path, "JPEG", exif=exif)
    return path


@pytest.fixture
def page(browser, live_server, alice, media):
    context = logged_in_context(browser, live_server, alice)
    page = context.new_page()
    page.goto(f"{live_server.url}/create/")
    yield page
    context.close()


def add_references(page, *paths):
    page.get_by_label("Reference images").set_input_files([str(p) for p in paths])


def card(page, number: int):
    return page.locator(".reference-card").nth(number - 1)


def box_values(page, number: int, slot: int) -> list[int | None]:
    fields = card(page, number).locator(f'fieldset[data-box="{slot}"] input[type=number]')
    return [int(v) if v else None for v in (fields.nth(i).input_value() for i in range(4))]


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    page.mouse.move(*end)
    page.mouse.up()


def to_original(box, point, size):
    """Screen point -> original pixel, from the displayed image's box."""
    return (round((point[0] - box["x"]) * size[0] / box["width"]), round((point[1] - box["y"]) * size[1] / box["height"]))


def draft_boxes(alice):
    return [ref.boxes for ref in Draft.objects.get(owner=alice).ordered_references()]


def test_two_boxes_drawn_with_the_mouse_arrive_in_original_pixels(page, alice, tmp_path):
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    image = card(page, 1).get_by_role("img", name=re.compile("Image 1"))
    expect(image).to_be_visible()
    box = image.bounding_box()
    assert box["width"] < 1600 / 2, "the image is displayed well below its pixel size"

    first = ((box["x"] + 20, box["y"] + 30), (box["x"] + 120, box["y"] + 100))
    second = ((box["x"] + 150, box["y"] + 110), (box["x"] + 250, box["y"] + 190))
    for start, end in (first, second):
        drag(page, start, end)

    for slot, (start, end) in enumerate((first, second)):
        expected = [*to_original(box, start, (1600, 1200)), *to_original(box, end, (1600, 1200))]
        got = box_values(page, 1, slot)
        assert all(abs(g - e) <= 1 for g, e in zip(got, expected, strict=True)), (got, expected)

    # A third box is refused with a message, and nothing changes.
    drag(page, (box["x"] + 10, box["y"] + 150), (box["x"] + 60, box["y"] + 190))
    expect(card(page, 1).get_by_role("status")).to_contain_text("2 boxes")
    # The server received what the fields say (autosave on change).
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    expected_boxes = [[str(v) for v in box_values(page, 1, slot)] for slot in (0, 1)]
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text("Prompt")
    assert draft_boxes(alice) == [expected_boxes]


def test_keyboard_nudges_move_a_box_by_exactly_1_and_10_pixels(page, tmp_path):
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    card(page, 1).get_by_role("button", name="Type a box on Image 1").click()
    fields = card(page, 1).locator('fieldset[data-box="0"] input[type=number]')
    for i, value in enumerate((100, 100, 300, 300)):
        fields.nth(i).fill(str(value))
    fields.nth(3).press("Tab")
    box = card(page, 1).get_by_role("group", name=re.compile(r"^Image 1, box 1: "))
    expect(box).to_be_visible()
    box.focus()
    page.keyboard.press("ArrowRight")
    assert box_values(page, 1, 0) == [101, 100, 301, 300]
    page.keyboard.press("Shift+ArrowDown")
    assert box_values(page, 1, 0) == [101, 110, 301, 310]


def test_boxes_on_an_exif_rotated_photo_are_in_upright_pixels(page, tmp_path):
    add_references(page, rotated_jpeg(tmp_path))
    expect(card(page, 1)).to_contain_text("400 × 600 px")
    image = card(page, 1).get_by_role("img", name=re.compile("Image 1"))
    image.scroll_into_view_if_needed()  # shown large, its lower part may start below the fold
    box = image.bounding_box()
    assert box["height"] > box["width"], "shown upright (portrait)"
    start = (box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.7)
    end = (box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.95)
    drag(page, start, end)
    x1, y1, x2, y2 = box_values(page, 1, 0)
    assert y2 > 500 and x2 < 400, "coordinates are in the upright 400×600 image"
    assert abs(y1 - round(600 * 0.7)) <= 1


def test_a_tenth_image_is_refused(page, tmp_path):
    add_references(page, *[png_file(tmp_path, f"{i}.png", 300, 300) for i in range(9)])
    expect(page.locator(".reference-card")).to_have_count(9)
    expect(page.get_by_label("Reference images")).to_be_disabled()
    assert "9 images is the most" in page.locator("#references").inner_text()


def test_the_palette_is_refused_at_99_99_and_accepted_at_100_percent(page, tmp_path):
    page.get_by_label("Prompt").fill("A fox in a meadow")
    page.get_by_label("Use a colour palette").check()
    ratios = [page.get_by_label(f"Ratio {i} (%)") for i in (1, 2, 3)]
    expect(ratios[0]).to_be_visible()
    for field, value in zip(ratios, ("33.33", "33.33", "33.33"), strict=True):
        field.fill(value)
    expect(page.locator("[data-remaining-out]")).to_have_text("0.01%")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text("99.99%")
    assert not Job.objects.exists()

    ratios[0].fill("33.34")
    expect(page.locator("[data-total-out]")).to_have_text("100.00%")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text("queued")
    assert [c["hundredths"] for c in Job.objects.get().parameters["color_palette"]] == [3334, 3333, 3333]


@pytest.fixture
def pipeline(media, tmp_path):
    emulator = EmulatorServer(EmulatorConfig(pending_seconds=0.2, running_seconds=0.5)).start()
    cluster = Cluster(cluster_env(emulator.url), tmp_path / "cluster.log")
    yield emulator
    cluster.stop()
    emulator.shutdown()


def test_a_submitted_job_shows_its_image_without_a_reload(page, pipeline, tmp_path):
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    expect(card(page, 1)).to_be_visible()
    page.get_by_label("Prompt").fill("Turn image 1 into a watercolour")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Generate").click()

    job_card = page.locator(".job-card").first
    expect(job_card.get_by_role("img", name=re.compile("Result 1 of job"))).to_be_visible(timeout=60_000)
    expect(job_card.locator(".job-status")).to_have_text("Done")
    assert page.evaluate("window.__sameDocument") is True, "no reload happened"


DROP_PNG = """async ([width, height, name, how]) => {
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#884422";
    ctx.fillRect(0, 0, width, height);
    const blob = await canvas.convertToBlob({type: "image/png"});
    const transfer = new DataTransfer();
    transfer.items.add(new File([blob], name, {type: "image/png"}));
    if (how === "drop") {
        const zone = document.querySelector("reference-drop");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    } else {
        document.body.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true, cancelable: true}));
    }
}"""


def test_images_are_added_by_drop_and_by_paste(page, alice):
    page.evaluate(DROP_PNG, [500, 400, "dropped.png", "drop"])
    expect(card(page, 1)).to_contain_text("500 × 400 px")
    page.evaluate(DROP_PNG, [300, 600, "pasted.png", "paste"])
    expect(card(page, 2)).to_contain_text("300 × 600 px")
    assert [r.original_name for r in Draft.objects.get(owner=alice).ordered_references()] == ["dropped.png", "pasted.png"]


def test_references_are_reordered_by_drag_and_renumbered(page, alice, tmp_path):
    add_references(page, png_file(tmp_path, "first.png", 400, 300), png_file(tmp_path, "second.png", 300, 400))
    expect(page.locator(".reference-card")).to_have_count(2)
    filmstrip = page.get_by_role("tab")
    filmstrip.nth(1).drag_to(filmstrip.nth(0), target_position={"x": 5, "y": 5})
    expect(card(page, 1)).to_contain_text("second.png")
    expect(card(page, 1).locator("h3")).to_have_text("Image 1")
    assert [r.original_name for r in Draft.objects.get(owner=alice).ordered_references()] == ["second.png", "first.png"]


def test_a_file_of_the_wrong_type_is_refused_in_the_browser_at_once(page, alice, tmp_path):
    gif = tmp_path / "anim.gif"
    Image.new("RGB", (300, 300), "#123456").save(gif, "GIF")
    add_references(page, gif)
    expect(page.locator(".drop-message")).to_contain_text("anim.gif: image/gif is not accepted")
    assert not Draft.objects.get(owner=alice).references.exists()


def test_a_prompt_too_large_to_read_is_named_where_generate_shows_its_problems(page, alice):
    # The textarea's maxlength stops typing and pasting; a script (or the devtools) can still send it.
    # Unwrapped, so the browser does not spend seconds laying out 3 MB in the narrow prompt column.
    page.get_by_label("Prompt").evaluate(
        "(area) => { area.removeAttribute('maxlength'); area.wrap = 'off'; area.value = ('A'.repeat(1023) + '\\n').repeat(3 * 1024); }"
    )
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#generate-result")).to_contain_text(re.compile(r"Prompt: 3\.0 MB was sent; Wan2\.7 Image( Pro)? takes at most 5,000 characters"))
    assert not Job.objects.exists()
    assert Draft.objects.get(owner=alice).prompt == ""
