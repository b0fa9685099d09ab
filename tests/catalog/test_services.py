"""Catalog services: the rules, ownership and the price-range copy they keep."""

import pytest

from apps.catalog import services
from apps.catalog.exceptions import NotASupplier, ProductInvalid, ProductNotOwned
from apps.catalog.inputs import SpecInput, TierInput
from apps.catalog.models import Product
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import BuyerFactory, MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def fields(**overrides):
    data = {
        "title": "  Kettle  ",
        "description": "",
        "category": CategoryFactory(),
        "currency": "USD",
        "moq": 10,
        "lead_time_days": 5,
        "price_tiers": [TierInput(100, 800), TierInput(10, 900)],
        "specifications": [SpecInput("Capacity", "1.5 l")],
    }
    return {**data, **overrides}


def test_create_sorts_tiers_and_keeps_the_price_range():
    product = services.product_create(supplier=SupplierFactory(), **fields())

    assert product.title == "Kettle"
    assert (product.price_min, product.price_max) == (800, 900)
    assert list(product.price_tiers.values_list("min_quantity", flat=True)) == [10, 100]


def test_update_keeps_the_price_range_in_step_with_the_tiers():
    product = services.product_create(supplier=SupplierFactory(), **fields())

    services.product_update(
        product=product,
        acting_user=product.supplier,
        **fields(moq=5, price_tiers=[TierInput(5, 1500), TierInput(50, 1200)]),
    )

    product.refresh_from_db()
    assert (product.price_min, product.price_max) == (1200, 1500)
    assert product.price_tiers.count() == 2


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(ProductInvalid) as refused:
        services.product_create(
            supplier=SupplierFactory(),
            **fields(title=" ", category=None, currency="XXX", moq=0, price_tiers=[]),
        )

    assert set(refused.value.errors) == {"title", "category", "currency", "moq", "price_tiers"}
    assert not Product.objects.exists()


@pytest.mark.parametrize("limit_name", ["PACTLINE_CATALOG_MAX_PRICE_TIERS"])
def test_the_number_of_tiers_is_limited_by_a_setting(settings, limit_name):
    setattr(settings, limit_name, 2)

    with pytest.raises(ProductInvalid, match="at most 2 price tiers"):
        services.product_create(
            supplier=SupplierFactory(),
            **fields(price_tiers=[TierInput(10, 3), TierInput(20, 2), TierInput(30, 1)]),
        )


@pytest.mark.parametrize("user_factory", [BuyerFactory, MediatorFactory])
def test_only_suppliers_list_products(user_factory):
    with pytest.raises(NotASupplier):
        services.product_create(supplier=user_factory(), **fields())


def test_a_supplier_cannot_update_another_suppliers_product():
    product = ProductFactory(title="Original")

    with pytest.raises(ProductNotOwned):
        services.product_update(product=product, acting_user=SupplierFactory(), **fields())
    product.refresh_from_db()
    assert product.title == "Original"


def test_staff_may_hide_a_product_but_another_supplier_may_not():
    product = ProductFactory()

    with pytest.raises(ProductNotOwned):
        services.product_deactivate(product=product, acting_user=SupplierFactory())
    services.product_deactivate(product=product, acting_user=MediatorFactory())

    product.refresh_from_db()
    assert not product.is_active


def test_deactivating_twice_changes_nothing():
    product = ProductFactory()
    services.product_deactivate(product=product, acting_user=product.supplier)
    updated_at = Product.objects.get(pk=product.pk).updated_at

    services.product_deactivate(product=product, acting_user=product.supplier)

    assert Product.objects.get(pk=product.pk).updated_at == updated_at


def test_money_is_never_a_float():
    product = services.product_create(supplier=SupplierFactory(), **fields())
    product.refresh_from_db()

    assert type(product.price_min) is int
    assert all(type(p) is int for p in product.price_tiers.values_list("unit_price", flat=True))
