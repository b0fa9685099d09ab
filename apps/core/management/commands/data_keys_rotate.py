"""manage.py data_keys_rotate [--new-key]

Encrypts every encrypted value (bank account numbers) again under the first key of
PACTLINE_DATA_KEYS, with its digest under that key, so that the keys after it can then be
removed. --new-key prints a new key and changes nothing. How to change keys:
docs/deployment.md, "Data keys"."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core.crypto import EncryptedTextField, new_key


class Command(BaseCommand):
    help = "Encrypt stored personal data again under the first key of PACTLINE_DATA_KEYS."
    requires_system_checks = []  # --new-key must work while the keys set are wrong

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new key; change nothing."
        )

    def handle(self, *args, **options):
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        for model in apps.get_models():
            fields = [
                f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
            ]
            if not fields:
                continue
            rows = model._base_manager.order_by("pk").values_list("pk", flat=True)
            for pk in rows.iterator():
                with transaction.atomic():
                    row = model._base_manager.select_for_update().get(pk=pk)
                    values = {name: getattr(row, name) for name in fields}
                    if hasattr(row, "digests_now"):
                        values.update(row.digests_now())
                    # update(), not save(): the row's text is unchanged, only how it is kept.
                    model._base_manager.filter(pk=pk).update(**values)
            self.stdout.write(
                f"{model._meta.label}: {rows.count()} rows encrypted again under the first key."
            )
