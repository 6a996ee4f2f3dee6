"""Makers of alice's objects for the whole-API tests, one per kind of path parameter.

The key is (the collection the parameter follows in the path, the parameter's name): for
`/api/v1/images/{id}/comments` it is ("images", "id"). A maker takes alice (admin of Lighthouse)
and the objects made so far for the same path, and returns the value to put in the path.

Whoever adds an endpoint with a new kind of path parameter adds its maker here; until then
tests/test_api_every_endpoint.py fails for that endpoint, naming the missing key.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.base import ContentFile

from studio.api.models import ApiReference
from studio.pipeline.models import Batch, Job
from studio.webhooks.models import WebhookEndpoint
from tests.gallery_helpers import finished_job
from tests.images import png_bytes


def _image(alice, made: dict) -> int:
    return finished_job(alice, n=1).outputs.get().pk


def _job(alice, made: dict) -> int:
    return finished_job(alice, n=1).pk


def _reference(alice, made: dict) -> int:
    reference = ApiReference(team=alice.teams.get(), user=alice, mime="image/png", width=320, height=240)
    reference.file.save("ref.png", ContentFile(png_bytes(320, 240)), save=False)
    reference.save()
    return reference.pk


def _batch(alice, made: dict) -> int:
    job = finished_job(alice, n=1)
    batch = Batch.objects.create(team=alice.teams.get(), owner=alice, name="Fox series", finished_at=job.created_at)
    Job.objects.filter(pk=job.pk).update(batch=batch)
    return batch.pk


def _webhook(alice, made: dict) -> int:
    # Made directly: the service checks the URL's address, and this one never receives anything.
    return WebhookEndpoint.objects.create(team=alice.teams.get(), url="https://hooks.example.com/receiver").pk


MAKERS: dict[tuple[str, str], Callable[[object, dict], object]] = {
    ("images", "id"): _image,
    ("jobs", "id"): _job,
    ("jobs", "job_id"): _job,
    ("references", "reference_id"): _reference,
    ("batches", "id"): _batch,
    ("webhooks", "webhook_id"): _webhook,
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
