"""The suppliers' clock rules: storefront figures refreshed for suppliers whose orders moved, and
the nightly Trade Assurance recomputation, both runnable through the sweep engine."""

import pytest
from django.core.cache import cache

from apps.core.sweeps import sweep_run
from apps.suppliers.models import SupplierProfile
from tests.escrow.helpers import confirmed_order
from tests.factories import EligibleSupplierFactory

pytestmark = pytest.mark.django_db


def test_the_hourly_refresh_recomputes_the_figures_of_suppliers_whose_orders_moved():
    order = confirmed_order()  # writes order events for its supplier now
    quiet = EligibleSupplierFactory()
    cache.clear()

    result = sweep_run("suppliers.storefront_figures")

    assert result.done == 1
    assert cache.get(f"storefront-figures:{order.supplier_id}") is not None
    assert cache.get(f"storefront-figures:{quiet.pk}") is None


def test_a_dry_run_of_the_refresh_computes_nothing():
    order = confirmed_order()
    cache.clear()

    result = sweep_run("suppliers.storefront_figures", dry_run=True)

    assert result.due == 1 and result.done == 0
    assert cache.get(f"storefront-figures:{order.supplier_id}") is None


def test_the_nightly_recomputation_runs_as_a_rule():
    supplier = EligibleSupplierFactory()
    SupplierProfile.objects.filter(user=supplier).update(ta_amount=1)

    sweep_run("suppliers.ta_recompute")

    assert SupplierProfile.objects.get(user=supplier).ta_amount > 1
