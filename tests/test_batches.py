"""Batches: many jobs in one request, admitted together or not at all, finished exactly once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from studio.accounting.models import TeamBudget
from studio.pipeline import transitions
from studio.pipeline.batches import (
    BATCH_MAX_ITEMS,
    BatchOverBudget,
    BatchRefused,
    batch_create,
    batch_job_ended,
    batch_progress,
)
from studio.pipeline.budgets import month_of
from studio.pipeline.models import Batch, Job, JobStatus
from studio.wan.request import GenerationRequest
from studio.webhooks.models import WebhookEndpoint, WebhookMessage
from tests.billing_helpers import price
from tests.pipeline_helpers import png_reference, sent

S = JobStatus
MONTH = month_of()[0].strftime("%B")


def item(prompt: str = "A lighthouse at dawn", *, references=(), **params):
    params.setdefault("size", "1K")
    params.setdefault("n", 1)
    return GenerationRequest(model="wan2.7-image", prompt=prompt, **sent(references), **params), tuple(references)


def twenty(**params):
    return [item(f"A lighthouse, take {i + 1}", seed=i + 1, **params) for i in range(20)]


def make(alice, lighthouse, items, capture):
    with capture(execute=False):
        return batch_create(owner=alice, team=lighthouse, name="Lighthouses", items=items)


def test_a_batch_makes_one_job_per_item_in_order(alice, lighthouse, media, django_capture_on_commit_callbacks):
    batch = make(alice, lighthouse, twenty(), django_capture_on_commit_callbacks)

    jobs = list(batch.jobs.order_by("pk"))
    assert len(jobs) == 20
    assert [j.parameters["seed"] for j in jobs] == list(range(1, 21))
    assert {j.team_id for j in jobs} == {lighthouse.pk} and {j.status for j in jobs} == {S.QUEUED}


def test_a_budget_for_19_of_20_jobs_makes_none_and_says_what_the_batch_needed(
    alice, lighthouse, media, django_capture_on_commit_callbacks
):
    price("wan2.7-image", "emulator", "0.03")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("0.57"))

    with pytest.raises(BatchOverBudget) as refused:
        make(alice, lighthouse, twenty(), django_capture_on_commit_callbacks)

    assert Job.objects.count() == 0 and Batch.objects.count() == 0
    assert refused.value.needed_amount == Decimal("0.60") and refused.value.left_amount == Decimal("0.57")
    assert refused.value.message == (
        f"This batch of 20 jobs could cost up to 0.60 USD; Lighthouse has 0.57 USD left of its "
        f"0.57 USD budget for {MONTH}. No job was made."
    )


def test_a_budget_for_all_20_jobs_takes_the_batch(alice, lighthouse, media, django_capture_on_commit_callbacks):
    price("wan2.7-image", "emulator", "0.03")
    TeamBudget.objects.create(team=lighthouse, monthly_amount=Decimal("0.60"))

    assert make(alice, lighthouse, twenty(), django_capture_on_commit_callbacks).jobs.count() == 20


def test_an_image_budget_counts_the_batch_as_a_whole(alice, lighthouse, media, django_capture_on_commit_callbacks):
    TeamBudget.objects.create(team=lighthouse, monthly_images=39)

    with pytest.raises(BatchOverBudget) as refused:
        make(alice, lighthouse, twenty(n=2), django_capture_on_commit_callbacks)

    assert "could make up to 40 images; Lighthouse has 39 left" in refused.value.message
    assert (refused.value.needed_images, refused.value.left_images) == (40, 39)
    assert Job.objects.count() == 0


def test_one_bad_item_refuses_the_whole_batch_naming_its_index(alice, lighthouse, media, django_capture_on_commit_callbacks):
    items = twenty()
    items[7] = item("Box on a missing image", references=[png_reference(boxes=[(0, 0, 10, 10)] * 3)])

    with pytest.raises(BatchRefused) as refused:
        make(alice, lighthouse, items, django_capture_on_commit_callbacks)

    assert Job.objects.count() == 0 and Batch.objects.count() == 0
    assert refused.value.problems and all(p.index == 7 for p in refused.value.problems)
    assert refused.value.problems[0].path.startswith("items[7].")


def test_no_items_or_too_many_are_refused(alice, lighthouse, media):
    with pytest.raises(ValueError, match=f"1 to {BATCH_MAX_ITEMS}"):
        batch_create(owner=alice, team=lighthouse, name="", items=[])
    with pytest.raises(ValueError, match=f"not {BATCH_MAX_ITEMS + 1}"):
        batch_create(owner=alice, team=lighthouse, name="", items=[item()] * (BATCH_MAX_ITEMS + 1))


def _end(job: Job, to: str) -> None:
    path = {S.SUCCEEDED: (S.QUEUED, S.SUBMITTING, S.DOWNLOADING, S.SUCCEEDED), S.FAILED: (S.QUEUED, S.FAILED), S.CANCELED: (S.QUEUED, S.CANCELED)}[to]
    for frm, nxt in zip(path, path[1:]):
        assert transitions.move(job.pk, frm, nxt)


def test_progress_counts_jobs_by_state_and_the_batch_finishes_once_with_its_last_job(
    alice, lighthouse, media, django_capture_on_commit_callbacks
):
    batch = make(alice, lighthouse, twenty()[:5], django_capture_on_commit_callbacks)
    first, second, third, fourth, fifth = batch.jobs.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        _end(first, S.SUCCEEDED)
        Job.objects.filter(pk=first.pk).update(images_stored=1)
        _end(second, S.FAILED)
        _end(third, S.CANCELED)
        assert transitions.move(fourth.pk, S.QUEUED, S.SUBMITTING)

    batch.refresh_from_db()
    progress = batch_progress(batch)
    assert (progress.done, progress.failed, progress.canceled, progress.running, progress.queued) == (1, 1, 1, 1, 1)
    assert progress.images_stored == 1 and progress.total == 5 and not progress.finished

    with django_capture_on_commit_callbacks(execute=True):
        assert transitions.move(fourth.pk, S.SUBMITTING, S.FAILED)
        batch.refresh_from_db()
        assert batch.finished_at is None, "one job is still open"
        _end(fifth, S.CANCELED)
    batch.refresh_from_db()
    assert batch.finished_at is not None and batch_progress(batch).finished
    # Every later call (a second worker, a replay) finds it finished already.
    finished_at = batch.finished_at
    assert batch_job_ended(fifth.pk) is False and batch_job_ended(fourth.pk) is False
    batch.refresh_from_db()
    assert batch.finished_at == finished_at


def test_the_last_job_finishes_the_batch_in_its_own_move_and_announces_it_once(
    alice, lighthouse, media, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(team=lighthouse, url="https://hooks.example.com/r", event_types=["batch.finished"])
    batch = make(alice, lighthouse, twenty()[:2], django_capture_on_commit_callbacks)
    one, two = batch.jobs.order_by("pk")
    with django_capture_on_commit_callbacks(execute=False):
        _end(one, S.CANCELED)
        _end(two, S.SUCCEEDED)
    # No hook after the commit to lose: the move that ended the last job finished the batch.
    batch.refresh_from_db()
    assert batch.finished_at is not None
    assert [batch_job_ended(one.pk), batch_job_ended(two.pk)] == [False, False]
    (message,) = WebhookMessage.objects.filter(event_type="batch.finished")
    data = message.payload["data"]["batch"]
    assert (data["id"], data["jobs"], data["succeeded"], data["canceled"]) == (batch.pk, 2, 1, 1)
    assert message.deliveries.get().endpoint == endpoint


def test_a_job_outside_any_batch_is_left_alone(alice, lighthouse, media, django_capture_on_commit_callbacks):
    from tests.pipeline_helpers import new_job

    job = new_job(alice, django_capture_on_commit_callbacks)
    _end(job, S.CANCELED)
    assert batch_job_ended(job.pk) is False
