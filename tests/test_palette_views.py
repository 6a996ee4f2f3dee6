"""The palette's server side (issue 19): colours from the references by default and on request,
and buttons that say what they do. Driven like the page drives it: the test client with htmx's header."""

from __future__ import annotations

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from studio.editor.models import Draft
from tests.test_editor_views import HTMX, draft_of, form, palette_fields, png, upload

STARTER = ["#1F3A5F", "#E8D5B7", "#C8553D"]


@pytest.fixture
def editor(alice_client, media):
    return alice_client


def stripes(*colours: str, name: str = "stripes.png") -> SimpleUploadedFile:
    """Equal vertical stripes of the given colours, 128 px each (the smallest side taken is 240 px)."""
    image = Image.new("RGB", (128 * len(colours), 256))
    for i, colour in enumerate(colours):
        image.paste(Image.new("RGB", (128, 256), colour), (128 * i, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def noise(seed: int, name: str) -> SimpleUploadedFile:
    rnd = random.Random(seed)
    image = Image.new("RGB", (256, 256))
    image.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(256 * 256)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def hundredths(palette: list[dict[str, str]]) -> list[int]:
    return [int(row["percent"].replace(".", "")) for row in palette]


def test_switching_the_palette_on_beside_references_starts_from_their_colours(editor, alice):
    upload(editor, stripes("#FF0000", "#00FF00", name="a.png"), stripes("#0000FF", "#0000FF", name="b.png"))
    response = editor.post("/create/palette/toggle", form(Draft.current_for(alice), palette_enabled="on"), **HTMX)
    assert response.status_code == 200
    palette = {row["hex"]: row["percent"] for row in draft_of(alice).palette}
    # Each picture weighs the same: red and green a quarter each, blue the half from image 2.
    assert palette == {"#0000FF": "50.00", "#FF0000": "25.00", "#00FF00": "25.00"}


def test_switching_the_palette_on_without_references_starts_from_the_starter(editor, alice):
    editor.post("/create/palette/toggle", form(Draft.current_for(alice), palette_enabled="on"), **HTMX)
    palette = draft_of(alice).palette
    assert [row["hex"] for row in palette] == STARTER
    assert sum(hundredths(palette)) == 10000


def test_use_colours_from_references_gives_five_colours_totalling_100_percent(editor, alice):
    upload(editor, noise(1, "a.png"), noise(2, "b.png"), noise(3, "c.png"))
    mine = palette_fields(("#112233", "50.00"), ("#445566", "30.00"), ("#778899", "20.00"))
    response = editor.post("/create/palette/references", form(Draft.current_for(alice), **mine), **HTMX)
    assert response.status_code == 200
    palette = draft_of(alice).palette
    assert len(palette) == 5 and "#112233" not in {row["hex"] for row in palette}
    assert sum(hundredths(palette)) == 10000
    page = response.content.decode()
    assert all(f'value="{row["hex"]}"' in page for row in palette), "the new colours are drawn at once"


def test_use_colours_from_references_without_references_says_what_to_do(editor, alice):
    mine = palette_fields(("#112233", "50.00"), ("#445566", "30.00"), ("#778899", "20.00"))
    response = editor.post("/create/palette/references", form(Draft.current_for(alice), **mine), **HTMX)
    assert response.status_code == 422
    assert "Add a reference image first" in response.content.decode()
    assert [row["hex"] for row in draft_of(alice).palette] == ["#112233", "#445566", "#778899"]


def test_references_of_one_flat_colour_say_a_colour_is_missing(editor, alice):
    upload(editor, png(colour="#123456"))
    response = editor.post("/create/palette/toggle", form(Draft.current_for(alice), palette_enabled="on"), **HTMX)
    assert response.status_code == 422
    assert "Image 1 has only 1 distinct colour; add colours until there are at least 3." in response.content.decode()
    assert draft_of(alice).palette == [{"hex": "#123456", "percent": "100.00"}], "what was found is kept to build on"


def test_a_teammates_references_never_colour_my_palette(editor, alice, bob):
    bobs = Client()
    bobs.force_login(bob)
    upload(bobs, stripes("#FF0000", "#00FF00", "#0000FF"))
    assert Draft.objects.get(owner=bob).references.count() == 1
    editor.post("/create/palette/toggle", form(Draft.current_for(alice), palette_enabled="on"), **HTMX)
    assert [row["hex"] for row in draft_of(alice).palette] == STARTER


def test_the_palette_buttons_say_what_they_do(editor, alice):
    upload(editor, stripes("#FF0000", "#00FF00", "#0000FF"))
    editor.post("/create/palette/toggle", form(Draft.current_for(alice), palette_enabled="on"), **HTMX)
    page = editor.get("/create/").content.decode()
    for button, help_id, words in (
        ("Even split", "palette-even-help", "same share"),
        ("Normalize to 100%", "palette-normalize-help", "Keeps the proportions"),
        ("Use colours from references", "palette-references-help", "main colours of image 1"),
    ):
        assert f'aria-describedby="{help_id}">{button}</button>' in page
        assert f'<p id="{help_id}" class="hint">' in page and words in page
    assert "left to assign" in page or "over by" in page
