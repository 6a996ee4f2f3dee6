from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "studio.accounts"

    def ready(self) -> None:
        # Connects the login signal that carries a saved language into the session.
        from studio.accounts import language  # noqa: F401
