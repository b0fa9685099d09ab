"""System checks of the settings apps.core reads."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def data_keys_readable(app_configs, **kwargs):
    """Every key in PACTLINE_DATA_KEYS is a key (a typo would stop every page that shows a bank
    account, not only the site's start)."""
    from apps.core import crypto

    try:
        crypto.keys_check()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="pactline.E001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def data_keys_from_environment(app_configs, **kwargs):
    if settings.PACTLINE_DATA_KEYS_LOCAL:
        return [
            checks.Warning(
                "Bank account numbers are encrypted under a key kept in var/data_key on this "
                "host only.",
                hint="Set PACTLINE_DATA_KEYS, the same on every host, and keep it apart from the "
                "database's backups (python manage.py data_keys_rotate --new-key prints a key).",
                id="pactline.W001",
            )
        ]
    return []
