from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Helpers every app shares (money, uploads, business days, encryption at rest). No
    models."""

    name = "apps.core"

    def ready(self):
        from apps.core import checks  # noqa: F401  (registers them)
