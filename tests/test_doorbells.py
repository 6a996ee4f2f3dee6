"""The queue's doorbells: each is answered by one task of studio.pipeline.tasks, named by its path."""

from __future__ import annotations

from studio.pipeline import tasks
from studio.pipeline.dispatch import Doorbell, task_path


def test_every_doorbell_is_answered_by_a_queue_task():
    for doorbell in Doorbell:
        module, _, name = task_path(doorbell).rpartition(".")
        assert module == "studio.pipeline.tasks" and callable(getattr(tasks, name))


def test_messages_keep_the_paths_older_releases_queued():
    # A message queued before an upgrade must still find its function after it.
    assert task_path(Doorbell.SUBMIT) == "studio.pipeline.tasks.submit_job"
    assert task_path(Doorbell.DOWNLOAD) == "studio.pipeline.tasks.download_job"
    assert task_path(Doorbell.FOLLOW) == "studio.pipeline.tasks.follow_provider"
    assert task_path(Doorbell.SWEEP) == "studio.pipeline.tasks.sweep"
