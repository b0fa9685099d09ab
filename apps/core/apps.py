from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Helpers every app shares (money, uploads, business days). No models."""

    name = "apps.core"
