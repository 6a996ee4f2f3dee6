"""<box-editor> in a real browser: boxes land in the number fields in the original image's pixels."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.js_catalog import javascript_catalog

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parent.parent / "static"
NAMES = ("x1", "y1", "x2", "y2")


def png_data_url(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 110)).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def editor_html(width: int, height: int, *, shown_width: int, boxes: list[list[int]] | None = None) -> str:
    """The markup the server renders for one reference image (the element's DOM contract)."""
    boxes = boxes or []
    fieldsets = []
    for i in range(2):
        values = [str(v) for v in boxes[i]] if i < len(boxes) and boxes[i] else [""] * 4
        inputs = "".join(
            f'<label>{name} <input type="number" name="ref-7-box-{i}-{name}" min="0" '
            f'max="{width if name[0] == "x" else height}" step="1" value="{value}"></label>'
            for name, value in zip(NAMES, values, strict=True)
        )
        fieldsets.append(
            f'<fieldset class="box-fields" data-box="{i}"><legend>Image 1, box {i + 1}</legend>{inputs}</fieldset>'
        )
    return f"""<!doctype html>
<html><head><style>body {{ margin: 8px; }} box-editor img {{ width: {shown_width}px; }}</style></head>
<body>
<box-editor data-width="{width}" data-height="{height}" data-max-boxes="2" data-min-size="8" data-label="Image 1">
  <div class="box-stage">
    <img src="{png_data_url(width, height)}" alt="Image 1 ({width} × {height} px)" width="{width}" height="{height}">
  </div>
  <p class="box-message" role="status" aria-live="polite"></p>
  {"".join(fieldsets)}
</box-editor>
</body></html>"""


def open_editor(page: Page, width: int = 1600, height: int = 1200, *, shown_width: int = 400, boxes=None) -> Page:
    page.set_content(editor_html(width, height, shown_width=shown_width, boxes=boxes))
    page.add_style_tag(content=(STATIC / "css" / "box-editor.css").read_text())
    # Record what the page's autosave and other widgets would hear.
    page.add_script_tag(
        content="""
        window.heard = {boxes: [], changes: []};
        document.addEventListener('boxes-changed', (e) => window.heard.boxes.push(e.detail.boxes));
        document.addEventListener('change', (e) => window.heard.changes.push(e.target.name));
        """
    )
    page.add_script_tag(content=javascript_catalog().decode())
    page.add_script_tag(content=(STATIC / "js" / "box-editor.js").read_text())
    expect(page.locator("box-editor svg.box-overlay")).to_have_count(1)
    page.wait_for_function("document.querySelector('box-editor img').complete")
    return page


class Screen:
    """Maps original-image pixels to the page's CSS pixels, from where the image is shown."""

    def __init__(self, page: Page, width: int, height: int) -> None:
        shown = page.locator("box-editor img").bounding_box()
        assert shown is not None
        self.left, self.top = shown["x"], shown["y"]
        self.sx, self.sy = shown["width"] / width, shown["height"] / height

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * self.sx, self.top + y * self.sy

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.left) / self.sx, (y - self.top) / self.sy


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=4)
    page.mouse.up()


def field(page: Page, slot: int, name: str):
    return page.locator(f'fieldset[data-box="{slot}"] input[name$="-{name}"]')


def values(page: Page, slot: int) -> list[str]:
    return [field(page, slot, name).input_value() for name in NAMES]


def expect_box(page: Page, slot: int, box: list[int]) -> None:
    for name, value in zip(NAMES, box, strict=True):
        expect(field(page, slot, name)).to_have_value(str(value))


def assert_near(actual: list[str], expected: list[float]) -> None:
    numbers = [int(v) for v in actual]
    assert all(abs(a - e) <= 1 for a, e in zip(numbers, expected, strict=True)), (numbers, expected)


def box(page: Page, slot: int):
    return page.locator(f'svg.box-overlay .box[data-box="{slot}"]')


def draw_in_screen_pixels(page: Page, screen: Screen, start: tuple[int, int], end: tuple[int, int]) -> list[float]:
    """Drag between whole CSS pixels measured from the image's corner; returns the expected box."""
    a = (screen.left + start[0], screen.top + start[1])
    b = (screen.left + end[0], screen.top + end[1])
    drag(page, a, b)
    return [*screen.to_image(*a), *screen.to_image(*b)]


def test_two_drawn_boxes_land_in_the_fields_in_original_pixels(page):
    open_editor(page)  # 1600 × 1200 shown 400 px wide: one CSS pixel is four image pixels
    screen = Screen(page, 1600, 1200)
    first = draw_in_screen_pixels(page, screen, (50, 40), (210, 180))
    expect(field(page, 0, "y2")).not_to_have_value("")
    second = draw_in_screen_pixels(page, screen, (250, 200), (390, 290))
    expect(field(page, 1, "y2")).not_to_have_value("")

    assert_near(values(page, 0), first)
    assert_near(values(page, 1), second)
    assert values(page, 0) == ["200", "160", "840", "720"]
    expect(page.locator("svg.box-overlay .box:not([display])")).to_have_count(2)


def test_boxes_match_original_pixels_on_a_hidpi_screen_with_an_enlarged_image(hidpi_page):
    page = open_editor(hidpi_page, 200, 150, shown_width=810)  # 4.05 CSS pixels per image pixel, DPR 2
    screen = Screen(page, 200, 150)
    expected = draw_in_screen_pixels(page, screen, (101, 57), (523, 401))
    expect(field(page, 0, "y2")).not_to_have_value("")

    assert_near(values(page, 0), expected)
    assert values(page, 0) == ["25", "14", "129", "99"]


def test_a_touch_drag_draws_a_box_without_scrolling_the_page(touch_page):
    page = open_editor(touch_page)
    screen = Screen(page, 1600, 1200)
    # Playwright has no touch drag; Chromium's DevTools protocol sends real touch input.
    cdp = page.context.new_cdp_session(page)
    (ax, ay), (bx, by) = screen.to_screen(200, 200), screen.to_screen(800, 600)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": ax, "y": ay}]})
    for k in range(1, 5):
        point = {"x": ax + (bx - ax) * k / 4, "y": ay + (by - ay) * k / 4}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    expect_box(page, 0, [200, 200, 800, 600])
    assert page.evaluate("window.scrollY") == 0


def test_a_drag_past_the_image_edge_is_clamped_to_the_image(page):
    open_editor(page)
    screen = Screen(page, 1600, 1200)
    drag(page, screen.to_screen(1200, 800), screen.to_screen(1800, 1500))
    expect_box(page, 0, [1200, 800, 1600, 1200])


def test_third_box_is_refused_with_a_message(page):
    open_editor(page, boxes=[[0, 0, 400, 400], [800, 800, 1200, 1200]])
    screen = Screen(page, 1600, 1200)
    drag(page, screen.to_screen(1300, 100), screen.to_screen(1500, 400))

    expect(page.locator(".box-message")).to_have_text(
        "Image 1 already has 2 boxes, the most allowed. Remove one to draw another."
    )
    expect(page.locator("svg.box-overlay .box:not([display])")).to_have_count(2)
    expect_box(page, 0, [0, 0, 400, 400])
    expect_box(page, 1, [800, 800, 1200, 1200])
    assert page.evaluate("window.heard.boxes") == []


def test_box_under_the_minimum_size_is_refused(page):
    open_editor(page)
    screen = Screen(page, 1600, 1200)
    drag(page, screen.to_screen(400, 400), screen.to_screen(404, 800))  # one CSS pixel wide: 4 image pixels

    expect(page.locator(".box-message")).to_contain_text("at least 8 × 8 px")
    expect(box(page, 0)).to_be_hidden()
    assert values(page, 0) == ["", "", "", ""]


def test_arrow_keys_move_a_focused_box_by_exact_original_pixels(page):
    open_editor(page, boxes=[[100, 200, 300, 400]])
    box(page, 0).focus()
    page.keyboard.press("ArrowRight")
    expect_box(page, 0, [101, 200, 301, 400])
    page.keyboard.press("Shift+ArrowDown")
    expect_box(page, 0, [101, 210, 301, 410])
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowLeft")
    expect_box(page, 0, [91, 209, 291, 409])

    expect(box(page, 0)).to_be_focused()
    expect(box(page, 0)).to_have_attribute("aria-label", "Image 1, box 1: x1 91, y1 209, x2 291, y2 409. "
                                           "Arrows move, Shift+arrows move 10 px, Alt+arrows resize, Delete removes.")
    assert page.evaluate("window.scrollY") == 0


def test_alt_arrows_resize_from_the_bottom_right_corner(page):
    open_editor(page, boxes=[[100, 200, 300, 400]])
    box(page, 0).focus()
    page.keyboard.press("Alt+ArrowRight")
    expect_box(page, 0, [100, 200, 301, 400])
    page.keyboard.press("Alt+Shift+ArrowUp")
    expect_box(page, 0, [100, 200, 301, 390])
    expect(box(page, 0)).to_be_focused()


def test_keyboard_moves_stop_at_the_image_edge(page):
    open_editor(page, boxes=[[3, 100, 200, 300], [1400, 1000, 1595, 1195]])
    box(page, 0).focus()
    page.keyboard.press("Shift+ArrowLeft")
    expect_box(page, 0, [0, 100, 197, 300])
    page.keyboard.press("ArrowLeft")
    expect_box(page, 0, [0, 100, 197, 300])

    box(page, 1).focus()
    page.keyboard.press("Shift+ArrowDown")
    expect_box(page, 1, [1400, 1005, 1595, 1200])
    page.keyboard.press("Alt+Shift+ArrowRight")
    expect_box(page, 1, [1400, 1005, 1600, 1200])


def test_delete_removes_the_focused_box_and_empties_its_fields(page):
    open_editor(page, boxes=[[100, 200, 300, 400], [500, 500, 700, 700]])
    box(page, 0).focus()
    page.keyboard.press("Delete")

    expect_box(page, 0, ["", "", "", ""])
    expect(box(page, 0)).to_be_hidden()
    expect_box(page, 1, [500, 500, 700, 700])
    assert page.evaluate("window.heard.boxes") == [[[500, 500, 700, 700]]]


def test_remove_button_clears_its_box(page):
    open_editor(page, boxes=[[100, 200, 300, 400], [500, 500, 700, 700]])
    page.get_by_role("button", name="Remove Image 1, box 2").click()

    expect_box(page, 1, ["", "", "", ""])
    expect(box(page, 1)).to_be_hidden()
    expect(page.locator('fieldset[data-box="1"]')).to_be_hidden()  # its empty fields fold away
    expect(page.locator(".box-message")).to_have_text("Removed Image 1, box 2.")


def test_typing_four_numbers_draws_the_box(page):
    open_editor(page)
    page.get_by_role("button", name="Type a box on Image 1").click()  # no box yet: its fields are hidden
    field(page, 0, "x1").fill("100")
    field(page, 0, "y1").fill("50")
    field(page, 0, "x2").fill("90")
    field(page, 0, "y2").fill("250")
    expect(box(page, 0)).to_be_hidden()
    expect(page.locator(".box-message")).to_contain_text("x1 must be less than x2")

    field(page, 0, "x2").fill("900")
    rect = box(page, 0).locator(".box-rect")
    expect(rect).to_have_attribute("x", "100")
    expect(rect).to_have_attribute("y", "50")
    expect(rect).to_have_attribute("width", "800")
    expect(rect).to_have_attribute("height", "200")
    expect(page.locator(".box-message")).to_have_text("")
    assert page.evaluate("window.heard.boxes") == [[[100, 50, 900, 250]]]


def test_dragging_inside_a_box_moves_it_and_keeps_its_size(page):
    open_editor(page, boxes=[[400, 400, 800, 700]])
    screen = Screen(page, 1600, 1200)
    start = screen.to_screen(600, 500)
    drag(page, start, (start[0] + 30, start[1] - 20))  # 120 right, 80 up in image pixels
    expect_box(page, 0, [520, 320, 920, 620])

    drag(page, screen.to_screen(700, 400), screen.to_screen(-200, -200))  # far past the top-left corner
    expect_box(page, 0, [0, 0, 400, 300])


def test_dragging_a_corner_handle_resizes_the_box(page):
    open_editor(page, boxes=[[400, 400, 800, 700]])
    screen = Screen(page, 1600, 1200)
    handle = box(page, 0).locator(".box-handle[data-corner='se']").bounding_box()
    assert handle is not None
    centre = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    # 12 screen pixels plus its 2 px outline, not 12 image pixels (3 screen pixels at this scale)
    assert handle["width"] == pytest.approx(14, abs=1)
    drag(page, centre, (centre[0] + 25, centre[1] + 10))
    expect_box(page, 0, [400, 400, 900, 740])

    nw = screen.to_screen(400, 400)
    drag(page, nw, (nw[0] - 50, nw[1] + 5))
    expect_box(page, 0, [200, 420, 900, 740])


def test_every_change_fires_boxes_changed_and_field_change_events(page):
    open_editor(page, boxes=[[], [500, 500, 700, 700]])
    screen = Screen(page, 1600, 1200)
    drag(page, screen.to_screen(100, 100), screen.to_screen(300, 200))
    expect_box(page, 0, [100, 100, 300, 200])
    page.keyboard.press("ArrowDown")  # the new box has focus
    expect_box(page, 0, [100, 101, 300, 201])

    assert page.evaluate("window.heard.boxes") == [
        [[100, 100, 300, 200], [500, 500, 700, 700]],
        [[100, 101, 300, 201], [500, 500, 700, 700]],
    ]
    assert page.evaluate("window.heard.changes") == [
        "ref-7-box-0-x1", "ref-7-box-0-y1", "ref-7-box-0-x2", "ref-7-box-0-y2",
        "ref-7-box-0-y1", "ref-7-box-0-y2",
    ]


def test_reconnecting_does_not_duplicate_the_overlay_or_listeners(page):
    open_editor(page, boxes=[[100, 200, 300, 400]])
    page.evaluate("""() => {
        const el = document.querySelector('box-editor');
        const parent = el.parentNode;
        el.remove();
        parent.append(el);
    }""")
    expect(page.locator("svg.box-overlay")).to_have_count(1)
    expect(page.locator(".box-remove")).to_have_count(2)

    box(page, 0).focus()
    page.keyboard.press("ArrowRight")
    expect_box(page, 0, [101, 200, 301, 400])
    page.get_by_role("button", name="Type a box on Image 1").click()
    for name, value in zip(NAMES, ["10", "10", "50", "50"], strict=True):
        field(page, 1, name).fill(value)
    expect(box(page, 1)).to_be_visible()
    assert len(page.evaluate("window.heard.boxes")) == 2


def test_an_enhanced_snapshot_swapped_back_in_is_not_enhanced_twice(page):
    """htmx history restores the enhanced markup (overlay and buttons included)."""
    open_editor(page, boxes=[[100, 200, 300, 400]])
    page.evaluate("""() => {
        const el = document.querySelector('box-editor');
        const holder = document.createElement('div');
        holder.innerHTML = el.outerHTML;
        el.replaceWith(holder.firstElementChild);
    }""")
    expect(page.locator("svg.box-overlay")).to_have_count(1)
    expect(page.locator(".box-remove")).to_have_count(2)
    expect(box(page, 0).locator(".box-rect")).to_have_attribute("width", "200")
