"""Every operation the served OpenAPI schema lists: 401 without a usable token, 404 to another team.

The cases are made from the schema at collection time, so an endpoint added later is checked
without touching this file; one whose path parameter has no maker in tests/api_makers.py fails
and says which maker to add.
"""

from __future__ import annotations

import pytest

from studio.api.tokens import token_create, token_revoke
from tests.api_calls import call, secret_for
from tests.api_makers import SHARED, make_path, missing, placeholder_path
from tests.api_schema import example, operations

pytestmark = pytest.mark.django_db

OPERATIONS = operations()
# Operations naming a team's object (a path parameter that is not only shared things like a model).
WITH_IDS = [op for op in OPERATIONS if any(key not in SHARED for key in op.path_params)]


def _body(op):
    return example(op.body_schema) if op.body_kind == "json" else None


def _is_error(answer, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.content[:300])
    error = answer.json()["error"]
    assert error["status"] == status and error["code"] == code and error["message"]


def test_the_schema_lists_the_gallery_and_models():
    listed = {str(op) for op in OPERATIONS}
    assert "GET /api/v1/images" in listed and "POST /api/v1/images/{id}/review" in listed and "GET /api/v1/models" in listed


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_operation_is_401_without_a_token(client, op):
    _is_error(call(client, op.method, placeholder_path(op), json=_body(op)), 401, "unauthenticated")
    _is_error(call(client, op.method, placeholder_path(op), "ws_not-a-token", json=_body(op)), 401, "unauthenticated")


@pytest.mark.parametrize("op", OPERATIONS, ids=str)
def test_every_operation_is_401_with_a_revoked_token(client, alice, lighthouse, op):
    new = token_create(user=alice, team=lighthouse, name="revoked")
    token_revoke(token=new.token)
    _is_error(call(client, op.method, placeholder_path(op), new.secret, json=_body(op)), 401, "unauthenticated")


@pytest.mark.parametrize("op", WITH_IDS, ids=str)
def test_every_operation_on_alices_object_is_404_to_mallory(client, alice, mallory, media, op):
    absent = missing(op)
    if absent:
        pytest.fail(
            f"{op}: no maker for path parameter(s) {absent} in tests/api_makers.py MAKERS. Add one that makes "
            "alice's object (or list it in SHARED if every team shares it), so this endpoint is checked for team isolation."
        )
    path = make_path(op, alice)
    refused = call(client, op.method, path, secret_for(mallory), json=_body(op))
    _is_error(refused, 404, "not_found")
    # The maker made something alice can reach: the 404 above is isolation, not a wrong id.
    assert call(client, op.method, path, secret_for(alice), json=_body(op)).status_code != 404


WRITES = [op for op in OPERATIONS if op.method != "get"]


@pytest.mark.parametrize("op", WRITES, ids=str)
def test_every_write_from_the_browser_session_needs_csrf(alice, media, op):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    path = make_path(op, alice) if not missing(op) else placeholder_path(op)
    answer = call(browser, op.method, path, json=_body(op))
    assert answer.status_code in (401, 403), (answer.status_code, answer.content[:200])
    assert answer.json()["error"]["message"]
