"""The price table, the ledger and team budgets move here from studio.billing, rows and all.

Only Django's picture of the models moves (state_operations): the tables keep their names
(billing_unitprice, billing_ledgerentry, billing_teambudget) and every row, index and constraint,
so nothing is dropped or copied on an existing installation. The models' content types are
renamed too, so admin history and permissions granted on these tables stay attached.
tests/test_migrations_keep_rows.py proves it on a database made before the move.
"""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

MOVED = ("unitprice", "ledgerentry", "teambudget")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        # A content type already made under the new label (by an earlier, later-undone run) wins.
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def content_types_forward(apps, schema_editor) -> None:
    _relabel(apps, "billing", "accounting")


def content_types_backward(apps, schema_editor) -> None:
    _relabel(apps, "accounting", "billing")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0001_initial'),
        ('billing', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('pipeline', '0002_job_trash'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='TeamBudget',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('monthly_amount', models.DecimalField(blank=True, decimal_places=6, help_text='Most the team may spend in a calendar month; empty for no money limit.', max_digits=16, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('monthly_images', models.PositiveIntegerField(blank=True, help_text='Most images the team may generate in a calendar month; empty for no limit.', null=True)),
                        ('warn_at_percent', models.PositiveSmallIntegerField(default=80, help_text='Show a warning once this share of the budget is used or reserved.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)])),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('team', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='budget', to='accounts.team')),
                    ],
                    options={
                        'db_table': 'billing_teambudget',
                    },
                ),
                migrations.CreateModel(
                    name='UnitPrice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('model', models.CharField(max_length=64)),
                        ('region', models.CharField(max_length=32)),
                        ('amount', models.DecimalField(decimal_places=6, max_digits=12, validators=[django.core.validators.MinValueValidator(Decimal('0'))])),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('effective_from', models.DateTimeField(default=django.utils.timezone.now)),
                        ('note', models.CharField(blank=True, max_length=200)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'billing_unitprice',
                        'ordering': ['model', 'region', '-effective_from'],
                        'constraints': [models.UniqueConstraint(fields=('model', 'region', 'effective_from'), name='unique_price_start')],
                    },
                ),
                migrations.CreateModel(
                    name='LedgerEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('charge', 'Charge'), ('correction', 'Correction')], default='charge', max_length=12)),
                        ('model', models.CharField(max_length=64)),
                        ('region', models.CharField(max_length=32)),
                        ('image_count', models.IntegerField()),
                        ('images_stored', models.IntegerField(default=0)),
                        ('unit_price', models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True)),
                        ('currency', models.CharField(default='USD', max_length=3)),
                        ('cost', models.DecimalField(decimal_places=6, max_digits=16)),
                        ('task_id', models.CharField(blank=True, max_length=64)),
                        ('request_id', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('note', models.TextField(blank=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='pipeline.job')),
                        ('team', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='accounts.team')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'billing_ledgerentry',
                        'verbose_name_plural': 'ledger entries',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('kind', 'charge')), fields=('job',), name='one_charge_per_job')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_forward, content_types_backward),
    ]
