"""Makers of alice's objects for the whole-API tests, one per kind of path parameter.

The key is (the collection the parameter follows in the path, the parameter's name): for
`/api/v1/images/{id}/comments` it is ("images", "id"). A maker takes alice (admin of Lighthouse)
and the objects made so far for the same path, and returns the value to put in the path.

Whoever adds an endpoint with a new kind of path parameter adds its maker here; until then
tests/test_api_every_endpoint.py fails for that endpoint, naming the missing key.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.gallery_helpers import finished_job


def _image(alice, made: dict) -> int:
    return finished_job(alice, n=1).outputs.get().pk


def _job(alice, made: dict) -> int:
    return finished_job(alice, n=1).pk


MAKERS: dict[tuple[str, str], Callable[[object, dict], object]] = {
    ("images", "id"): _image,
    ("jobs", "id"): _job,
}

# Parameters that name something every team shares (the capability table): nothing to isolate.
SHARED: dict[tuple[str, str], object] = {
    ("models", "name"): "wan2.7-image",
}


def missing(op) -> list[tuple[str, str]]:
    return [key for key in op.path_params if key not in MAKERS and key not in SHARED]


def make_path(op, alice) -> str:
    """The operation's path with alice's objects in it (fails if a parameter has no maker)."""
    made: dict[str, object] = {}
    for key in op.path_params:
        if key in SHARED:
            made[key[1]] = SHARED[key]
        else:
            made[key[1]] = MAKERS[key](alice, made)
    return op.url(made)


def placeholder_path(op) -> str:
    """The path with a made-up id in every parameter (for checks that stop before any lookup)."""
    return op.url({name: SHARED.get((collection, name), 1) for collection, name in op.path_params})
