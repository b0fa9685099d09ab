from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EscrowConfig(AppConfig):
    name = "apps.escrow"
    verbose_name = _("Escrow")

    def ready(self):
        from apps.escrow import clock  # noqa: F401  registers the refund chase
