from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "studio.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connects the login signal that carries a saved language into the session.
        from studio.accounts import language  # noqa: F401
