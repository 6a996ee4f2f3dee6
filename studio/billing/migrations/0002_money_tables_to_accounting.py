"""The price table, the ledger and team budgets now belong to studio.accounting.

Only Django's picture of them leaves this app: the tables and their rows stay where they are
and studio.accounting's models use them under the same names (accounting/migrations/0001).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0001_initial'),
        ('billing', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='LedgerEntry'),
                migrations.DeleteModel(name='TeamBudget'),
                migrations.DeleteModel(name='UnitPrice'),
            ],
        ),
    ]
