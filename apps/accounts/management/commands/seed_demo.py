"""Demo data with known logins (listed in README.md). Safe to run any number of times.

Each app that has demo data keeps it in its own `seed.py` with a `run(*, stdout)`; they run here
in dependency order, in one transaction.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.seed import DEMO_PASSWORD

SEED_MODULES = [
    "apps.accounts.seed",
    "apps.orders.seed",
    "apps.suppliers.seed",
    "apps.catalog.seed",
]


class Command(BaseCommand):
    help = f"Creates or refreshes the demo data (every demo password: {DEMO_PASSWORD})."

    @transaction.atomic
    def handle(self, *args, **options):
        for module in SEED_MODULES:
            import_module(module).run(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Password for every demo login: {DEMO_PASSWORD}")
        )
