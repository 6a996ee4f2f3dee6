from __future__ import annotations

from django.urls import path

from studio.billing import views

app_name = "billing"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("reconciliation/", views.reconciliation_view, name="reconciliation"),
    path("reconciliation/read-provider", views.read_provider_view, name="read_provider"),
    path("ledger.csv", views.ledger_csv, name="ledger_csv"),
]
