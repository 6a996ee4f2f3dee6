"""The recovery sweep runs every minute. catch_up is off in Q_CLUSTER: after downtime one run
is enough, since each run resumes everything that is due."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="pipeline-sweep",
        defaults={
            "func": "studio.pipeline.tasks.sweep",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="pipeline-sweep").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
