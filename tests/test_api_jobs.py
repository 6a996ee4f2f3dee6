"""/api/v1/jobs: the editor's job, from a script. Made through the same gate (validation,
budget, isolation), refused with the body's own paths and the editor's words, read back with
its step, images and cost, listed a page at a time, canceled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studio.accounting.models import TeamBudget
from studio.pipeline.models import Job, JobStatus
from tests.api_job_helpers import Api, emulator_timing, fast_emulator, problems, secret_for, studio_url  # noqa: F401 (fixtures)
from tests.billing_helpers import price
from tests.hostile_inputs import ODD_DIGITS

pytestmark = pytest.mark.django_db

MODEL = "wan2.7-image"
PALETTE = [{"hex": "#112233", "ratio": "60.00"}, {"hex": "#445566", "ratio": 25}, {"hex": "#778899", "ratio": "15%"}]


@pytest.fixture
def api(client, alice, media):
    return Api(client, secret_for(alice))


@pytest.fixture
def refs(api) -> list[int]:
    return [api.reference(480, 320), api.reference(300, 400, "#884422")]


def edit_body(refs, **changes) -> dict:
    body = {
        "model": MODEL,
        "prompt": "Put the lamp of image 1 into the box on image 2",
        "references": [{"id": refs[0]}, {"id": refs[1], "boxes": [[20, 30, 200, 300]]}],
        "color_palette": PALETTE,
        "size": "1K",
        "n": 2,
        "seed": 42,
    }
    body.update(changes)
    return body


def test_an_edit_job_with_two_references_boxes_and_a_palette_is_made(api, refs, alice, lighthouse):
    created = api.post("/api/v1/jobs", edit_body(refs))
    assert created.status_code == 201, created.content
    shown = created.json()
    job = Job.objects.get(pk=shown["id"])
    assert (job.owner, job.team, job.model, job.status) == (alice, lighthouse, MODEL, JobStatus.QUEUED)
    assert job.parameters["color_palette"] == [
        {"hex": "#112233", "hundredths": 6000}, {"hex": "#445566", "hundredths": 2500}, {"hex": "#778899", "hundredths": 1500}
    ]
    assert (job.parameters["n"], job.parameters["seed"], job.parameters["size"]) == (2, 42, "1K")
    assert [r["boxes"] for r in shown["references"]] == [[], [[20, 30, 200, 300]]]
    assert [(r["width"], r["height"]) for r in shown["references"]] == [(480, 320), (300, 400)]
    assert shown["status"] == "queued" and shown["step"].startswith("Queued")
    assert shown["images"] == [] and shown["cost"] is None
    assert api.get(f"/api/v1/jobs/{job.pk}").json()["id"] == job.pk


def test_the_studio_picks_a_seed_when_none_is_given(api, refs):
    created = api.post("/api/v1/jobs", edit_body(refs, seed=None))
    assert isinstance(Job.objects.get(pk=created.json()["id"]).parameters["seed"], int)


def test_a_box_past_the_limit_is_named_by_its_path(api, refs):
    body = edit_body(refs)
    body["references"][1]["boxes"] = [[10, 10, 60, 60], [70, 70, 120, 120], [130, 130, 200, 200]]
    refused = api.post("/api/v1/jobs", body)
    assert refused.status_code == 422
    assert problems(refused) == {"body.references[1].boxes[2]": "has 3 boxes on image 2; at most 2 per image"}
    assert Job.objects.count() == 0


def test_a_box_outside_its_image_and_a_tiny_box_are_named(api, refs):
    body = edit_body(refs)
    body["references"][1]["boxes"] = [[10, 10, 14, 14], [0, 0, 290, 999]]
    found = problems(api.post("/api/v1/jobs", body))
    assert found["body.references[1].boxes[0]"] == "4×4 px is too small: a box is at least 8 px on each side"
    assert list(found) == ["body.references[1].boxes[0]"], "form checks first, as in the editor"
    body["references"][1]["boxes"] = [[0, 0, 290, 999]]
    found = problems(api.post("/api/v1/jobs", body))
    assert list(found) == ["body.references[1].boxes[0]"]
    assert "400" in found["body.references[1].boxes[0]"]


def test_a_palette_not_summing_to_100_has_the_editors_message(api, refs):
    palette = [{"hex": "#112233", "ratio": "60.00"}, {"hex": "#445566", "ratio": 25}, {"hex": "#778899", "ratio": 14.99}]
    refused = api.post("/api/v1/jobs", edit_body(refs, color_palette=palette))
    assert refused.status_code == 422
    assert problems(refused) == {"body.color_palette": "Palette ratios add up to 99.99%; they must total exactly 100.00%."}


def test_a_ratio_with_three_decimals_and_a_bad_hex_are_named(api, refs):
    palette = [{"hex": "#11223", "ratio": "60.00"}, {"hex": "#445566", "ratio": 24.999}, {"hex": "#778899", "ratio": "15"}]
    found = problems(api.post("/api/v1/jobs", edit_body(refs, color_palette=palette)))
    assert found == {
        "body.color_palette[0].hex": "“#11223” is not a hex colour like #1A2B3C",
        "body.color_palette[1].ratio": "ratio “24.999” is not a percentage like 25.00",
    }


def test_too_few_palette_colours(api, refs):
    palette = [{"hex": "#112233", "ratio": "50"}, {"hex": "#445566", "ratio": "50"}]
    assert problems(api.post("/api/v1/jobs", edit_body(refs, color_palette=palette))) == {
        "body.color_palette": "2 colours; use 3–10."
    }


@pytest.mark.parametrize("field", ["n", "seed"])
@pytest.mark.parametrize("typed", [*ODD_DIGITS[:4], "2", 2.5, True])
def test_numbers_must_be_numbers(api, refs, field, typed):
    refused = api.post("/api/v1/jobs", edit_body(refs, **{field: typed}))
    assert refused.status_code == 422
    assert f"body.{field}" in problems(refused)


def test_a_number_past_the_limit_is_named_with_the_limit(api, refs):
    found = problems(api.post("/api/v1/jobs", edit_body(refs, n=9)))
    assert list(found) == ["body.n"] and "4" in found["body.n"]


def test_an_unknown_field_and_a_box_of_three_numbers_are_refused(api, refs):
    body = edit_body(refs, colour_palette=[])
    body["references"][0]["boxes"] = [[1, 2, 3]]
    found = problems(api.post("/api/v1/jobs", body))
    assert set(found) == {"body.colour_palette", "body.references[0].boxes[0]"}


def test_an_option_the_model_does_not_take_is_refused(api, refs):
    found = problems(api.post("/api/v1/jobs", edit_body(refs, model="wan2.6-image", color_palette=PALETTE)))
    assert "body.color_palette" in found and "body.references" in found


def test_an_unknown_model_is_named(api):
    assert list(problems(api.post("/api/v1/jobs", {"model": "wan9", "prompt": "x"}))) == ["body.model"]


def test_an_empty_prompt_has_the_editors_message(api):
    assert problems(api.post("/api/v1/jobs", {"model": MODEL, "prompt": "  "})) == {
        "body.prompt": "write what to generate, or how to change the images"
    }


def test_another_teams_reference_is_404(api, refs, client, mallory, media):
    outsider = Api(client, secret_for(mallory, "Harbour"))
    refused = outsider.post("/api/v1/jobs", edit_body(refs))
    assert refused.status_code == 404
    assert list(problems(refused)) == ["body.references[0].id"]
    assert Job.objects.count() == 0


def test_another_team_cannot_see_or_cancel_a_job(api, refs, client, mallory):
    job_id = api.post("/api/v1/jobs", edit_body(refs)).json()["id"]
    outsider = Api(client, secret_for(mallory, "Harbour"))
    assert outsider.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert outsider.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 404
    assert outsider.get("/api/v1/jobs").json()["jobs"] == []


def test_a_budget_refusal_is_402_with_what_is_left(api, refs, lighthouse):
    price(MODEL, "cn-beijing", "0.20")
    price(MODEL, "ap-southeast-1", "0.20")
    price(MODEL, "intl", "0.20")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("1.00"), monthly_images=3)
    assert api.post("/api/v1/jobs", edit_body(refs, n=2)).status_code == 201
    refused = api.post("/api/v1/jobs", edit_body(refs, n=2))
    assert refused.status_code == 402, refused.content
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert "1 image left" in error["message"]
    assert error["left"]["images"] == 1 and error["left"]["currency"] == "USD"
    assert Job.objects.count() == 1


def test_cancel_a_queued_job_then_cancel_again_is_409(api, refs):
    job_id = api.post("/api/v1/jobs", edit_body(refs)).json()["id"]
    canceled = api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    again = api.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "A job that is canceled cannot be canceled."


def test_listing_pages_by_cursor_and_stays_stable_under_inserts(api, refs):
    made = [api.post("/api/v1/jobs", edit_body(refs, prompt=f"job {i}")).json()["id"] for i in range(5)]
    first = api.get("/api/v1/jobs", limit=2).json()
    assert [j["id"] for j in first["jobs"]] == made[::-1][:2]
    # A job made between two pages does not shift the next page.
    api.post("/api/v1/jobs", edit_body(refs, prompt="late"))
    second = api.get("/api/v1/jobs", limit=2, cursor=first["next"]).json()
    third = api.get("/api/v1/jobs", limit=2, cursor=second["next"]).json()
    assert [j["id"] for j in second["jobs"] + third["jobs"]] == made[::-1][2:]
    assert third["next"] is None


def test_listing_filters(api, refs):
    kept = api.post("/api/v1/jobs", edit_body(refs)).json()["id"]
    gone = api.post("/api/v1/jobs", edit_body(refs)).json()["id"]
    api.post(f"/api/v1/jobs/{gone}/cancel")
    assert [j["id"] for j in api.get("/api/v1/jobs", status="queued").json()["jobs"]] == [kept]
    assert [j["id"] for j in api.get("/api/v1/jobs", status="canceled", model=MODEL).json()["jobs"]] == [gone]
    assert api.get("/api/v1/jobs", model="wan2.6-image").json()["jobs"] == []
    assert api.get("/api/v1/jobs", created_after="2999-01-01T00:00:00Z").json()["jobs"] == []
    assert len(api.get("/api/v1/jobs", created_before="2999-01-01T00:00:00Z").json()["jobs"]) == 2


@pytest.mark.parametrize(
    ("params", "path"),
    [({"limit": 0}, "query.limit"), ({"limit": 101}, "query.limit"), ({"status": "done"}, "query.status"),
     ({"cursor": "not-a-cursor"}, "query.cursor"), ({"created_after": "yesterday"}, "query.created_after")],
)
def test_bad_list_parameters_name_the_parameter(api, params, path):
    refused = api.get("/api/v1/jobs", **params)
    assert refused.status_code == 422, refused.content
    assert path in problems(refused)


def test_a_wanx_mask_edit_takes_a_mask_reference(api):
    from tests.images import png_upload

    base = api.reference(640, 600)
    mask = api.upload("/api/v1/references", png_upload("mask.png", 640, 600, "#ffffff")).json()["id"]
    body = {"model": "wanx2.1-imageedit", "prompt": "a red door", "function": "description_edit_with_mask",
            "references": [{"id": base}], "mask": mask, "n": 1}
    created = api.post("/api/v1/jobs", body)
    assert created.status_code == 201, created.content
    assert created.json()["references"][0]["has_mask"] is True
    body.pop("mask")
    assert list(problems(api.post("/api/v1/jobs", body))) == ["body.mask"]
    body.update(mask=mask, function="expand", strength=0.5)
    found = problems(api.post("/api/v1/jobs", body))
    assert set(found) == {"body.mask", "body.strength"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_edit_job_over_http_runs_to_gallery_images_and_one_charge(alice, studio_url, fast_emulator):
    import uuid

    from studio.accounting.models import LedgerEntry
    from studio.pipeline.models import OutputImage
    from tests.api_job_helpers import emulator_stats, http_api
    from tests.cluster import wait_for
    from tests.images import png_bytes

    prompt = f"Put the lamp into the box #{uuid.uuid4().hex[:8]}"
    with http_api(studio_url, secret_for(alice)) as http:
        refs = [
            http.post("/references", files={"file": ("lamp.png", png_bytes(480, 320), "image/png")}).json()["id"],
            http.post("/references", files={"file": ("room.png", png_bytes(300, 400, "#884422"), "image/png")}).json()["id"],
        ]
        created = http.post("/jobs", json=edit_body(refs, prompt=prompt))
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        # Watched in the database: polling the API every 50 ms would meet the token's rate limit.
        wait_for(lambda: Job.objects.get(pk=job_id).status in ("succeeded", "failed"), timeout=60, what="the job")
        shown = http.get(f"/jobs/{job_id}").json()
    assert shown["status"] == "succeeded", shown["error"]
    gallery = list(OutputImage.objects.filter(job_id=job_id).order_by("index"))
    assert len(gallery) == 2
    assert [(i["id"], i["url"]) for i in shown["images"]] == [(o.id, f"/api/v1/images/{o.id}/file") for o in gallery]
    assert shown["usage"]["image_count"] == 2
    assert shown["cost"]["images"] == 2
    assert LedgerEntry.objects.filter(job_id=job_id).count() == 1
    assert emulator_stats(fast_emulator)["by_prompt"] == {prompt: 1}


@pytest.mark.parametrize(
    "body",
    [
        [], "text", 12, None, {"references": "abc"}, {"references": [{"id": "1"}]}, {"references": [{"id": 1, "boxes": [["1", 2, 3, 4]]}]},
        {"color_palette": {}}, {"color_palette": [{"hex": 1, "ratio": "1"}]}, {"color_palette": [{"hex": "#000000", "ratio": None}]},
        {"color_palette": [{"hex": "#000000", "ratio": "١٢"}] * 3}, {"color_palette": [{"hex": "#000000", "ratio": 1e308}] * 3},
        {"color_palette": [{"hex": "#000000", "ratio": "nan"}] * 3}, {"prompt": "x" * 100_000}, {"seed": 10**30}, {"n": -1},
        {"size": "9999999999*9999999999"}, {"size": "\u0000"}, {"references": [{"id": 10**30}]}, {"mask": 10**30},
        {"model": "wanx2.1-imageedit", "function": "expand", "top_scale": 1e308}, {"references": [{"id": 1, "boxes": [[10**30, 0, 1, 1]]}]},
    ],
)
def test_hostile_job_bodies_are_4xx_never_5xx(api, body):
    answer = api.post("/api/v1/jobs", body)
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["error"]["problems"] or answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/jobs/99999999999999999999999", "/api/v1/jobs/0", "/api/v1/jobs?limit=١٢", "/api/v1/jobs?batch=99999999999999999999999",
     "/api/v1/jobs?cursor=" + "A" * 5000, "/api/v1/jobs?cursor=ajk5OTk5OTk5OTk5OTk5OTk5OTk5OTk", "/api/v1/references/99999999999999999999999"],
)
def test_hostile_paths_and_queries_are_4xx(api, path):
    answer = api.client.get(path, **api.auth)
    assert 400 <= answer.status_code < 500, answer.content


def test_a_huge_body_is_refused(api, settings):
    answer = api.post("/api/v1/jobs", raw='{"prompt": "' + "x" * (settings.REQUEST_BODY_MAX_BYTES + 10) + '"}')
    assert 400 <= answer.status_code < 500


def test_a_page_of_jobs_costs_a_fixed_number_of_queries(api, refs, django_assert_max_num_queries):
    for i in range(6):
        api.post("/api/v1/jobs", edit_body(refs, prompt=f"job {i}"))
    api.client.get("/api/v1/jobs", **api.auth)  # warm the token's last-used write
    # Token, team, the page, three prefetches, and each queued job's place in the queue.
    with django_assert_max_num_queries(8 + 6):
        assert len(api.get("/api/v1/jobs", limit=100).json()["jobs"]) == 6


class TestCancelAtTheProvider:
    @pytest.fixture
    def emulator_timing(self):
        return 4.0, 30.0

    @pytest.mark.slow
    @pytest.mark.django_db(transaction=True)
    def test_a_pending_task_is_canceled_and_a_running_one_is_409(self, alice, studio_url, fast_emulator):
        from tests.api_job_helpers import http_api
        from tests.cluster import wait_for

        with http_api(studio_url, secret_for(alice)) as http:
            def status(job_id):
                # Read from the database: polling the API every 50 ms would meet the token's rate limit.
                return Job.objects.get(pk=job_id).status

            first = http.post("/jobs", json={"model": MODEL, "prompt": "Cancel me while pending", "n": 1}).json()["id"]
            wait_for(lambda: status(first) == "submitted", timeout=30, what="the task to be pending")
            canceled = http.post(f"/jobs/{first}/cancel")
            assert canceled.status_code == 200 and canceled.json()["status"] == "canceled", canceled.text
            assert canceled.json()["provider_status"] == "CANCELED"

            second = http.post("/jobs", json={"model": MODEL, "prompt": "Too late to cancel", "n": 1}).json()["id"]
            wait_for(lambda: status(second) == "running", timeout=30, what="the task to run")
            refused = http.post(f"/jobs/{second}/cancel")
        assert refused.status_code == 409
        assert refused.json()["error"] == {
            "status": 409, "code": "cannot_cancel", "problems": [], "job_status": "running",
            "message": "The provider is already generating this job; a running task cannot be canceled.",
        }


def test_thinking_mode_is_for_text_to_image_only(api, refs):
    assert problems(api.post("/api/v1/jobs", edit_body(refs, thinking_mode=True))) == {
        "body.thinking_mode": "applies only to text-to-image: no references and no image set"
    }
    made = api.post("/api/v1/jobs", {"model": MODEL, "prompt": "A quiet harbour", "thinking_mode": True, "n": 1})
    assert made.status_code == 201 and made.json()["parameters"]["thinking_mode"] is True


def test_one_image_unless_asked_as_in_the_editor(api):
    made = api.post("/api/v1/jobs", {"model": MODEL, "prompt": "A quiet harbour"}).json()
    assert made["parameters"]["n"] == 1
