"""Listing and search pages make the same few queries whatever the page size."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.catalog.models import ProductImage
from apps.catalog.selectors import products_for_storefront
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import (
    BuyerFactory,
    EligibleSupplierFactory,
    SupplierFactory,
    VerifiedSupplierFactory,
)

pytestmark = pytest.mark.django_db

CARD_LINK = re.compile(r'class="stretched-link')


@pytest.fixture
def sixty_products():
    """60 products of six suppliers in every standing (one without a profile row), in two
    categories, most with images, so that every part of a card has data to fetch."""
    no_profile = SupplierFactory()
    no_profile.supplier_profile.delete()
    suppliers = [
        EligibleSupplierFactory(),
        EligibleSupplierFactory(company__country="CN"),
        VerifiedSupplierFactory(),
        SupplierFactory(supplier_profile__gold_until=timezone.now() + dt.timedelta(days=9)),
        SupplierFactory(),
        no_profile,
    ]
    parent = CategoryFactory(slug="home")
    categories = [parent, CategoryFactory(slug="kitchen", parent=parent)]
    products = []
    for n in range(60):
        product = ProductFactory(
            title=f"Steel product {n}",
            supplier=suppliers[n % len(suppliers)],
            category=categories[n % 2],
            price_tiers=[(10, 1000 + n), (100, 900 + n)],
        )
        products.append(product)
        for position in range(n % 3):
            ProductImage.objects.create(
                product=product,
                image=f"products/{n}-{position}.jpg",
                thumbnail=f"products/thumbs/{n}-{position}.jpg",
                width=10,
                height=10,
                position=position,
            )
    return products


def queries_per_page_size(client, settings, url, *, expected_cards=True):
    counts = {}
    for size in (5, 50):
        settings.PACTLINE_CATALOG_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        if expected_cards:
            assert len(CARD_LINK.findall(response.content.decode())) == size
        counts[size] = len(captured)
    return counts


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=steel",
        "?q=steel&trade_assurance=on&sort=price_asc",
        "?category=home&verified=on&gold=on&min_price=1&max_price=100&sort=price_desc",
        "?country=CN&max_moq=50&price_currency=EUR&min_price=0.5&sort=newest",
    ],
)
def test_the_search_page_makes_three_queries_for_any_page_size(
    client, settings, sixty_products, django_assert_max_num_queries, query
):
    # The category choices, the count, and the page with everything its cards show.
    for size in (5, 50):
        settings.PACTLINE_CATALOG_PAGE_SIZE = size
        with django_assert_max_num_queries(3):
            response = client.get(reverse("product_search") + query)
        assert response.status_code == 200


def test_the_search_page_query_count_does_not_grow_with_the_page(client, settings, sixty_products):
    counts = queries_per_page_size(client, settings, reverse("product_search") + "?q=steel")

    assert counts[5] == counts[50]


def test_a_signed_in_buyers_search_page_makes_the_same_queries_for_5_and_50(
    client, settings, sixty_products, django_assert_max_num_queries
):
    client.force_login(BuyerFactory())

    counts = queries_per_page_size(client, settings, reverse("product_search"))

    assert counts[5] == counts[50]
    with django_assert_max_num_queries(counts[5]):
        client.get(reverse("product_search") + "?page=2")


def test_the_api_list_makes_three_queries_for_any_page_size(
    client, settings, sixty_products, django_assert_max_num_queries
):
    for size in (5, 50):
        settings.PACTLINE_CATALOG_PAGE_SIZE = size
        with django_assert_max_num_queries(3):
            response = client.get("/api/v1/products/?q=steel&trade_assurance=true")
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 20)


def test_the_suppliers_product_list_makes_the_same_queries_for_5_and_50(
    client, settings, django_assert_max_num_queries
):
    supplier = EligibleSupplierFactory()
    for n in range(60):
        product = ProductFactory(supplier=supplier, title=f"Item {n}", is_active=n % 4 != 0)
        ProductImage.objects.create(
            product=product, image=f"p/{n}.jpg", thumbnail=f"p/t{n}.jpg", width=1, height=1
        )
    client.force_login(supplier)

    counts = {}
    for size in (5, 50):
        settings.PACTLINE_CATALOG_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("supplier_product_list")).content.decode()
        assert page.count('<td><a href="/supplier/products/') == size
        counts[size] = len(captured)

    assert counts[5] == counts[50]


def test_the_storefront_products_are_one_query_for_any_limit(
    sixty_products, django_assert_num_queries
):
    supplier = sixty_products[0].supplier
    for limit in (3, 10):
        with django_assert_num_queries(1):
            products = products_for_storefront(supplier=supplier, limit=limit)
            for product in products:
                # Everything a card shows, read without another query.
                assert product.supplier.company.company_name
                assert product.category.name
                _ = (product.thumbnail_url, product.supplier_verified, product.supplier_gold)
        assert len(products) == limit
