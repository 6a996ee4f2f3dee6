"""Hostile input to every API operation the schema lists: never a 5xx, always the one error shape,
and a field's problem names the field's path.

Cases are generated from the served OpenAPI schema at collection time: every JSON body gets
malformed JSON, top-level values of the wrong kind, each property with wrong types (strings for
numbers, unicode digits, numbers for strings), nulls and deeply nested arrays; every body gets a
body over the request limit; every multipart file field gets damaged images; every query
parameter gets odd digits and numbers past 64 bits.
"""

from __future__ import annotations

import json
import struct

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import hostile_inputs
from tests.api_calls import call, secret_for
from tests.api_makers import MAKERS, SHARED, make_path, placeholder_path
from tests.api_schema import accepts_null, example, operations, properties, resolve, schema, wrong_types
from tests.images import png_bytes

pytestmark = pytest.mark.django_db

OPERATIONS = operations()
JSON_BODIES = [op for op in OPERATIONS if op.body_kind == "json"]
MULTIPART = [op for op in OPERATIONS if op.body_kind == "multipart"]
WITH_BODY = JSON_BODIES + MULTIPART

MALFORMED = {
    "cut short": b'{"text": "a',
    "trailing comma": b'{"text": "a",}',
    "single quotes": b"{'text': 'a'}",
    "not utf-8": b'{"text": "\xff\xfe"}',
    "bare word": b"nul",
    "deep arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
}
WRONG_TOP = {"list": [], "number": 123, "string": "١٢٣", "null": None, "true": True}


def _path_for(op, alice) -> str:
    # Alice's real objects where a maker exists, so bodies that pass validation reach the service.
    if all(key in MAKERS or key in SHARED for key in op.path_params):
        return make_path(op, alice)
    return placeholder_path(op)


def _refused_in_shape(answer, *, field: str | None = None) -> dict:
    """A 4xx in the common shape; with `field`, a problem whose path is that field or inside it."""
    assert answer.status_code < 500, (answer.status_code, answer.content[:500])
    if answer.status_code < 400:
        return {}
    assert answer["Content-Type"].startswith("application/json"), answer.content[:200]
    error = answer.json()["error"]
    assert error["status"] == answer.status_code and error["code"] and error["message"]
    for problem in error["problems"]:
        assert problem["path"] and problem["message"], error
    if answer.status_code == 422:
        assert error["problems"], error
    if field is not None:
        assert answer.status_code in (400, 422), (answer.status_code, error)
        paths = [p["path"] for p in error["problems"]]
        assert any(p == field or p.startswith((field + ".", field + "[")) for p in paths), (field, paths)
    return error


@pytest.fixture
def alices(alice, media):
    return secret_for(alice)


def _cases(ops, make):
    return [pytest.param(op, *case, id=f"{op}-{case[0]}") for op in ops for case in make(op)]


@pytest.mark.parametrize("op", JSON_BODIES, ids=str)
@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_json_is_400_naming_the_body(client, alice, alices, op, name):
    answer = call(client, op.method, _path_for(op, alice), alices, body=MALFORMED[name])
    assert answer.status_code == 400
    assert _refused_in_shape(answer)["code"] == "malformed"


@pytest.mark.parametrize("op", JSON_BODIES, ids=str)
@pytest.mark.parametrize("name", list(WRONG_TOP))
def test_a_body_of_the_wrong_kind_is_refused(client, alice, alices, op, name):
    answer = call(client, op.method, _path_for(op, alice), alices, body=json.dumps(WRONG_TOP[name]))
    assert 400 <= answer.status_code < 500
    _refused_in_shape(answer, field="body")


def _property_cases(op):
    cases = []
    for prop, spec in properties(op.body_schema).items():
        for value in wrong_types(spec):
            cases.append((f"{prop}={json.dumps(value, ensure_ascii=False)}", prop, value))
    return cases


@pytest.mark.parametrize(("op", "label", "prop", "value"), _cases(JSON_BODIES, _property_cases))
def test_a_wrong_type_is_422_on_its_path(client, alice, alices, op, label, prop, value):
    body = {**example(op.body_schema), prop: value}
    answer = call(client, op.method, _path_for(op, alice), alices, body=json.dumps(body))
    assert answer.status_code == 422, (answer.status_code, answer.content[:300])
    _refused_in_shape(answer, field=f"body.{prop}")


DEEP = "__5000 nested arrays__"


def _null_and_nesting_cases(op):
    cases = []
    for prop in properties(op.body_schema):
        cases.append((f"{prop}=null", prop, None))
        cases.append((f"{prop}=5000 nested arrays", prop, DEEP))
    return cases


@pytest.mark.parametrize(("op", "label", "prop", "value"), _cases(JSON_BODIES, _null_and_nesting_cases))
def test_nulls_and_deep_nesting_never_break_anything(client, alice, alices, op, label, prop, value):
    # Python's own encoder would recurse too deep for 5000 levels: the nesting is written by hand.
    text = json.dumps({**example(op.body_schema), prop: value}).replace(f'"{DEEP}"', "[" * 5_000 + "1" + "]" * 5_000)
    answer = call(client, op.method, _path_for(op, alice), alices, body=text)
    error = _refused_in_shape(answer)
    if answer.status_code == 422:
        assert all(p["path"] for p in error["problems"]), error
        if value is not None or not accepts_null(properties(op.body_schema)[prop]):
            assert any(p["path"].startswith(f"body.{prop}") for p in error["problems"]), error


@pytest.mark.parametrize("op", WITH_BODY, ids=str)
def test_a_body_over_the_limit_is_413_in_the_common_shape(client, alices, op):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if op.body_kind == "json" else settings.REQUEST_BODY_MAX_BYTES
    if op.body_kind == "json":
        body = json.dumps({"text": "x" * (limit + 10)})
        answer = call(client, op.method, placeholder_path(op), alices, body=body)
    else:
        # The size is judged from Content-Length before anything is read.
        answer = call(client, op.method, placeholder_path(op), alices, body=b"{}", CONTENT_LENGTH=str(limit + 1))
    assert answer.status_code == 413
    error = _refused_in_shape(answer)
    assert error["code"] == "too_large" and "MB" in error["message"]


def test_an_over_limit_api_body_is_413_even_on_an_unknown_path(client, alices):
    answer = call(client, "post", "/api/v1/nowhere", alices, body=b"{}", CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


def _pixel_bomb() -> bytes:
    # A PNG whose header claims 60000 × 60000 pixels (3.6 gigapixels) over a few bytes of data.
    png = png_bytes(8, 8)
    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    return png[:8] + hostile_inputs._chunk(b"IHDR", ihdr) + png[33:]


def _bad_images() -> dict[str, tuple[str, bytes]]:
    png = hostile_inputs.valid("PNG")
    bad = {f"truncated PNG ({name})": ("ref.png", data) for name, data in list(hostile_inputs.truncations(png).items())[:3]}
    bad.update({name: ("ref.png", data) for name, data in hostile_inputs.chunk_bombs().items()})
    bad.update({name: ("ref.bin", data) for name, data in hostile_inputs.broken_headers().items()})
    bad["pixel bomb"] = ("bomb.png", _pixel_bomb())
    bad["not an image"] = ("ref.png", b"%PDF-1.7 this is not an image at all")
    bad["empty file"] = ("ref.png", b"")
    bad["wrong extension"] = ("ref.exe", png_bytes(64, 64))
    return bad


def _file_fields(op) -> list[str]:
    return [
        name
        for name, spec in properties(op.body_schema).items()
        if spec.get("format") == "binary" or resolve(spec.get("items", {})).get("format") == "binary"
    ]


def _upload_cases(op):
    return [(f"{field}: {name}", field, filename, data) for field in _file_fields(op) for name, (filename, data) in _bad_images().items()]


@pytest.mark.parametrize(("op", "label", "field", "filename", "data"), _cases(MULTIPART, _upload_cases))
def test_bad_images_by_upload_are_refused_naming_the_file(client, alice, alices, op, label, field, filename, data):
    form = {name: value for name, value in (example(op.body_schema) or {}).items() if not isinstance(value, bytes | list)}
    form[field] = SimpleUploadedFile(filename, data, content_type="image/png")
    answer = client.post(_path_for(op, alice), form, HTTP_AUTHORIZATION=f"Bearer {alices}")
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.content[:300])
    error = _refused_in_shape(answer)
    assert error["problems"] and any(field in p["path"] for p in error["problems"]), error


ODD_QUERY_VALUES = ("١٢٣", "²", "99999999999999999999999", "-1", "1e3", "\u0000", "x" * 10_000, "%ff")


def _query_cases(op):
    spec = schema()["paths"][op.path][op.method]
    names = [p["name"] for p in spec.get("parameters", []) if p["in"] == "query"]
    return [(f"{name}={value[:12]!r}", name, value) for name in names for value in ODD_QUERY_VALUES]


@pytest.mark.parametrize(("op", "label", "name", "value"), _cases(OPERATIONS, _query_cases))
def test_odd_query_values_are_never_a_5xx(client, alices, op, label, name, value):
    from urllib.parse import quote

    answer = call(client, op.method, f"{placeholder_path(op)}?{name}={quote(value)}", alices)
    error = _refused_in_shape(answer)
    if answer.status_code == 422:
        assert any(p["path"] == f"query.{name}" for p in error["problems"]), error


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.path_params], ids=str)
@pytest.mark.parametrize("value", ["١٢", "99999999999999999999999", "-1", "0", "1.5", "%20"])
def test_odd_ids_in_the_path_are_never_a_5xx(client, alices, op, value):
    values = {name: value for _, name in op.path_params}
    answer = call(client, op.method, op.url(values), alices, json=example(op.body_schema) if op.body_kind == "json" else None)
    _refused_in_shape(answer)
