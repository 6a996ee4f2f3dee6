"""POST /api/v1/batches and friends: many jobs in one request, admitted together or not at all.

The first tests call the API through Django's test client; the last one runs a batch of 20
variations through real HTTP (a live server), real queue workers and the emulator.
"""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from studio.accounting.models import LedgerEntry, TeamBudget
from studio.api.models import ApiReference
from studio.api.tokens import token_create
from studio.pipeline.batches import BATCH_MAX_ITEMS
from studio.pipeline.budgets import month_of
from studio.pipeline.models import Batch, Job, JobStatus
from tests.billing_helpers import price
from tests.gallery_helpers import finished_job
from tests.images import png_bytes

S = JobStatus
MONTH = month_of()[0].strftime("%B")
TEMPLATE = {"model": "wan2.7-image", "prompt": "A lighthouse at dawn", "size": "1K", "n": 1}


@pytest.fixture
def alice_token(alice, lighthouse):
    return token_create(user=alice, team=lighthouse, name="batch script").secret


@pytest.fixture
def mallory_token(mallory):
    return token_create(user=mallory, team=mallory.teams.get(), name="snoop").secret


def post(client, token, body, raw=None):
    return client.post(
        "/api/v1/batches",
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def get(client, token, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def variations(count: int) -> list[dict]:
    return [{"prompt": f"A lighthouse, take {i + 1}", "seed": i + 1} for i in range(count)]


def problems(answer) -> dict[str, str]:
    return {p["path"]: p["message"] for p in answer.json()["error"]["problems"]}


def reference(owner, team, width=480, height=320) -> ApiReference:
    ref = ApiReference(team=team, user=owner, mime="image/png", width=width, height=height)
    ref.file.save("ref.png", ContentFile(png_bytes(width, height, "#2a6f97")), save=False)
    ref.save()
    return ref


# --- making a batch ---------------------------------------------------------------------------


def test_a_template_with_variations_makes_one_job_per_variation(client, alice_token, media):
    answer = post(client, alice_token, {"name": "Dawn series", "template": TEMPLATE, "variations": variations(3)})

    assert answer.status_code == 201, answer.content
    batch = answer.json()
    jobs = Job.objects.filter(batch_id=batch["id"]).order_by("pk")
    assert [(j.prompt, j.parameters["seed"], j.parameters["n"]) for j in jobs] == [
        ("A lighthouse, take 1", 1, 1), ("A lighthouse, take 2", 2, 1), ("A lighthouse, take 3", 3, 1)
    ]
    assert batch["name"] == "Dawn series" and batch["progress"]["queued"] == 3 and not batch["progress"]["finished"]
    assert batch["page_url"].endswith(f"/batches/{batch['id']}/")


def test_a_list_of_job_bodies_makes_those_jobs(client, alice, lighthouse, alice_token, media):
    ref = reference(alice, lighthouse)
    bodies = [
        {**TEMPLATE, "prompt": "Image 1 at night", "references": [{"id": ref.pk, "boxes": [[10, 10, 200, 200]]}]},
        {**TEMPLATE, "model": "wan2.7-image-pro", "prompt": "A lighthouse in fog"},
    ]
    answer = post(client, alice_token, {"jobs": bodies})

    assert answer.status_code == 201, answer.content
    first, second = Job.objects.filter(batch_id=answer.json()["id"]).order_by("pk")
    assert first.references.get().boxes == [[10, 10, 200, 200]]
    assert second.model == "wan2.7-image-pro"


def test_a_variation_replaces_the_templates_references_whole(client, alice, lighthouse, alice_token, media):
    one, two = reference(alice, lighthouse), reference(alice, lighthouse, 320, 480)
    template = {**TEMPLATE, "prompt": "Image 1 in winter", "references": [{"id": one.pk}]}
    answer = post(client, alice_token, {"template": template, "variations": [{}, {"references": [{"id": two.pk}]}]})

    assert answer.status_code == 201, answer.content
    kept, replaced = Job.objects.filter(batch_id=answer.json()["id"]).order_by("pk")
    assert (kept.references.get().width, replaced.references.get().width) == (480, 320)


def test_the_same_idempotency_key_replays_the_first_batch_instead_of_making_another(client, alice_token, media):
    body = {"template": TEMPLATE, "variations": variations(3)}
    key = {"HTTP_IDEMPOTENCY_KEY": "nightly-run-2026-12-01"}
    first = client.post("/api/v1/batches", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {alice_token}", **key)
    again = client.post("/api/v1/batches", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {alice_token}", **key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Batch.objects.count() == 1 and Job.objects.count() == 3

    other = {"template": TEMPLATE, "variations": variations(4)}
    refused = client.post("/api/v1/batches", data=json.dumps(other), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {alice_token}", **key)
    assert refused.status_code == 422 and "header.Idempotency-Key" in problems(refused)


# --- refusals: nothing is made -----------------------------------------------------------------


def test_one_bad_variation_refuses_the_batch_naming_its_index(client, alice_token, media):
    items = variations(5)
    items[3]["n"] = 40
    answer = post(client, alice_token, {"template": TEMPLATE, "variations": items})

    assert answer.status_code == 422
    assert list(problems(answer)) == ["body.variations[3].n"]
    assert Job.objects.count() == 0 and Batch.objects.count() == 0


def test_a_gate_problem_in_one_job_body_names_its_index_in_the_bodys_words(client, alice, lighthouse, alice_token, media):
    ref = reference(alice, lighthouse)
    bodies = [dict(TEMPLATE), {**TEMPLATE, "references": [{"id": ref.pk, "boxes": [[0, 0, 100, 100]] * 3}]}]
    answer = post(client, alice_token, {"jobs": bodies})

    assert answer.status_code == 422
    assert all(path.startswith("body.jobs[1].references[0].boxes") for path in problems(answer)), problems(answer)
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "variation, path",
    [({"seed": "12"}, "body.variations[1].seed"), ({"seed": "١٢"}, "body.variations[1].seed"), ({"sead": 1}, "body.variations[1].sead")],
)
def test_a_wrongly_typed_variation_is_refused_at_its_path(client, alice_token, media, variation, path):
    answer = post(client, alice_token, {"template": TEMPLATE, "variations": [{}, variation]})

    assert answer.status_code == 422 and path in problems(answer)
    assert Job.objects.count() == 0


def test_more_than_the_limit_is_refused_naming_it(client, alice_token, media):
    answer = post(client, alice_token, {"template": TEMPLATE, "variations": variations(BATCH_MAX_ITEMS + 1)})

    assert answer.status_code == 422
    assert str(BATCH_MAX_ITEMS) in problems(answer)["body.variations"]
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "body, path",
    [
        ({"template": TEMPLATE, "variations": [{}], "jobs": [TEMPLATE]}, "body"),
        ({"template": TEMPLATE}, "body.variations"),
        ({"variations": [{}]}, "body.template"),
        ({}, "body.jobs"),
        ({"jobs": []}, "body.jobs"),
        ({"jobs": TEMPLATE}, "body.jobs"),
    ],
)
def test_a_batch_is_either_jobs_or_a_template_with_variations(client, alice_token, body, path):
    answer = post(client, alice_token, body)
    assert answer.status_code == 422 and path in problems(answer), answer.json()


def test_malformed_json_is_a_400(client, alice_token):
    answer = post(client, alice_token, None, raw='{"template": ')
    assert answer.status_code == 400 and answer.json()["error"]["status"] == 400


def test_another_teams_reference_is_a_404_at_its_path(client, mallory, alice_token, media):
    theirs = reference(mallory, mallory.teams.get())
    answer = post(client, alice_token, {"template": {**TEMPLATE, "references": [{"id": theirs.pk}]}, "variations": [{}]})

    assert answer.status_code == 404
    assert "body.variations[0].references[0].id" in problems(answer)


def test_a_budget_for_19_of_20_jobs_is_a_402_with_what_is_left_and_what_was_needed(client, lighthouse, alice_token, media):
    price("wan2.7-image", "emulator", "0.03")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("0.57"))

    answer = post(client, alice_token, {"template": TEMPLATE, "variations": variations(20)})

    assert answer.status_code == 402
    error = answer.json()["error"]
    assert error["message"] == (
        f"This batch of 20 jobs could cost up to 0.60 USD; Lighthouse has 0.57 USD left of its 0.57 USD budget "
        f"for {MONTH}. No job was made."
    )
    assert Decimal(error["left"]["amount"]) == Decimal("0.57") and error["needed"] == {"jobs": 20, "amount": "0.60", "currency": "USD", "images": 20}
    assert Job.objects.count() == 0 and Batch.objects.count() == 0


# --- reading batches ----------------------------------------------------------------------------


def test_progress_counts_jobs_images_and_cost(client, alice, lighthouse, alice_token, media):
    price("wan2.7-image", "singapore", "0.03")
    batch = Batch.objects.create(team=lighthouse, owner=alice)
    done = finished_job(alice, n=2)
    LedgerEntry.objects.create(job=done, team=lighthouse, user=alice, model=done.model, region="singapore", image_count=2, cost=Decimal("0.06"))
    failed = finished_job(alice, n=1)
    Job.objects.filter(pk__in=[done.pk, failed.pk]).update(batch=batch)
    Job.objects.filter(pk=failed.pk).update(status=S.FAILED, images_stored=0)
    failed.outputs.all().delete()

    progress = get(client, alice_token, f"/api/v1/batches/{batch.pk}").json()

    assert progress["progress"] | {"cost": None} == {
        "total": 2, "queued": 0, "running": 0, "attention": 0, "done": 1, "failed": 1, "canceled": 0,
        "images_stored": 2, "cost": None, "finished": False,
    }
    assert progress["progress"]["cost"] == {"USD": "0.06"}
    assert progress["jobs"] == [
        {"id": done.pk, "status": "succeeded", "images": list(done.outputs.values_list("pk", flat=True))},
        {"id": failed.pk, "status": "failed", "images": []},
    ]


def test_the_jobs_list_filters_by_batch(client, alice_token, media):
    first = post(client, alice_token, {"template": TEMPLATE, "variations": variations(2)}).json()
    post(client, alice_token, {"template": TEMPLATE, "variations": variations(3)})

    listed = get(client, alice_token, f"/api/v1/jobs?batch={first['id']}").json()["jobs"]

    assert sorted(j["id"] for j in listed) == [j["id"] for j in first["jobs"]]
    assert {j["batch"] for j in listed} == {first["id"]}


def test_the_list_pages_with_a_cursor(client, alice, lighthouse, alice_token):
    made = [Batch.objects.create(team=lighthouse, owner=alice, name=f"b{i}") for i in range(5)]

    first = get(client, alice_token, "/api/v1/batches?limit=2").json()
    second = get(client, alice_token, f"/api/v1/batches?limit=2&cursor={first['next']}").json()
    third = get(client, alice_token, f"/api/v1/batches?limit=2&cursor={second['next']}").json()

    ids = [b["id"] for page in (first, second, third) for b in page["batches"]]
    assert ids == [b.pk for b in reversed(made)] and third["next"] is None


@pytest.mark.parametrize("query, path", [("limit=0", "query.limit"), ("limit=١٢", "query.limit"), ("cursor=abc", "query.cursor")])
def test_bad_paging_is_a_422_naming_the_parameter(client, alice_token, query, path):
    answer = get(client, alice_token, f"/api/v1/batches?{query}")
    assert answer.status_code == 422 and path in problems(answer)


def test_the_zip_holds_every_stored_image(client, alice, lighthouse, alice_token, media):
    batch = Batch.objects.create(team=lighthouse, owner=alice)
    jobs = [finished_job(alice, n=n) for n in (1, 3)]
    Job.objects.filter(pk__in=[j.pk for j in jobs]).update(batch=batch)

    answer = get(client, alice_token, f"/api/v1/batches/{batch.pk}/zip")

    assert answer.status_code == 200 and answer["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(answer.streaming_content)))
    assert len([n for n in archive.namelist() if n.endswith(".png")]) == 4


@pytest.mark.parametrize("suffix", ["", "/zip"])
def test_another_team_gets_404_and_no_token_401(client, alice, lighthouse, mallory_token, suffix):
    batch = Batch.objects.create(team=lighthouse, owner=alice)

    assert get(client, mallory_token, f"/api/v1/batches/{batch.pk}{suffix}").status_code == 404
    assert get(client, mallory_token, f"/api/v1/batches/{batch.pk + 1000}{suffix}").status_code == 404
    assert client.get(f"/api/v1/batches/{batch.pk}{suffix}").status_code == 401
    assert get(client, mallory_token, "/api/v1/batches").json()["batches"] == []


def test_making_a_batch_needs_a_token(client):
    assert client.post("/api/v1/batches", data="{}", content_type="application/json").status_code in (401, 403)


# --- end to end: real HTTP, real queue workers, the emulator ---------------------------------


@pytest.fixture
def emulator():
    from studio.wan_emulator.server import EmulatorConfig, EmulatorServer

    server = EmulatorServer(EmulatorConfig(pending_seconds=0.2, running_seconds=0.5)).start()
    yield server
    server.shutdown()


@pytest.fixture
def cluster(emulator, media, tmp_path):
    from tests.cluster import Cluster, cluster_env

    started = Cluster(cluster_env(emulator.url), tmp_path / "cluster.log")
    yield started
    started.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_batch_of_20_variations_runs_to_20_jobs_one_charge_each_within_the_budget(
    live_server, lighthouse, alice_token, mallory_token, emulator, cluster
):
    import httpx

    from tests.cluster import wait_for

    price("wan2.7-image", "emulator", "0.03")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("0.75"))
    api = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {alice_token}"}, timeout=30)
    body = {"name": "Twenty dawns", "template": TEMPLATE, "variations": variations(20)}

    made = api.post("/batches", json=body)
    assert made.status_code == 201, made.text
    batch_id = made.json()["id"]

    # Watched in the database: polling the API every 50 ms would meet the token's rate limit.
    wait_for(lambda: Batch.objects.filter(pk=batch_id, finished_at__isnull=False).exists(), timeout=180, what="the batch to finish")
    done = api.get(f"/batches/{batch_id}").json()
    assert done["progress"] | {"cost": None} == {
        "total": 20, "queued": 0, "running": 0, "attention": 0, "done": 20, "failed": 0, "canceled": 0,
        "images_stored": 20, "cost": None, "finished": True,
    }, cluster.output()[-3000:]
    assert done["progress"]["cost"] == {"USD": "0.60"}
    charges = LedgerEntry.objects.filter(job__batch_id=batch_id, kind="charge")
    assert sorted(charges.values_list("job_id", flat=True)) == sorted(j["id"] for j in done["jobs"])
    assert Batch.objects.get(pk=batch_id).finished_at is not None
    tasks = httpx.get(emulator.root_url + "/emulator/stats").json()["by_prompt"]
    assert [tasks.get(f"A lighthouse, take {i + 1}") for i in range(20)] == [1] * 20, "one provider task per job"

    # The budget has 0.15 USD left: a second batch of 20 would pass it, so none of it is made.
    refused = api.post("/batches", json=body)
    assert refused.status_code == 402
    assert Decimal(refused.json()["error"]["left"]["amount"]) == Decimal("0.15")
    assert refused.json()["error"]["needed"]["amount"] == "0.60"
    assert Job.objects.count() == 20 and Batch.objects.count() == 1

    archive_bytes = api.get(f"/batches/{batch_id}/zip")
    assert archive_bytes.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(archive_bytes.content))
    images = [n for n in archive.namelist() if n.endswith(".png")]
    assert len(images) == 20 and archive.testzip() is None

    snoop = httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"Authorization": f"Bearer {mallory_token}"})
    assert snoop.get(f"/batches/{batch_id}").status_code == 404
    assert snoop.get(f"/batches/{batch_id}/zip").status_code == 404


# --- hostile input: every refusal a 4xx naming what it refuses, never a 5xx --------------------


@pytest.mark.parametrize(
    "body",
    [
        [], "text", 12, None, {"jobs": "abc"}, {"jobs": [None]}, {"jobs": [[]]}, {"template": []}, {"template": TEMPLATE, "variations": {}},
        {"template": TEMPLATE, "variations": [None]}, {"template": TEMPLATE, "variations": ["prompt"]},
        {"template": TEMPLATE, "variations": [{"seed": 10**30}]}, {"template": TEMPLATE, "variations": [{"n": "١٢"}]},
        {"template": TEMPLATE, "variations": [{"references": [{"id": 10**30}]}]}, {"template": TEMPLATE, "variations": [{"prompt": "x" * 100_000}]},
        {"name": 12, "jobs": [TEMPLATE]}, {"name": "x" * 10_000, "jobs": [TEMPLATE]}, {"name": "\u0000", "jobs": [TEMPLATE]},
        {"jobs": [TEMPLATE] * 1000}, {"template": {**TEMPLATE, "model": "no-such-model"}, "variations": [{}]},
    ],
)
def test_hostile_batch_bodies_are_4xx_never_5xx(client, alice_token, media, body):
    answer = post(client, alice_token, body)
    assert 400 <= answer.status_code < 500, answer.content
    error = answer.json()["error"]
    assert error["problems"] or error["message"]
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/batches/99999999999999999999999", "/api/v1/batches/0", "/api/v1/batches/-1", "/api/v1/batches/١٢",
        "/api/v1/batches/99999999999999999999999/zip", "/api/v1/batches?cursor=99999999999999999999999",
        "/api/v1/batches?cursor=" + "A" * 5000, "/api/v1/batches?limit=99999999999999999999999", "/api/v1/batches?limit=-1",
    ],
)
def test_hostile_paths_and_queries_are_4xx(client, alice_token, path):
    answer = get(client, alice_token, path)
    assert 400 <= answer.status_code < 500, answer.content


def test_a_huge_batch_body_is_refused(client, alice_token, settings):
    answer = post(client, alice_token, None, raw='{"name": "' + "x" * (settings.REQUEST_BODY_MAX_BYTES + 10) + '"}')
    assert 400 <= answer.status_code < 500
