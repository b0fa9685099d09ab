from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "apps.orders"
    verbose_name = _("Orders")

    def ready(self):
        from apps.orders import clock, signals  # noqa: F401  (clock registers its rules)
