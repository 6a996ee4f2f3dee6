from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy


class PipelineConfig(AppConfig):
    name = "studio.pipeline"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        # Registers the queue's entry points with the doorbells (studio.pipeline.dispatch).
        from studio.pipeline import tasks  # noqa: F401

        post_spawn.connect(_sweep_on_start, dispatch_uid="pipeline-sweep-on-start")
        # django-q2 names its admin section from Q_CLUSTER's plain-string label; the admin shows
        # it in the reader's language (settings stay plain data: they are dumped as JSON).
        apps.get_app_config("django_q").verbose_name = gettext_lazy("Queue")


def _sweep_on_start(sender, proc_name: str, **kwargs) -> None:
    # A worker that (re)starts may be replacing one that died mid-job: resume what is due now
    # instead of waiting up to a minute for the scheduled sweep.
    from studio.pipeline.dispatch import Doorbell, enqueue

    enqueue(Doorbell.SWEEP)
