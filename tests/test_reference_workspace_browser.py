"""The references area of the Create page in a real browser: the filmstrip and the active reference
shown large, boxes drawn while zoomed and panned, undo and redo of boxes and of mask strokes, and the
compact box list. Coordinates are read back from the number fields the form submits and from the
draft the server saved, always in the original image's pixels.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from studio.editor.models import Draft
from tests.test_editor_browser import add_references, card, png_file
from tests.test_editor_browser import page  # noqa: F401 (alice's editor in a live browser)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVE = re.compile(r"/create/save$")
MASK = re.compile(r"/create/references/\d+/mask$")


def box_fields(page, number: int, slot: int):  # noqa: F811
    return card(page, number).locator(f'fieldset[data-box="{slot}"] input[type=number]')


def box_values(page, number: int, slot: int) -> list[int | None]:  # noqa: F811
    fields = box_fields(page, number, slot)
    return [int(v) if v else None for v in (fields.nth(i).input_value() for i in range(4))]


def to_original(shown: dict, point: tuple[float, float], size: tuple[int, int]) -> tuple[float, float]:
    """A page point in original pixels, from where (and how large) the image is laid out now."""
    return ((point[0] - shown["x"]) * size[0] / shown["width"], (point[1] - shown["y"]) * size[1] / shown["height"])


def drag(page, start, end) -> None:  # noqa: F811
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=5)
    page.mouse.up()


def saves(name: str, value: object):
    """An autosave whose form data holds `value` in the field ending with `name`."""
    pattern = re.compile(rf'{re.escape(name)}(=|"\r\n\r\n){re.escape(str(value))}(&|\r\n|$)')
    return lambda response: bool(SAVE.search(response.url)) and bool(pattern.search(response.request.post_data or ""))


def expect_shown_width(page, number: int, width: float) -> None:  # noqa: F811
    """Wait until image `number` is laid out `width` CSS pixels wide (zoom applies at once, the wheel a moment later)."""
    page.wait_for_function(
        """([n, w]) => {
            const img = document.querySelectorAll('.reference-card')[n - 1].querySelector('box-editor img');
            return Math.abs(img.getBoundingClientRect().width - w) < Math.max(1, w * 0.003);
        }""",
        arg=[number, width],
    )


def image_of(page, number: int = 1):  # noqa: F811
    return card(page, number).get_by_role("img", name=re.compile(f"Image {number}"))


def view_of(page, number: int = 1):  # noqa: F811
    return card(page, number).get_by_role("group", name=re.compile(f"^View of Image {number}"))


def test_a_box_drawn_at_2x_zoom_and_panned_lands_within_one_original_pixel(page, alice, tmp_path):  # noqa: F811
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    image = image_of(page)
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    fit = image.bounding_box()
    view = view_of(page)
    view_at_fit = view.bounding_box()

    # The wheel zooms about the pointer: exp(346.57 × 0.002) = 2×.
    page.mouse.move(fit["x"] + fit["width"] / 2, fit["y"] + fit["height"] / 2)
    page.mouse.wheel(0, -346.57)
    expect_shown_width(page, 1, fit["width"] * 2)
    # Space+drag pans 120 px left and 60 px up; then the keyboard pans one more step to the right.
    view.focus()
    page.keyboard.down("Space")
    drag(page, (fit["x"] + 300, fit["y"] + 200), (fit["x"] + 180, fit["y"] + 140))
    page.keyboard.up("Space")
    view.focus()
    page.keyboard.press("ArrowRight")

    shown = image.bounding_box()
    seen = view.bounding_box()
    assert shown["width"] == pytest.approx(fit["width"] * 2, rel=0.02), "zoomed to about 2×"
    assert seen["height"] == pytest.approx(view_at_fit["height"], abs=1), "the view keeps its size while zoomed"
    assert shown["x"] < seen["x"] - 100 and shown["y"] < seen["y"] - 50, "panned away from the top-left corner"
    assert box_values(page, 1, 0) == [None] * 4, "panning drew nothing"

    start = (seen["x"] + 41.3, seen["y"] + 37.6)
    end = (seen["x"] + 263.7, seen["y"] + 201.2)
    with page.expect_response(SAVE):
        drag(page, start, end)
    expected = [*to_original(shown, start, (1600, 1200)), *to_original(shown, end, (1600, 1200))]
    got = box_values(page, 1, 0)
    assert all(abs(g - e) <= 1 for g, e in zip(got, expected, strict=True)), (got, expected)
    # What the form submitted is what the fields say.
    assert Draft.objects.get(owner=alice).ordered_references()[0].boxes[0] == [str(v) for v in got]

    # Fit returns to the whole image; the box stays where it was drawn, in original pixels.
    card(page, 1).get_by_role("button", name="Fit Image 1 in view").click()
    expect_shown_width(page, 1, fit["width"])
    assert box_values(page, 1, 0) == got


def test_zoom_buttons_and_keys_have_names_and_stop_at_fit(page, tmp_path):  # noqa: F811
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    image = image_of(page)
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    fit = image.bounding_box()["width"]
    zoom_in = card(page, 1).get_by_role("button", name="Zoom in on Image 1")
    zoom_out = card(page, 1).get_by_role("button", name="Zoom out on Image 1")
    expect(zoom_out).to_have_attribute("aria-disabled", "true")
    zoom_in.click()
    expect_shown_width(page, 1, fit * 1.25)
    expect(zoom_out).to_have_attribute("aria-disabled", "false")
    view_of(page).focus()
    page.keyboard.press("+")
    expect_shown_width(page, 1, fit * 1.25 * 1.25)
    page.keyboard.press("0")
    expect_shown_width(page, 1, fit)
    expect(zoom_out).to_have_attribute("aria-disabled", "true")


def test_ctrl_z_undoes_a_drawn_box_and_ctrl_shift_z_redoes_it(page, alice, tmp_path):  # noqa: F811
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    image = image_of(page)
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    shown = image.bounding_box()
    with page.expect_response(SAVE):
        drag(page, (shown["x"] + 40, shown["y"] + 30), (shown["x"] + 200, shown["y"] + 150))
    drawn = box_values(page, 1, 0)
    assert None not in drawn
    page.keyboard.press("ArrowRight")  # the new box has the focus: a nudge is a second step
    moved = box_values(page, 1, 0)
    assert moved == [drawn[0] + 1, drawn[1], drawn[2] + 1, drawn[3]]

    page.keyboard.press("Control+z")
    assert box_values(page, 1, 0) == drawn
    with page.expect_response(saves("box-0-x1", "")):
        page.keyboard.press("Control+z")
    assert box_values(page, 1, 0) == [None] * 4
    expect(card(page, 1).locator('svg.box-overlay .box[data-box="0"]')).to_be_hidden()
    expect(card(page, 1).get_by_role("status")).to_have_text("Undone: Image 1 has no boxes.")
    expect(page.get_by_role("tab", name=re.compile("Image 1"))).to_contain_text("0 boxes")
    assert Draft.objects.get(owner=alice).ordered_references()[0].boxes[0] == ["", "", "", ""]

    page.keyboard.press("Control+Shift+z")
    assert box_values(page, 1, 0) == drawn
    with page.expect_response(saves("box-0-x1", moved[0])):
        card(page, 1).get_by_role("button", name="Redo box change on Image 1").click()
    assert box_values(page, 1, 0) == moved
    expect(page.get_by_role("tab", name=re.compile("Image 1"))).to_contain_text("1 box")
    assert Draft.objects.get(owner=alice).ordered_references()[0].boxes[0] == [str(v) for v in moved]

    # Drawn anew from the server: the filmstrip counts the saved box and its fields show.
    page.reload()
    expect(page.get_by_role("tab", name=re.compile("Image 1"))).to_contain_text("1 box")
    expect(card(page, 1).get_by_role("group", name="Image 1, box 1", exact=True)).to_be_visible()
    expect(card(page, 1).locator('fieldset[data-box="1"]')).to_be_hidden()
    assert box_values(page, 1, 0) == moved


def mask_of(alice) -> Image.Image | None:
    ref = Draft.objects.get(owner=alice).ordered_references()[0]
    if not ref.mask:
        return None
    with ref.mask.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("L")


def test_ctrl_z_undoes_a_mask_stroke_and_ctrl_shift_z_paints_it_again(page, alice, tmp_path):  # noqa: F811
    page.get_by_label("Model").select_option("wanx2.1-imageedit")
    page.get_by_label("Edit function").select_option("description_edit_with_mask")
    # The form redraws for mask editing first; an upload before that would be redrawn under the brush.
    expect(page.locator("#function-hint")).to_contain_text("white is edited")
    add_references(page, png_file(tmp_path, "room.png", 1000, 800))
    expect(page.locator("mask-brush canvas")).to_be_visible()
    page.locator("mask-brush .mask-stage img").scroll_into_view_if_needed()
    shown = page.locator("mask-brush .mask-stage img").bounding_box()
    y = shown["y"] + shown["height"] / 2
    with page.expect_response(MASK):
        drag(page, (shown["x"] + shown["width"] * 0.3, y), (shown["x"] + shown["width"] * 0.7, y))
    painted = mask_of(alice).getbbox()
    assert painted is not None

    with page.expect_response(MASK):
        page.keyboard.press("Control+z")  # the canvas took the focus when the stroke began
    assert mask_of(alice) is None, "nothing painted is left, so no mask is kept"
    redo = page.get_by_role("button", name="Redo mask stroke on Image 1")
    expect(redo).to_have_attribute("aria-disabled", "false")

    with page.expect_response(MASK):
        page.keyboard.press("Control+Shift+z")
    assert mask_of(alice).getbbox() == painted


def test_the_filmstrip_numbers_every_reference_and_the_keyboard_picks_the_one_shown_large(page, tmp_path):  # noqa: F811
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    add_references(
        page,
        png_file(tmp_path, "a.png", 400, 300),
        png_file(tmp_path, "b.png", 300, 400),
        png_file(tmp_path, "c.png", 500, 500),
    )
    tabs = page.get_by_role("tablist", name="Reference filmstrip").get_by_role("tab")
    expect(tabs).to_have_count(3)
    for i in range(3):
        expect(tabs.nth(i)).to_contain_text(f"Image {i + 1}")
        expect(tabs.nth(i)).to_contain_text("0 boxes")
    expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_have_count(1)  # only the active one is shown
    expect(page.get_by_role("tabpanel")).to_contain_text("400 × 300 px")

    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(tabs.nth(2)).to_be_focused()
    expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")  # moving the focus shows nothing yet
    page.keyboard.press("Enter")
    expect(tabs.nth(2)).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_contain_text("500 × 500 px")
    expect(card(page, 3)).to_be_visible()
    expect(card(page, 1)).to_be_hidden()

    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Space")
    expect(page.get_by_role("tabpanel")).to_contain_text("300 × 400 px")
    expect(tabs.nth(1)).to_have_attribute("tabindex", "0")
    expect(tabs.nth(2)).to_have_attribute("tabindex", "-1")

    # Shown large: this 300 × 400 px image is drawn bigger than its own pixels.
    assert image_of(page, 2).bounding_box()["width"] > 400
    assert not [text for text in console if "Content Security Policy" in text]


def test_empty_box_fields_stay_hidden_until_a_box_exists_and_share_its_colour(page, tmp_path):  # noqa: F811
    add_references(page, png_file(tmp_path, "wide.png", 1600, 1200))
    image = image_of(page)
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    fieldsets = card(page, 1).locator("fieldset.box-fields")
    expect(fieldsets).to_have_count(2)
    expect(fieldsets.nth(0)).to_be_hidden()
    expect(fieldsets.nth(1)).to_be_hidden()
    expect(card(page, 1).get_by_role("button", name=re.compile("^Remove Image 1, box"))).to_have_count(0)

    # The keyboard's way to draw: Enter on the view adds a box in the middle of what is shown.
    view_of(page).focus()
    page.keyboard.press("Enter")
    expect(fieldsets.nth(0)).to_be_visible()
    expect(fieldsets.nth(1)).to_be_hidden()
    expect(card(page, 1).get_by_role("group", name="Image 1, box 1", exact=True)).to_be_visible()
    x1, y1, x2, y2 = box_values(page, 1, 0)
    assert (x1 + x2) / 2 == pytest.approx(800, abs=1) and (y1 + y2) / 2 == pytest.approx(600, abs=1)
    expect(page.get_by_role("tab", name=re.compile("Image 1"))).to_contain_text("1 box")

    shown = image.bounding_box()
    drag(page, (shown["x"] + 10, shown["y"] + 10), (shown["x"] + 60, shown["y"] + 50))
    expect(fieldsets.nth(1)).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile("Image 1"))).to_contain_text("2 boxes")

    # Each box is drawn in the colour that edges its fields, and labelled with its API number.
    for slot in (0, 1):
        stroke = card(page, 1).locator(f'svg .box[data-box="{slot}"] .box-rect').evaluate("r => getComputedStyle(r).stroke")
        edge = fieldsets.nth(slot).evaluate("f => getComputedStyle(f).borderLeftColor")
        assert stroke == edge
        expect(card(page, 1).locator(f'svg .box[data-box="{slot}"] .box-label')).to_have_text(str(slot + 1))
    assert fieldsets.nth(0).evaluate("f => getComputedStyle(f).borderLeftColor") != fieldsets.nth(1).evaluate(
        "f => getComputedStyle(f).borderLeftColor"
    )


def test_a_pinch_zooms_about_the_fingers_and_draws_nothing(touch_page):
    from tests.test_box_editor_browser import open_editor, values

    page = open_editor(touch_page)  # 1600 × 1200 shown 400 px wide, on a touch screen
    page.add_style_tag(content="box-editor { width: 416px; }")  # the view is as wide as the image, as in the editor
    image = page.locator("box-editor img")
    before = image.bounding_box()
    # Off the middle, so a zoom about the view's middle would not pass for one about the fingers.
    cx, cy = before["x"] + before["width"] / 4, before["y"] + before["height"] / 2
    # Playwright has no pinch; Chromium's DevTools protocol sends real two-finger touch input.
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, spread: float) -> None:
        points = [{"x": cx - spread, "y": cy, "id": 0}, {"x": cx + spread, "y": cy, "id": 1}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 30)
    for spread in (45, 60, 75, 90):  # the fingers end three times as far apart
        touch("touchMove", spread)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    page.wait_for_function("w => document.querySelector('box-editor img').getBoundingClientRect().width > w", arg=before["width"] * 2.9)
    after = image.bounding_box()
    assert after["width"] == pytest.approx(before["width"] * 3, rel=0.02)
    # The image point between the fingers stayed between them (a few pixels of drift come from the
    # first finger moving before the second while the image, still at fit, cannot pan).
    assert (cx - after["x"]) / after["width"] == pytest.approx(0.25, abs=0.03)
    assert (cy - after["y"]) / after["height"] == pytest.approx(0.5, abs=0.03)
    assert values(page, 0) == ["", "", "", ""], "two fingers zoom; they do not draw"
    assert page.evaluate("window.scrollY") == 0
