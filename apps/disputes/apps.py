from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "apps.disputes"
    verbose_name = _("Disputes")

    def ready(self):
        from apps.disputes import clock  # noqa: F401  registers the sweep rules
