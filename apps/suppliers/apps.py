from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuppliersConfig(AppConfig):
    name = "apps.suppliers"
    verbose_name = _("Suppliers")

    def ready(self):
        from apps.suppliers import clock  # noqa: F401  (registers the suppliers' rules)
