from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "studio.accounting"
    # Staff know these tables from the admin's "Billing" section; the room moved, the name they see did not.
    verbose_name = _("Billing")
