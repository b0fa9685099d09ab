"""Buyer search on PostgreSQL: full-text relevance, every filter, every sort order."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from apps.catalog.models import Product
from apps.catalog.selectors import ProductSearch, Sort, product_search, search_fallback
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import EligibleSupplierFactory, SupplierFactory, VerifiedSupplierFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
    ),
]


def titles(search=None, **kwargs):
    return [p.title for p in product_search(search=search or ProductSearch(**kwargs))]


def gold_only_supplier(**kwargs):
    return SupplierFactory(
        supplier_profile__gold_until=timezone.now() + dt.timedelta(days=30), **kwargs
    )


# --- text and relevance -----------------------------------------------------------------------


def test_a_title_match_outranks_a_description_only_match():
    # The description-only product is newer, so only the rank can put the title match first.
    ProductFactory(title="Ceramic vase", description="A tall stoneware piece.")
    ProductFactory(title="Glazed pot", description="Like a vase, but wider.")

    assert titles(text="vase") == ["Ceramic vase", "Glazed pot"]


def test_a_description_match_outranks_a_specification_only_match():
    ProductFactory(title="Picnic table", description="Solid larch, oiled.")
    ProductFactory(title="Garden bench", specifications=[{"name": "Wood", "value": "larch"}])

    assert titles(text="larch") == ["Picnic table", "Garden bench"]


def test_search_matches_word_forms_through_the_english_configuration():
    ProductFactory(title="Glass bottles")

    assert titles(text="bottle") == ["Glass bottles"]


def test_websearch_syntax_leaves_out_a_minus_word():
    ProductFactory(title="Silk scarf")
    ProductFactory(title="Wool scarf")

    assert titles(text="scarf -wool") == ["Silk scarf"]


def test_a_title_edit_is_searchable_at_once_through_the_trigger():
    product = ProductFactory(title="Old name")
    Product.objects.filter(pk=product.pk).update(title="Bamboo board")

    assert titles(text="bamboo") == ["Bamboo board"]


def test_search_leaves_out_inactive_products_and_inactive_suppliers():
    ProductFactory(title="Visible lamp")
    ProductFactory(title="Hidden lamp", is_active=False)
    ProductFactory(title="Closed-account lamp", supplier=SupplierFactory(is_active=False))

    assert titles(text="lamp") == ["Visible lamp"]


def test_the_fallback_without_postgresql_needs_every_word_in_title_or_description():
    ProductFactory(title="Blue cotton scarf")
    ProductFactory(title="Cotton towel", description="Blue stripes")
    ProductFactory(title="Blue silk scarf")

    found = search_fallback(Product.objects.order_by("title"), "cotton BLUE")

    assert [p.title for p in found] == ["Blue cotton scarf", "Cotton towel"]
    without = search_fallback(Product.objects.order_by("title"), "blue -cotton")
    assert [p.title for p in without] == ["Blue silk scarf"]


# --- filters ----------------------------------------------------------------------------------


def test_a_top_level_category_includes_its_subcategories():
    lighting = CategoryFactory(slug="lighting")
    bulbs = CategoryFactory(slug="bulbs", parent=lighting)
    ProductFactory(title="Lamp", category=lighting)
    ProductFactory(title="Bulb", category=bulbs)
    ProductFactory(title="Vase", category=CategoryFactory(slug="decor"))

    assert sorted(titles(category="lighting")) == ["Bulb", "Lamp"]


def test_a_subcategory_leaves_out_its_parent_and_siblings():
    lighting = CategoryFactory(slug="lighting")
    ProductFactory(title="Lamp", category=lighting)
    ProductFactory(title="Bulb", category=CategoryFactory(slug="bulbs", parent=lighting))
    ProductFactory(title="Strip", category=CategoryFactory(slug="strips", parent=lighting))

    assert titles(category="bulbs") == ["Bulb"]


def test_price_range_keeps_products_whose_tiers_reach_into_it():
    ProductFactory(title="Cheap", price_tiers=[(10, 150), (100, 90)])  # US$ 0.90-1.50
    ProductFactory(title="Middle", price_tiers=[(10, 500), (100, 400)])  # US$ 4-5
    ProductFactory(title="Dear", price_tiers=[(10, 2000)])  # US$ 20

    assert titles(min_price=100, max_price=450, sort=Sort.PRICE_ASC) == ["Cheap", "Middle"]
    assert titles(min_price=600) == ["Dear"]
    assert titles(max_price=99) == ["Cheap"]


def test_price_range_compares_other_currencies_at_indicative_rates(settings):
    settings.PACTLINE_INDICATIVE_USD_RATES = {**settings.PACTLINE_INDICATIVE_USD_RATES, "EUR": "2"}
    ProductFactory(title="Euro product", currency="EUR", unit_price=300)  # € 3.00 = US$ 6.00
    ProductFactory(title="Dollar product", currency="USD", unit_price=300)  # US$ 3.00

    assert titles(min_price=500, max_price=700) == ["Euro product"]
    # The same range in euros: € 2.50-3.50 is US$ 5-7.
    assert titles(min_price=250, max_price=350, price_currency="EUR") == ["Euro product"]
    assert titles(min_price=100, max_price=200, price_currency="EUR") == ["Dollar product"]


def test_max_moq_keeps_products_a_buyer_can_order_that_few_of():
    ProductFactory(title="Small run", moq=50)
    ProductFactory(title="Exactly", moq=100)
    ProductFactory(title="Big run", moq=1000)

    assert sorted(titles(max_moq=100)) == ["Exactly", "Small run"]


def test_country_filters_on_the_suppliers_company():
    ProductFactory(title="From China", supplier=SupplierFactory(company__country="CN"))
    ProductFactory(title="From India", supplier=SupplierFactory(company__country="IN"))

    assert titles(country="IN") == ["From India"]


def test_verified_keeps_only_verified_suppliers():
    ProductFactory(title="Verified", supplier=VerifiedSupplierFactory())
    ProductFactory(title="Eligible", supplier=EligibleSupplierFactory())
    ProductFactory(title="Basic", supplier=SupplierFactory())

    assert sorted(titles(verified_only=True)) == ["Eligible", "Verified"]


def test_gold_keeps_only_current_gold_members():
    ProductFactory(title="Gold", supplier=gold_only_supplier())
    ProductFactory(
        title="Lapsed",
        supplier=SupplierFactory(
            supplier_profile__gold_until=timezone.now() - dt.timedelta(days=1)
        ),
    )
    ProductFactory(title="Verified", supplier=VerifiedSupplierFactory())

    assert titles(gold_only=True) == ["Gold"]


def test_trade_assurance_only_needs_verified_and_gold():
    ProductFactory(title="Eligible", supplier=EligibleSupplierFactory())
    ProductFactory(title="Verified only", supplier=VerifiedSupplierFactory())
    ProductFactory(title="Gold only", supplier=gold_only_supplier())
    ProductFactory(title="Basic", supplier=SupplierFactory())

    assert titles(trade_assurance_only=True) == ["Eligible"]


def test_a_supplier_without_a_profile_row_is_listed_as_basic():
    supplier = SupplierFactory()
    supplier.supplier_profile.delete()
    ProductFactory(title="No profile", supplier=supplier)

    results = list(product_search(search=ProductSearch()))

    assert [p.title for p in results] == ["No profile"]
    assert not results[0].supplier_verified and not results[0].supplier_gold
    assert titles(verified_only=True) == []


def test_filters_combine_with_the_search_text():
    ProductFactory(title="LED bulb", supplier=EligibleSupplierFactory(company__country="CN"))
    ProductFactory(title="LED bulb", supplier=VerifiedSupplierFactory(company__country="CN"))
    ProductFactory(title="LED strip", supplier=EligibleSupplierFactory(company__country="TR"))

    assert titles(text="led", trade_assurance_only=True, country="CN") == ["LED bulb"]


# --- sort orders ------------------------------------------------------------------------------


def make_aged(title, *, days, **kwargs):
    return ProductFactory(
        title=title, created_at=timezone.now() - dt.timedelta(days=days), **kwargs
    )


def test_without_search_words_relevance_means_newest_first():
    make_aged("Old", days=30)
    make_aged("New", days=1)
    make_aged("Middle", days=10)

    assert titles() == ["New", "Middle", "Old"]
    assert titles(sort=Sort.NEWEST) == ["New", "Middle", "Old"]


def test_newest_first_overrides_relevance_when_asked():
    make_aged("Vase", days=30)
    make_aged("Pot", days=1, description="Vase-like pot")

    assert titles(text="vase", sort=Sort.RELEVANCE) == ["Vase", "Pot"]
    assert titles(text="vase", sort=Sort.NEWEST) == ["Pot", "Vase"]


def test_price_sorts_compare_currencies_at_indicative_rates(settings):
    settings.PACTLINE_INDICATIVE_USD_RATES = {
        **settings.PACTLINE_INDICATIVE_USD_RATES,
        "EUR": "1.10",
        "JPY": "0.0067",
    }
    ProductFactory(title="US$ 5.00", currency="USD", unit_price=500)
    ProductFactory(title="€ 4.00", currency="EUR", unit_price=400)  # US$ 4.40
    ProductFactory(title="¥ 800", currency="JPY", unit_price=800)  # US$ 5.36

    assert titles(sort=Sort.PRICE_ASC) == ["€ 4.00", "US$ 5.00", "¥ 800"]
    assert titles(sort=Sort.PRICE_DESC) == ["¥ 800", "US$ 5.00", "€ 4.00"]


def test_price_sort_uses_the_lowest_tier():
    ProductFactory(title="Falls to 1.00", price_tiers=[(10, 900), (1000, 100)])
    ProductFactory(title="Flat 2.00", unit_price=200)

    assert titles(sort=Sort.PRICE_ASC) == ["Falls to 1.00", "Flat 2.00"]
