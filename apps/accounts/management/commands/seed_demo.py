"""Demo data with known logins (listed in README.md). Safe to run any number of times.

Each app that has demo data keeps it in its own `seed.py`; the steps run here in dependency
order, in one transaction.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.seed import DEMO_PASSWORD

# "module" runs module.run; "module:function" runs that function.
SEED_STEPS = [
    "apps.accounts.seed",
    "apps.escrow.seed",  # payout bank accounts of the demo suppliers
    "apps.orders.seed",  # order history first: the suppliers' amounts are computed from it
    "apps.suppliers.seed",
    "apps.catalog.seed",
    "apps.orders.seed:run_live",  # live orders need eligible suppliers and their products
]


class Command(BaseCommand):
    help = f"Creates or refreshes the demo data (every demo password: {DEMO_PASSWORD})."

    @transaction.atomic
    def handle(self, *args, **options):
        for step in SEED_STEPS:
            module, _, function = step.partition(":")
            getattr(import_module(module), function or "run")(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Password for every demo login: {DEMO_PASSWORD}")
        )
