from __future__ import annotations

from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "studio.pipeline"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        # Registers the queue's entry points with the doorbells (studio.pipeline.dispatch).
        from studio.pipeline import tasks  # noqa: F401

        post_spawn.connect(_sweep_on_start, dispatch_uid="pipeline-sweep-on-start")


def _sweep_on_start(sender, proc_name: str, **kwargs) -> None:
    # A worker that (re)starts may be replacing one that died mid-job: resume what is due now
    # instead of waiting up to a minute for the scheduled sweep.
    from studio.pipeline.dispatch import Doorbell, enqueue

    enqueue(Doorbell.SWEEP)
