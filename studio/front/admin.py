"""The admin's name. Each app registers its own models (accounts: teams; pipeline: jobs; accounting
and billing: prices, budgets, the ledger); templates/admin/base_site.html gives it the studio's look."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Wan Studio admin")
admin.site.site_title = _("Wan Studio admin")
admin.site.index_title = _("Teams, jobs, prices and budgets")
