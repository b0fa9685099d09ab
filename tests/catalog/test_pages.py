"""The public search and product pages."""

import pytest
from django.urls import reverse

from apps.catalog.models import ProductImage
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import BuyerFactory, EligibleSupplierFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", [None, BuyerFactory, SupplierFactory])
def test_anyone_may_browse_products(client, who):
    ProductFactory(title="Bamboo cutting board")
    if who:
        client.force_login(who())

    page = client.get(reverse("product_search")).content.decode()

    assert "Bamboo cutting board" in page
    assert "1 product found" in page


def test_the_search_page_shows_filters_with_the_price_currency_explained(client):
    page = client.get(reverse("product_search")).content.decode()

    for label in (
        "Category",
        "Lowest unit price",
        "Highest unit price",
        "Price range in",
        "Minimum order up to",
        "Supplier country",
        "Verified suppliers only",
        "Gold suppliers only",
        "Trade Assurance only",
        "Sort by",
    ):
        assert label in page
    assert "compared at indicative exchange rates" in page


def test_the_category_filter_lists_the_tree(client):
    home = CategoryFactory(name="Home", slug="home")
    CategoryFactory(name="Kitchen", slug="kitchen", parent=home)

    page = client.get(reverse("product_search")).content.decode()

    assert '<optgroup label="Home">' in page
    assert '<option value="home">All of Home</option>' in page
    assert '<option value="kitchen">Kitchen</option>' in page


def test_the_trade_assurance_filter_on_the_page(client):
    ProductFactory(title="Covered kettle", supplier=EligibleSupplierFactory())
    ProductFactory(title="Uncovered kettle", supplier=SupplierFactory())

    page = client.get(reverse("product_search"), {"trade_assurance": "on"}).content.decode()

    assert "Covered kettle" in page
    assert "Uncovered kettle" not in page


def test_the_chosen_filters_stay_chosen_on_the_page(client):
    page = client.get(
        reverse("product_search"),
        {"country": "CN", "trade_assurance": "on", "sort": "price_asc", "q": "kettle"},
    ).content.decode()

    assert '<option value="CN" selected>China</option>' in page
    assert page.count('<option value="CN"') == 1
    assert '<option value="price_asc" selected>' in page
    assert 'name="trade_assurance" id="id_trade_assurance" checked' in page
    assert 'value="kettle"' in page


def test_result_cards_show_price_range_moq_and_badges(client):
    ProductFactory(
        title="Kettle",
        supplier=EligibleSupplierFactory(company__company_name="Brightway"),
        moq=50,
        price_tiers=[(50, 1250), (500, 1100)],
    )

    page = client.get(reverse("product_search")).content.decode()

    assert "US$\u00a011.00 – US$\u00a012.50" in page
    assert "Min. order 50" in page
    assert "Brightway" in page
    assert 'class="badge badge-ta"' in page
    assert 'class="badge badge-gold"' in page


def test_the_page_links_keep_the_filters(client, settings):
    settings.PACTLINE_CATALOG_PAGE_SIZE = 2
    for n in range(5):
        ProductFactory(title=f"Steel pan {n}")

    page = client.get(reverse("product_search"), {"q": "pan", "sort": "newest"}).content.decode()

    assert "Page 1 of 3" in page
    assert 'href="?q=pan&amp;sort=newest&amp;page=2"' in page


def test_pagination_pages_through_every_result(client, settings):
    settings.PACTLINE_CATALOG_PAGE_SIZE = 2
    for n in range(5):
        ProductFactory(title=f"Item {n}")

    seen = []
    for number in (1, 2, 3):
        page = client.get(reverse("product_search"), {"page": number}).content.decode()
        seen += [f"Item {n}" for n in range(5) if f">Item {n}<" in page]

    assert sorted(seen) == [f"Item {n}" for n in range(5)]


def test_a_bad_filter_is_reported_and_lists_nothing(client):
    ProductFactory()

    page = client.get(reverse("product_search"), {"min_price": "1.234"}).content.decode()

    assert "USD amounts have at most 2 decimals." in page
    assert "0 products found" in page


def test_an_inverted_price_range_is_reported(client):
    page = client.get(
        reverse("product_search"), {"min_price": "5", "max_price": "2"}
    ).content.decode()

    assert "The highest price is below the lowest price." in page


def test_htmx_requests_get_only_the_results(client):
    ProductFactory(title="Kettle")

    response = client.get(reverse("product_search"), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert "Kettle" in page
    assert "<html" not in page


def test_the_product_page_shows_tiers_specifications_and_the_trust_box(client):
    supplier = EligibleSupplierFactory(company__company_name="Anatolia Ceramics")
    product = ProductFactory(
        title="Iznik plate",
        description="Hand-painted.",
        supplier=supplier,
        moq=100,
        price_tiers=[(100, 540), (500, 500)],
        specifications=[{"name": "Material", "value": "Porcelain"}],
    )

    page = client.get(reverse("product_detail", args=[product.pk])).content.decode()

    assert "<h1" in page and "Iznik plate" in page
    assert "100 – 499" in page and "500 or more" in page
    assert "US$\u00a05.40" in page
    assert "Porcelain" in page
    assert "Anatolia Ceramics" in page
    assert reverse("supplier_storefront", args=[supplier.pk]) in page
    assert "Trade Assurance Amount" in page


def test_the_product_page_shows_its_images(client):
    product = ProductFactory()
    ProductImage.objects.create(
        product=product, image="products/a.jpg", thumbnail="products/ta.jpg", width=1, height=1
    )

    page = client.get(reverse("product_detail", args=[product.pk])).content.decode()

    assert 'src="/media/products/ta.jpg"' in page
    assert 'href="/media/products/a.jpg"' in page


@pytest.mark.parametrize("who", [None, BuyerFactory, SupplierFactory])
def test_an_inactive_product_is_not_found_by_others(client, who):
    product = ProductFactory(is_active=False)
    if who:
        client.force_login(who())

    assert client.get(reverse("product_detail", args=[product.pk])).status_code == 404


def test_its_supplier_still_sees_an_inactive_product(client):
    product = ProductFactory(is_active=False)
    client.force_login(product.supplier)

    page = client.get(reverse("product_detail", args=[product.pk])).content.decode()

    assert "This product is deactivated" in page


def test_a_product_of_a_closed_supplier_account_is_not_found(client):
    product = ProductFactory(supplier=SupplierFactory(is_active=False))

    assert client.get(reverse("product_detail", args=[product.pk])).status_code == 404


def test_a_count_beyond_the_limit_reads_more_than(client, settings):
    settings.PACTLINE_CATALOG_COUNT_LIMIT = 3
    settings.PACTLINE_CATALOG_PAGE_SIZE = 2
    for n in range(5):
        ProductFactory(title=f"Item {n}")

    page = client.get(reverse("product_search")).content.decode()

    assert "More than 3 products found" in page
    assert "Page 1 of 2" in page


def test_a_count_at_the_limit_is_exact(client, settings):
    settings.PACTLINE_CATALOG_COUNT_LIMIT = 3
    for n in range(3):
        ProductFactory(title=f"Item {n}")

    assert "3 products found" in client.get(reverse("product_search")).content.decode()
