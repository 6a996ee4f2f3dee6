"""The recovery sweep's django-q2 schedule, kept present by the cluster itself.

It is ensured at every worker start rather than by a data migration, so a flushed or
hand-edited schedule table heals on the next start. catch_up is off in Q_CLUSTER: after
downtime one run is enough, since each run resumes everything that is due.
"""

from __future__ import annotations

from django_q.models import Schedule

from studio.pipeline.dispatch import Doorbell, task_path

SWEEP = "pipeline-sweep"


def ensure_sweep_schedule() -> Schedule:
    ours = Schedule.objects.filter(name=SWEEP).order_by("pk")
    schedule = ours.first() or Schedule.objects.create(
        name=SWEEP, func=task_path(Doorbell.SWEEP), schedule_type=Schedule.MINUTES, minutes=1, repeats=-1
    )
    # Schedule.name is not unique: two workers starting at once may both have created one.
    ours.exclude(pk=schedule.pk).delete()
    return schedule
