"""Suppliers manage their own products; nobody else can touch them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.models import PriceTier, Product, ProductImage
from tests.catalog.factories import CategoryFactory, ProductFactory, image_bytes
from tests.factories import BuyerFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def product_form(category, **overrides):
    data = {
        "title": "Stainless steel bottle",
        "description": "Keeps drinks cold.",
        "category": str(category.pk),
        "currency": "USD",
        "moq": "100",
        "lead_time_days": "20",
        "price_tiers": "100: 4.20\n500: 3.90\n2,000: 3.50",
        "specifications": "Material: 304 steel\nCapacity: 750 ml",
    }
    return {**data, **overrides}


def test_a_supplier_lists_a_product_with_tiers_and_specifications(client):
    supplier = SupplierFactory()
    category = CategoryFactory()
    client.force_login(supplier)

    response = client.post(reverse("supplier_product_create"), product_form(category))

    product = Product.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("supplier_product_edit", args=[product.pk])
    assert product.supplier == supplier and product.is_active
    assert list(product.price_tiers.values_list("min_quantity", "unit_price")) == [
        (100, 420),
        (500, 390),
        (2000, 350),
    ]
    assert (product.price_min, product.price_max) == (350, 420)
    assert product.specifications == [
        {"name": "Material", "value": "304 steel"},
        {"name": "Capacity", "value": "750 ml"},
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"price_tiers": "50: 4.20"}, "price_tiers", "must start at the minimum order quantity"),
        ({"price_tiers": "100: 4.20\n500: 4.90"}, "price_tiers", "cannot have a higher unit"),
        ({"price_tiers": "100 4.20"}, "price_tiers", "is not &quot;quantity: unit price&quot;"),
        ({"price_tiers": "100: 4.205"}, "price_tiers", "USD amounts have at most 2 decimals"),
        ({"price_tiers": "100: 0"}, "price_tiers", "Unit prices must be more than zero"),
        ({"specifications": "Material"}, "specifications", "is not &quot;name: value&quot;"),
        ({"specifications": "A: 1\na: 2"}, "specifications", "may appear only once"),
        ({"lead_time_days": "9999"}, "lead_time_days", "from 0 to 365"),
    ],
)
def test_a_product_breaking_a_rule_is_refused_with_the_reason_on_its_field(
    client, overrides, field, message
):
    client.force_login(SupplierFactory())

    response = client.post(
        reverse("supplier_product_create"), product_form(CategoryFactory(), **overrides)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Product.objects.exists()


def test_a_supplier_edits_a_product_and_its_tiers_are_replaced(client):
    product = ProductFactory(moq=10, price_tiers=[(10, 900), (100, 800)])
    client.force_login(product.supplier)

    form = client.get(reverse("supplier_product_edit", args=[product.pk])).content.decode()
    assert "10: 9.00\n100: 8.00" in form

    client.post(
        reverse("supplier_product_edit", args=[product.pk]),
        product_form(product.category, moq="20", price_tiers="20: 7.00", currency="EUR"),
    )

    product.refresh_from_db()
    assert (product.moq, product.currency, product.price_min, product.price_max) == (
        20,
        "EUR",
        700,
        700,
    )
    assert list(PriceTier.objects.filter(product=product).values_list("min_quantity")) == [(20,)]


def test_a_supplier_deactivates_and_reactivates_a_product(client):
    product = ProductFactory(title="Kettle")
    client.force_login(product.supplier)

    client.post(reverse("supplier_product_deactivate", args=[product.pk]))
    product.refresh_from_db()
    assert not product.is_active
    client.logout()
    assert "Kettle" not in client.get(reverse("product_search")).content.decode()

    client.force_login(product.supplier)
    client.post(reverse("supplier_product_activate", args=[product.pk]))
    product.refresh_from_db()
    assert product.is_active


def test_deactivate_is_post_only(client):
    product = ProductFactory()
    client.force_login(product.supplier)

    assert client.get(reverse("supplier_product_deactivate", args=[product.pk])).status_code == 405
    product.refresh_from_db()
    assert product.is_active


def test_the_supplier_list_shows_only_the_suppliers_own_products(client):
    mine = ProductFactory(title="My kettle", is_active=False)
    ProductFactory(title="Their kettle")
    client.force_login(mine.supplier)

    page = client.get(reverse("supplier_product_list")).content.decode()

    assert "My kettle" in page and "Hidden" in page
    assert "Their kettle" not in page


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("supplier_product_edit", "get"),
        ("supplier_product_edit", "post"),
        ("supplier_product_deactivate", "post"),
        ("supplier_product_activate", "post"),
        ("supplier_product_image_upload", "post"),
    ],
)
def test_another_supplier_gets_404_on_someone_elses_product(client, name, method):
    product = ProductFactory(title="A's product")
    client.force_login(SupplierFactory())

    response = getattr(client, method)(reverse(name, args=[product.pk]))

    assert response.status_code == 404
    product.refresh_from_db()
    assert product.title == "A's product" and product.is_active


def test_another_supplier_cannot_edit_by_posting_a_form(client):
    product = ProductFactory(title="A's product")
    client.force_login(SupplierFactory())

    response = client.post(
        reverse("supplier_product_edit", args=[product.pk]),
        product_form(product.category, title="Stolen"),
    )

    assert response.status_code == 404
    product.refresh_from_db()
    assert product.title == "A's product"


def test_another_supplier_cannot_delete_someone_elses_image(client):
    image = ProductImage.objects.create(
        product=ProductFactory(), image="a.jpg", thumbnail="t.jpg", width=1, height=1
    )
    intruder_product = ProductFactory()
    client.force_login(intruder_product.supplier)

    for product_pk in (image.product_id, intruder_product.pk):
        url = reverse("supplier_product_image_delete", args=[product_pk, image.pk])
        assert client.post(url).status_code == 404
    assert ProductImage.objects.filter(pk=image.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        reverse("supplier_product_list"),
        reverse("supplier_product_create"),
        reverse("supplier_product_import"),
        reverse("supplier_product_import_sample"),
    ],
)
def test_a_buyer_gets_a_friendly_403_on_supplier_pages(client, url):
    client.force_login(BuyerFactory())

    response = client.get(url)

    assert response.status_code == 403
    assert "This page is not for your account" in response.content.decode()


def test_a_buyer_cannot_edit_a_product_either(client):
    product = ProductFactory()
    client.force_login(BuyerFactory())

    assert client.get(reverse("supplier_product_edit", args=[product.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("supplier_product_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_owner_uploads_and_deletes_an_image_from_the_edit_page(
    client, settings, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    client.force_login(product.supplier)

    response = client.post(
        reverse("supplier_product_image_upload", args=[product.pk]),
        {"image": SimpleUploadedFile("photo.png", image_bytes("PNG"), "image/png")},
    )
    assert response.status_code == 302
    image = product.images.get()
    assert (settings.MEDIA_ROOT / image.thumbnail.name).exists()
    edit_page = client.get(reverse("supplier_product_edit", args=[product.pk])).content.decode()
    assert image.thumbnail.url in edit_page

    files = [settings.MEDIA_ROOT / image.image.name, settings.MEDIA_ROOT / image.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("supplier_product_image_delete", args=[product.pk, image.pk]))

    assert not product.images.exists()
    assert not any(path.exists() for path in files)
