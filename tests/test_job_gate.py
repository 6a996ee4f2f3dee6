"""Creating a job is the one gate: it builds the request from its references and refuses, with
every problem the validator finds, what the documented rules refuse; nothing is saved then."""

from __future__ import annotations

import pytest

from studio.pipeline import gate
from studio.pipeline.jobs import RequestRefused, job_create, request_for_job
from studio.pipeline.models import Job
from studio.wan.request import GenerationRequest, build_body
from tests.pipeline_helpers import png_reference


@pytest.fixture
def emulated(settings, media):
    settings.WAN_EMULATOR = True


def test_a_request_the_rules_refuse_saves_no_job_and_names_every_problem(alice, emulated) -> None:
    request = GenerationRequest(model="wan2.7-image", prompt="A lighthouse", n=9, seed=-1, size="4K")
    with pytest.raises(RequestRefused) as refused:
        job_create(owner=alice, request=request, team=alice.teams.first())
    assert [p.path for p in refused.value.problems] == ["parameters.n", "parameters.seed", "parameters.size"]
    assert not Job.objects.exists()


def test_every_caller_gets_the_same_answer(alice, emulated) -> None:
    request = GenerationRequest(model="z-image-turbo", prompt="A lighthouse", n=2)
    with pytest.raises(RequestRefused) as by_job:
        job_create(owner=alice, request=request, team=alice.teams.first())
    with pytest.raises(RequestRefused) as by_check:
        gate.request_check(request)
    assert by_job.value.problems == by_check.value.problems
    assert str(by_check.value.problems[0]).startswith("parameters.n: is not a parameter of z-image-turbo")


def test_boxes_travel_with_their_reference(alice, emulated) -> None:
    refs = [png_reference(480, 320), png_reference(320, 480, "#aa5522", boxes=[(10, 20, 200, 300)])]
    job = job_create(owner=alice, request=GenerationRequest(model="wan2.7-image", prompt="Fox", n=1),
                     references=refs, team=alice.teams.first())
    assert request_for_job(job).boxes == ((), ((10, 20, 200, 300),))
    assert build_body(request_for_job(job))["parameters"]["bbox_list"] == [[], [[10, 20, 200, 300]]]


def test_a_box_outside_its_image_is_refused_by_the_gate(alice, emulated) -> None:
    refs = [png_reference(480, 320, boxes=[(10, 20, 900, 300)])]
    with pytest.raises(RequestRefused) as refused:
        job_create(owner=alice, request=GenerationRequest(model="wan2.7-image", prompt="Fox", n=1),
                   references=refs, team=alice.teams.first())
    assert [str(p) for p in refused.value.problems] == [
        "parameters.bbox_list[0][0]: x2 (900) is beyond the image width of 480 px"
    ]


def test_the_preview_is_the_body_with_its_images_named() -> None:
    request = GenerationRequest(
        model="wan2.5-i2i-preview", prompt="Put the clock on the table", n=1,
        images=(gate.image_placeholder("image 1"), gate.image_placeholder("image 2")),
    )
    assert gate.request_preview(request) == {
        "model": "wan2.5-i2i-preview",
        "input": {"prompt": "Put the clock on the table", "images": ["image 1", "image 2"]},
        "parameters": {"n": 1},
    }
