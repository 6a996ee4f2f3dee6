"""POST /api/v1/references: an upload or a URL, checked as the editor checks uploads; the answer
is the reference's id and upright size. GET one; other teams get 404."""

from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from PIL import Image

from studio.api.models import ApiReference
from tests.api_job_helpers import Api, problems, secret_for
from tests.hostile_inputs import chunk_bombs
from tests.http_script_server import ScriptServer, answer
from tests.images import png_bytes, png_upload

pytestmark = pytest.mark.django_db


@contextmanager
def serving(*replies):
    """A loopback HTTP server answering these replies in turn."""
    with ScriptServer() as server:
        server.script(*replies)
        yield server


@pytest.fixture
def api(client, alice, media):
    return Api(client, secret_for(alice))


@pytest.fixture
def loopback_allowed(settings):
    settings.OUTGOING_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def _sideways_jpeg() -> bytes:
    # A 400×300 photo whose EXIF says "rotate 90°": upright it is 300×400.
    image = Image.new("RGB", (400, 300), "#884422")
    exif = image.getexif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_an_upload_answers_its_id_and_upright_size(api, lighthouse):
    upload = io.BytesIO(_sideways_jpeg())
    upload.name = "photo.jpg"
    created = api.upload("/api/v1/references", upload)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["width"], body["height"], body["mime"]) == (300, 400, "image/jpeg")
    assert set(body) == {"id", "width", "height", "mime", "created_at"}
    stored = ApiReference.objects.get(pk=body["id"])
    assert stored.team == lighthouse and (stored.width, stored.height) == (300, 400)
    assert api.get(f"/api/v1/references/{body['id']}").json() == body


def test_another_team_gets_404_for_a_reference(api, client, mallory):
    ref = api.reference()
    outsider = Api(client, secret_for(mallory, "Harbour"))
    refused = outsider.get(f"/api/v1/references/{ref}")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"
    assert outsider.get("/api/v1/references/999999").json() == refused.json()


def test_a_bad_upload_is_refused_with_the_editors_message(api):
    refused = api.upload("/api/v1/references", png_upload("tiny.png", 100, 100))
    assert refused.status_code == 422
    assert "240" in problems(refused)["body.file"]
    not_image = io.BytesIO(b"hello, not an image")
    not_image.name = "notes.txt"
    refused = api.upload("/api/v1/references", not_image)
    assert refused.status_code == 422 and "body.file" in problems(refused)
    assert ApiReference.objects.count() == 0


def test_an_upload_without_a_file_names_the_field(api):
    refused = api.client.post("/api/v1/references", {"other": "x"}, **api.auth)
    assert refused.status_code == 422
    assert problems(refused) == {"body.file": "send the image as the multipart field `file`"}


def test_a_reference_by_url_from_an_allowed_loopback_server(api, loopback_allowed):
    with serving(answer(200, png_bytes(500, 400))) as server:
        created = api.post("/api/v1/references", {"url": server.url + "/pictures/cat.png"})
    assert created.status_code == 201, created.content
    assert (created.json()["width"], created.json()["height"]) == (500, 400)


def test_a_loopback_url_is_refused_unless_the_admin_allows_it(api, settings):
    settings.OUTGOING_ALLOWED_NETWORKS = []
    with serving(answer(200, png_bytes(500, 400))) as server:
        refused = api.post("/api/v1/references", {"url": server.url + "/cat.png"})
        assert server.requests == [], "nothing was sent to a refused address"
    assert refused.status_code == 422
    assert "private or local address" in problems(refused)["body.url"]


def test_a_redirect_to_a_refused_address_is_not_followed(api, settings):
    # The first hop is allowed (127.0.0.1), the redirect points at a private address that is not.
    settings.OUTGOING_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with serving(answer(302, None, {"Location": "http://10.255.255.1/cat.png"})) as server:
        refused = api.post("/api/v1/references", {"url": server.url + "/cat.png"})
    assert refused.status_code == 422
    assert "10.255.255.1" in problems(refused)["body.url"]


def test_redirects_are_followed_at_most_three_times(api, loopback_allowed):
    with serving(*(answer(302, None, {"Location": f"/hop{i}"}) for i in range(4))) as server:
        refused = api.post("/api/v1/references", {"url": server.url + "/start"})
        assert len(server.requests) == 4
    assert problems(refused)["body.url"] == "the URL redirects more than 3 times"
    with serving(answer(302, None, {"Location": "/b"}), answer(200, png_bytes(300, 300))) as server:
        assert api.post("/api/v1/references", {"url": server.url + "/a"}).status_code == 201


@pytest.mark.parametrize(
    ("served", "words"),
    [
        (answer(200, "<html>not an image</html>"), "not"),
        (answer(404, "gone"), "HTTP 404"),
        (answer(200, b"\x89PNG" + b"\0" * (21 * 1024 * 1024)), "over the 20 MB limit"),
        (answer(200, chunk_bombs()["zTXt bomb"]), ""),
    ],
    ids=["not an image", "not found", "too big", "decompression bomb"],
)
def test_a_bad_image_by_url_is_refused_with_its_reason(api, loopback_allowed, served, words):
    with serving(served) as server:
        refused = api.post("/api/v1/references", {"url": server.url + "/x.png"})
    assert refused.status_code == 422, refused.content
    assert words in problems(refused)["body.url"]
    assert ApiReference.objects.count() == 0


def test_a_pixel_bomb_by_url_is_refused(api, loopback_allowed):
    # A small file that claims a huge canvas: refused before the pixels are decoded.
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    with serving(answer(200, out.getvalue())) as server:
        refused = api.post("/api/v1/references", {"url": server.url + "/bomb.png"})
    assert refused.status_code == 422
    assert "body.url" in problems(refused)


@pytest.mark.parametrize(
    ("body", "path"),
    [({"url": 12}, "body.url"), ({"url": "ftp://example.com/x.png"}, "body.url"), ({"link": "x"}, "body.link"),
     ({"url": "https://example.com/x.png", "model": "wan9"}, "body.model")],
)
def test_a_wrong_url_body_names_its_field(api, body, path):
    refused = api.post("/api/v1/references", body)
    assert refused.status_code == 422, refused.content
    assert path in problems(refused)


def test_malformed_json_is_400(api):
    refused = api.post("/api/v1/references", raw="{not json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "malformed"


def test_without_a_token_it_is_401(client, media):
    assert client.post("/api/v1/references", {"url": "https://example.com/x.png"}, content_type="application/json").status_code == 401
    assert client.get("/api/v1/references/1").status_code == 401
