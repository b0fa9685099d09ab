"""GET /api/v1/products/ and /api/v1/products/{id}/: public, read-only, the page's filters."""

import pytest
import yaml
from django.db import connection

from apps.catalog.models import ProductImage
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import EligibleSupplierFactory, SupplierFactory, VerifiedSupplierFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products/"


def titles(response):
    assert response.status_code == 200, response.content
    return [p["title"] for p in response.json()["results"]]


def test_anyone_may_list_products_without_logging_in(client):
    ProductFactory(title="Kettle")
    ProductFactory(title="Hidden", is_active=False)

    assert titles(client.get(LIST)) == ["Kettle"]


def test_a_listed_product_has_prices_in_minor_units_and_the_suppliers_standing(client):
    supplier = EligibleSupplierFactory(company__company_name="Brightway", company__country="CN")
    product = ProductFactory(
        title="Kettle",
        supplier=supplier,
        currency="EUR",
        moq=50,
        price_tiers=[(50, 1250), (500, 1100)],
        category=CategoryFactory(slug="kitchen", name="Kitchen"),
    )
    ProductImage.objects.create(
        product=product, image="products/k.jpg", thumbnail="products/tk.jpg", width=1, height=1
    )

    item = client.get(LIST).json()["results"][0]

    assert item["price_min"] == 1100 and item["price_max"] == 1250
    assert isinstance(item["price_min"], int)
    assert item["currency"] == "EUR" and item["moq"] == 50
    assert item["category"] == {"slug": "kitchen", "name": "Kitchen"}
    assert item["supplier"] == {
        "id": supplier.pk,
        "company_name": "Brightway",
        "country": "CN",
        "verified": True,
        "gold": True,
        "trade_assurance": True,
    }
    assert item["thumbnail"] == "http://testserver/media/products/tk.jpg"
    assert item["page_url"] == f"http://testserver/products/{product.pk}/"


def test_the_api_takes_the_same_filters_as_the_page(client):
    kitchen = CategoryFactory(slug="kitchen")
    ProductFactory(
        title="Covered kettle",
        supplier=EligibleSupplierFactory(company__country="CN"),
        category=kitchen,
        moq=10,
        unit_price=500,
    )
    ProductFactory(
        title="Verified kettle",
        supplier=VerifiedSupplierFactory(company__country="CN"),
        category=kitchen,
        moq=100,
        unit_price=500,
    )
    ProductFactory(title="Basic vase", supplier=SupplierFactory(company__country="TR"))

    assert titles(client.get(LIST, {"trade_assurance": "true"})) == ["Covered kettle"]
    assert titles(client.get(LIST, {"trade_assurance": "false"})) == [
        "Basic vase",
        "Verified kettle",
        "Covered kettle",
    ]
    assert sorted(titles(client.get(LIST, {"verified": "true", "category": "kitchen"}))) == [
        "Covered kettle",
        "Verified kettle",
    ]
    assert titles(client.get(LIST, {"country": "TR"})) == ["Basic vase"]
    assert titles(client.get(LIST, {"max_price": "5", "max_moq": "10"})) == ["Covered kettle"]
    assert titles(client.get(LIST, {"min_price": "9", "price_currency": "USD"})) == ["Basic vase"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking runs on PostgreSQL")
def test_the_api_searches_and_sorts(client):
    ProductFactory(title="Pot", description="Not a kettle", unit_price=100)
    ProductFactory(title="Kettle", unit_price=900)

    assert titles(client.get(LIST, {"q": "kettle"})) == ["Kettle", "Pot"]
    assert titles(client.get(LIST, {"q": "kettle", "sort": "price_asc"})) == ["Pot", "Kettle"]
    assert titles(client.get(LIST, {"sort": "price_desc"})) == ["Kettle", "Pot"]


def test_the_api_is_paginated_with_the_catalog_page_size(client, settings):
    settings.PACTLINE_CATALOG_PAGE_SIZE = 2
    for n in range(3):
        ProductFactory(title=f"Item {n}")

    first = client.get(LIST).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1


def test_a_bad_filter_is_a_400_with_the_field(client):
    response = client.get(LIST, {"min_price": "1.234", "sort": "cheapest"})

    assert response.status_code == 400
    assert set(response.json()) == {"min_price", "sort"}


def test_a_product_in_detail_has_tiers_specifications_and_images(client):
    product = ProductFactory(
        title="Kettle",
        description="Steel.",
        moq=10,
        price_tiers=[(10, 900), (100, 800)],
        specifications=[{"name": "Capacity", "value": "1.5 l"}],
    )
    ProductImage.objects.create(
        product=product, image="products/k.jpg", thumbnail="products/tk.jpg", width=4, height=3
    )

    data = client.get(f"{LIST}{product.pk}/").json()

    assert data["description"] == "Steel."
    assert data["price_tiers"] == [
        {"min_quantity": 10, "unit_price": 900},
        {"min_quantity": 100, "unit_price": 800},
    ]
    assert data["specifications"] == [{"name": "Capacity", "value": "1.5 l"}]
    assert data["images"] == [
        {
            "image": "http://testserver/media/products/k.jpg",
            "thumbnail": "http://testserver/media/products/tk.jpg",
            "width": 4,
            "height": 3,
        }
    ]


def test_an_inactive_product_is_404_except_for_its_supplier(client):
    product = ProductFactory(is_active=False)

    assert client.get(f"{LIST}{product.pk}/").status_code == 404
    client.force_login(product.supplier)
    assert client.get(f"{LIST}{product.pk}/").status_code == 200


def test_the_api_is_read_only(client):
    product = ProductFactory()
    client.force_login(product.supplier)

    assert client.post(LIST, {"title": "x"}).status_code == 405
    assert client.delete(f"{LIST}{product.pk}/").status_code == 405


def test_the_schema_documents_the_product_endpoints_and_their_filters(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    operation = schema["paths"]["/api/v1/products/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= {
        "q",
        "category",
        "min_price",
        "max_price",
        "price_currency",
        "max_moq",
        "country",
        "verified",
        "gold",
        "trade_assurance",
        "sort",
        "page",
    }
    assert parameters["trade_assurance"]["schema"]["type"] == "boolean"
    assert set(parameters["sort"]["schema"]["enum"]) == {
        "relevance",
        "price_asc",
        "price_desc",
        "newest",
    }
    assert "indicative exchange rates" in parameters["price_currency"]["description"]
    assert "/api/v1/products/{id}/" in schema["paths"]


def test_the_api_count_stops_at_the_limit_and_says_so(client, settings):
    for n in range(3):
        ProductFactory(title=f"Item {n}")

    settings.PACTLINE_CATALOG_COUNT_LIMIT = 2
    capped = client.get(LIST).json()
    settings.PACTLINE_CATALOG_COUNT_LIMIT = 3
    exact = client.get(LIST).json()

    assert (capped["count"], capped["count_is_capped"]) == (2, True)
    assert (exact["count"], exact["count_is_capped"]) == (3, False)
