"""<mask-brush> in a real browser: the saved mask is a black and white PNG in the original image's pixels.

No Django here: a tiny HTTP server serves the element's markup (the DOM contract), the repo's static
files under the studio's CSP, an 800 × 600 image shown 400 px wide, and a /save endpoint that records
every uploaded mask. The tests wait on the save request's answer and on the `mask-saved` event.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from tests.js_catalog import javascript_catalog

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parent.parent / "static"
WIDTH, HEIGHT = 800, 600
SHOWN_WIDTH = 400  # half size: one CSS pixel is two image pixels
TOKEN = "csrf-token-for-the-mask-test"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
# Counts what the page hears; a static script because the CSP refuses inline ones.
TEST_JS = b"""
window.saved = [];
window.cspViolations = [];
document.addEventListener('mask-saved', (e) => window.saved.push(e.detail));
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective));
"""
TEST_CSS = f"body {{ margin: 8px; }} mask-brush img {{ width: {SHOWN_WIDTH}px; }}".encode()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass
class Upload:
    field: str
    filename: str | None
    content_type: str
    data: bytes
    csrf: str | None


@dataclass
class MaskServer:
    url: str = ""
    mask_url: str = ""  # data-mask-url of the page
    initial_mask: bytes = b""  # served at /mask.png
    answer: tuple[int, str] = (204, "")  # what /save answers
    hold: threading.Event | None = None  # when set, /save answers only once this is set
    uploads: list[Upload] = field(default_factory=list)

    def page_html(self) -> bytes:
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mask</title>
<link rel="stylesheet" href="/test.css">
<link rel="stylesheet" href="/static/css/mask-brush.css">
<script src="/jsi18n/"></script>
<script src="/test.js"></script>
<script src="/static/js/mask-brush.js" defer></script>
</head><body>
<form method="post" action="/edit">
<input type="hidden" name="csrfmiddlewaretoken" value="{TOKEN}">
<mask-brush data-width="{WIDTH}" data-height="{HEIGHT}" data-label="Image 1"
            data-save-url="/save" data-mask-url="{self.mask_url}">
  <div class="mask-stage">
    <img src="/img.png" alt="Image 1 ({WIDTH} × {HEIGHT} px)" width="{WIDTH}" height="{HEIGHT}" draggable="false">
  </div>
  <p class="mask-message" role="status" aria-live="polite"></p>
</mask-brush>
</form>
</body></html>""".encode()


def handler_for(server: MaskServer, image: bytes) -> type[BaseHTTPRequestHandler]:
    files = {
        "/img.png": ("image/png", image),
        "/jsi18n/": ("text/javascript", javascript_catalog()),
        "/test.js": ("text/javascript", TEST_JS),
        "/test.css": ("text/css", TEST_CSS),
        "/static/js/mask-brush.js": ("text/javascript", (STATIC / "js" / "mask-brush.js").read_bytes()),
        "/static/css/mask-brush.css": ("text/css", (STATIC / "css" / "mask-brush.css").read_bytes()),
    }

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet test output
            pass

        def reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            if status != 204:
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if status != 204:
                self.wfile.write(body)

        def do_GET(self):
            if self.path == "/":
                self.reply(200, "text/html; charset=utf-8", server.page_html())
            elif self.path == "/mask.png" and server.initial_mask:
                self.reply(200, "image/png", server.initial_mask)
            elif self.path in files:
                self.reply(200, *files[self.path])
            else:
                self.reply(404, "text/plain", b"not found")

        def do_POST(self):
            if self.path != "/save":
                return self.reply(404, "text/plain", b"not found")
            body = self.rfile.read(int(self.headers["Content-Length"]))
            head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + body)
            for part in message.iter_parts():
                server.uploads.append(
                    Upload(
                        field=part.get_param("name", header="content-disposition"),
                        filename=part.get_filename(),
                        content_type=part.get_content_type(),
                        data=part.get_payload(decode=True),
                        csrf=self.headers.get("X-CSRFToken"),
                    )
                )
            if server.hold is not None:
                server.hold.wait(timeout=15)
            status, text = server.answer
            self.reply(status, "text/plain; charset=utf-8", text.encode())

    return Handler


@pytest.fixture
def server() -> Iterator[MaskServer]:
    state = MaskServer()
    image = Image.new("RGB", (WIDTH, HEIGHT), (90, 140, 110))
    ImageDraw.Draw(image).ellipse((250, 150, 550, 450), fill=(220, 200, 60))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state, png(image)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join()


# ---- helpers ----------------------------------------------------------------------------------------


def open_brush(page: Page, server: MaskServer) -> Page:
    page.goto(server.url + "/")
    expect(page.locator("mask-brush .mask-stage > canvas")).to_have_count(1)
    page.wait_for_function("() => document.querySelector('mask-brush img').complete")
    return page


def canvas(page: Page):
    return page.locator("mask-brush canvas")


def shown(page: Page, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of a point given in CSS pixels from the shown image's top-left corner."""
    box = page.locator("mask-brush img").bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def drag(page: Page, start: tuple[float, float], end: tuple[float, float], steps: int = 2) -> None:
    page.mouse.move(*shown(page, *start))
    page.mouse.down()
    page.mouse.move(*shown(page, *end), steps=steps)  # few, far apart move events: a fast stroke
    page.mouse.up()


def is_save(response) -> bool:
    return response.url.endswith("/save") and response.request.method == "POST"


def is_save_request(request) -> bool:
    return request.url.endswith("/save") and request.method == "POST"


def saved_mask(page: Page, server: MaskServer, action) -> Image.Image:
    """Run `action`, wait for the one save it causes and its `mask-saved` event; the uploaded mask."""
    before = len(server.uploads)
    events = page.evaluate("window.saved.length")
    with page.expect_response(is_save) as answer:
        action()
    assert answer.value.status == 204
    page.wait_for_function("n => window.saved.length >= n", arg=events + 1)
    assert len(server.uploads) == before + 1
    upload = server.uploads[-1]
    assert (upload.field, upload.filename, upload.content_type) == ("mask", "mask.png", "image/png")
    assert upload.csrf == TOKEN
    return black_and_white(upload.data)


def black_and_white(data: bytes) -> Image.Image:
    mask = Image.open(io.BytesIO(data))
    assert mask.format == "PNG"
    assert mask.size == (WIDTH, HEIGHT)
    assert mask.mode in ("L", "RGB"), mask.mode
    for band in mask.split():
        counts = band.histogram()
        assert sum(counts[1:255]) == 0, "only black (0) and white (255) pixels"
    return mask.convert("L")


def white(mask: Image.Image, x: int, y: int) -> bool:
    return mask.getpixel((x, y)) == 255


def white_count(mask: Image.Image) -> int:
    return mask.histogram()[255]


def no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.cspViolations") == []


def painted_stroke(page: Page, server: MaskServer) -> Image.Image:
    """A brush stroke from image (200, 300) to (600, 300), shown at (100, 150) to (300, 150)."""
    return saved_mask(page, server, lambda: drag(page, (100, 150), (300, 150)))


# ---- tests ------------------------------------------------------------------------------------------


def test_the_canvas_covers_the_image_and_the_toolbar_is_labelled(page, server):
    open_brush(page, server)
    img = page.locator("mask-brush img").bounding_box()
    box = canvas(page).bounding_box()
    assert img is not None and box is not None
    assert img["width"] == SHOWN_WIDTH
    assert box == img
    assert canvas(page).evaluate("c => [c.width, c.height]") == [WIDTH, HEIGHT]

    toolbar = page.get_by_role("toolbar", name="Mask tools for Image 1")
    expect(toolbar.get_by_role("button", name="Brush", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(toolbar.get_by_role("button", name="Eraser")).to_have_attribute("aria-pressed", "false")
    size = toolbar.get_by_role("slider", name="Brush size")
    expect(size).to_have_attribute("min", "4")
    expect(size).to_have_attribute("max", "200")  # round(800 / 4)
    expect(size).to_have_value("40")  # round(800 / 20)
    expect(toolbar.get_by_role("button", name="Clear mask")).to_be_visible()
    expect(canvas(page)).to_have_attribute("tabindex", "0")
    expect(canvas(page)).to_have_attribute("aria-label", "Mask of Image 1: " + (
        "arrows move the brush (Shift: 10 px), Space paints (hold it with arrows to paint a line), "
        "E toggles eraser, [ and ] change size, Delete clears"))
    no_csp_violations(page)


def test_a_fast_mouse_stroke_saves_a_gapless_white_line_in_original_pixels(page, server):
    open_brush(page, server)
    mask = painted_stroke(page, server)

    # Shown (100, 150) to (300, 150) is image (200, 300) to (600, 300); the brush is 40 px across.
    assert all(white(mask, x, 300) for x in range(200, 601)), "no gaps between far apart move events"
    assert all(white(mask, x, y) for x in (210, 400, 590) for y in (283, 300, 316))
    assert not any(white(mask, x, y) for x in (300, 500) for y in (270, 330))
    assert not white(mask, 170, 300) and not white(mask, 630, 300)
    for corner in [(0, 0), (WIDTH - 1, 0), (0, HEIGHT - 1), (WIDTH - 1, HEIGHT - 1), (100, 100), (700, 500)]:
        assert not white(mask, *corner)
    # A 400 × 40 band with round caps: about 400 * 40 + pi * 20² pixels.
    assert white_count(mask) == pytest.approx(400 * 40 + 3.1416 * 400, rel=0.03)
    assert page.evaluate("window.saved") == [{"pixels": white_count(mask), "width": WIDTH, "height": HEIGHT}]
    assert page.evaluate("document.querySelector('mask-brush').maskPixels()") == white_count(mask)
    expect(page.get_by_role("status")).to_have_text("Mask saved.")
    no_csp_violations(page)


def test_the_eraser_removes_white_from_the_next_saved_mask(page, server):
    open_brush(page, server)
    painted_stroke(page, server)
    eraser = page.get_by_role("button", name="Eraser")
    eraser.click()
    expect(eraser).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Brush", exact=True)).to_have_attribute("aria-pressed", "false")

    # A vertical eraser stroke through image x = 400 (shown x = 200), 40 px wide.
    mask = saved_mask(page, server, lambda: drag(page, (200, 120), (200, 180)))
    assert not any(white(mask, x, 300) for x in range(385, 415))
    assert white(mask, 300, 300) and white(mask, 500, 300)
    assert white(mask, 210, 300) and white(mask, 590, 300)


def test_the_keyboard_alone_paints_dabs_at_the_cursor(page, server):
    open_brush(page, server)
    canvas(page).focus()
    expect(page.locator("mask-brush .mask-cursor")).to_be_visible()

    mask = saved_mask(page, server, lambda: page.keyboard.press("Space"))
    # The cursor starts at the centre (400, 300); a dab 40 px across covers pixels 380..419.
    assert white(mask, 400, 300) and white(mask, 381, 300) and white(mask, 418, 300)
    assert white(mask, 400, 282) and white(mask, 400, 317)
    assert not white(mask, 376, 300) and not white(mask, 423, 300) and not white(mask, 400, 323)
    first = white_count(mask)
    assert first == pytest.approx(3.1416 * 20 * 20, rel=0.05)

    for _ in range(5):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    mask = saved_mask(page, server, lambda: page.keyboard.press("Space"))
    # A second dab centred 50 px to the right, at (450, 300): pixels 430..469.
    assert white(mask, 450, 300) and white(mask, 431, 300) and white(mask, 468, 300)
    assert not white(mask, 425, 300) and not white(mask, 473, 300)
    assert white(mask, 400, 300)
    assert white_count(mask) == pytest.approx(2 * first, abs=2)
    assert page.evaluate("window.scrollY") == 0
    expect(canvas(page)).to_be_focused()
    no_csp_violations(page)


def test_keys_toggle_the_eraser_and_change_the_brush_size(page, server):
    open_brush(page, server)
    canvas(page).focus()
    saved_mask(page, server, lambda: page.keyboard.press("Space"))  # a 40 px dab at (400, 300)

    size = page.get_by_role("slider", name="Brush size")
    page.keyboard.press("]")
    expect(size).to_have_value("44")
    page.keyboard.press("[")
    page.keyboard.press("[")
    expect(size).to_have_value("36")  # 44 * 0.9 = 39.6, then 40 * 0.9
    expect(page.get_by_role("status")).to_have_text("Brush size 36 px")

    page.keyboard.press("e")
    expect(page.get_by_role("button", name="Eraser")).to_have_attribute("aria-pressed", "true")
    mask = saved_mask(page, server, lambda: page.keyboard.press("Enter"))
    # The 36 px eraser leaves a 2 px ring of the 40 px dab.
    assert not white(mask, 400, 300) and not white(mask, 383, 300) and not white(mask, 416, 300)
    assert white(mask, 381, 300) and white(mask, 418, 300)

    page.keyboard.press("E")
    expect(page.get_by_role("button", name="Brush", exact=True)).to_have_attribute("aria-pressed", "true")
    mask = saved_mask(page, server, lambda: page.keyboard.press("Delete"))
    assert white_count(mask) == 0


def test_clear_mask_saves_an_all_black_mask(page, server):
    open_brush(page, server)
    assert white_count(painted_stroke(page, server)) > 0

    mask = saved_mask(page, server, lambda: page.get_by_role("button", name="Clear mask").click())
    assert white_count(mask) == 0
    assert mask.getextrema() == (0, 0)
    assert canvas(page).evaluate(
        "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v !== 0)"
    ) is False


def test_a_refused_save_shows_the_servers_reason(page, server):
    server.answer = (422, "Mask must be 800×600")
    open_brush(page, server)
    with page.expect_response(is_save) as answer:
        drag(page, (100, 150), (300, 150))
    assert answer.value.status == 422

    expect(page.get_by_role("status")).to_have_text("Mask must be 800×600")
    expect(page.locator(".mask-message")).to_have_class("mask-message is-error")
    assert page.evaluate("window.saved") == []
    assert len(server.uploads) == 1


def test_the_saved_mask_is_loaded_and_kept(page, server):
    previous = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(previous).rectangle((0, 0, 99, 99), fill=255)  # 100 × 100 white square
    server.initial_mask = png(previous)
    server.mask_url = "/mask.png"
    open_brush(page, server)
    page.wait_for_function("() => document.querySelector('mask-brush').maskPixels() === 10000")
    # The display shows it, tinted and semi-transparent.
    assert canvas(page).evaluate("c => Array.from(c.getContext('2d').getImageData(50, 50, 1, 1).data)") == [
        255, 0, 80, 115,
    ]

    canvas(page).focus()
    mask = saved_mask(page, server, lambda: page.keyboard.press("Space"))
    assert white(mask, 0, 0) and white(mask, 99, 99) and not white(mask, 100, 100)
    assert white(mask, 400, 300)
    assert white_count(mask) == pytest.approx(10000 + 3.1416 * 400, rel=0.01)


def test_changes_made_while_a_save_is_in_flight_are_sent_by_one_more_save(page, server):
    server.hold = threading.Event()
    open_brush(page, server)
    canvas(page).focus()
    with page.expect_request(is_save_request):
        page.keyboard.press("Space")  # a dab at (400, 300): the first save, held by the server
    for _ in range(2):
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Space")  # dabs at (420, 300) and (440, 300) while it is in flight
    expect(page.locator("mask-brush")).to_have_attribute("data-saving", "")
    server.hold.set()
    page.wait_for_function("() => window.saved.length === 2")
    expect(page.locator("mask-brush")).not_to_have_attribute("data-saving", "")

    assert len(server.uploads) == 2
    first, last = (black_and_white(upload.data) for upload in server.uploads)
    assert white(first, 400, 300) and not white(first, 430, 300) and not white(first, 450, 300)
    assert white(last, 400, 300) and white(last, 430, 300) and white(last, 450, 300)
    assert [saved["pixels"] for saved in page.evaluate("window.saved")] == [white_count(first), white_count(last)]


def test_strokes_land_in_original_pixels_on_a_hidpi_screen(hidpi_page, server):
    page = open_brush(hidpi_page, server)
    mask = saved_mask(page, server, lambda: drag(page, (50, 50), (50, 250), steps=3))
    # Shown x = 50 is image x = 100, from y = 100 to 500.
    assert all(white(mask, 100, y) for y in range(100, 501))
    assert white(mask, 85, 300) and white(mask, 114, 300)
    assert not white(mask, 76, 300) and not white(mask, 124, 300)


def test_a_touch_stroke_paints_without_scrolling_the_page(touch_page, server):
    page = open_brush(touch_page, server)
    # Playwright has no touch drag; Chromium's DevTools protocol sends real touch input.
    cdp = page.context.new_cdp_session(page)
    (ax, ay), (bx, by) = shown(page, 50, 50), shown(page, 350, 250)

    def stroke():
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": ax, "y": ay}]})
        for k in range(1, 4):
            point = {"x": ax + (bx - ax) * k / 3, "y": ay + (by - ay) * k / 3}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    mask = saved_mask(page, server, stroke)
    # Image (100, 100) to (700, 500), a diagonal.
    assert all(white(mask, 100 + 6 * k, 100 + 4 * k) for k in range(101))
    assert not white(mask, 700, 100) and not white(mask, 100, 500)
    assert page.evaluate("window.scrollY") == 0
