"""CSV import: every row checked first; all rows saved or none, with a per-row error report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog import services
from apps.catalog.csv_import import sample_csv
from apps.catalog.exceptions import ImportRejected, ImportRow
from apps.catalog.models import PriceTier, Product
from tests.catalog.factories import CategoryFactory
from tests.factories import BuyerFactory, SupplierFactory

pytestmark = pytest.mark.django_db

HEADER = "title,description,category,currency,moq,lead_time_days,price_tiers,specifications\n"


@pytest.fixture(autouse=True)
def categories():
    CategoryFactory(slug="kitchenware", name="Kitchenware")
    CategoryFactory(slug="tiles", name="Tiles")


def csv_file(text, name="products.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")


def do_import(text, supplier=None):
    return services.product_import(supplier=supplier or SupplierFactory(), csv_file=csv_file(text))


def test_every_valid_row_becomes_a_product_with_its_tiers():
    supplier = SupplierFactory()

    products = do_import(
        HEADER + 'Water bottle,"Double-walled,\nkeeps cold",kitchenware,USD,100,20,'
        '"100: 4.20; 500: 3.90","Material: steel; Capacity: 750 ml"\n'
        "Wall tile,,TILES,eur,400,15,400: 1.60,\n",
        supplier,
    )

    assert [p.title for p in products] == ["Water bottle", "Wall tile"]
    bottle = Product.objects.get(title="Water bottle")
    assert bottle.supplier == supplier and bottle.is_active
    assert bottle.description == "Double-walled,\nkeeps cold"
    assert (bottle.price_min, bottle.price_max, bottle.moq) == (390, 420, 100)
    assert bottle.specifications[1] == {"name": "Capacity", "value": "750 ml"}
    tile = Product.objects.get(title="Wall tile")
    assert (tile.category.slug, tile.currency) == ("tiles", "EUR")
    assert PriceTier.objects.count() == 3


def test_one_bad_row_saves_nothing_and_every_problem_is_reported_by_row_and_column():
    with pytest.raises(ImportRejected) as rejected:
        do_import(
            HEADER
            + "Good bottle,,kitchenware,USD,100,20,100: 4.20,\n"
            + "Bad bottle,,no-such-slug,USD,ten,20,100: 4.20,Material\n"
            + "Another good one,,tiles,EUR,10,5,10: 1.00,\n"
            + ",,tiles,XYZ,10,5,10: 1.00,\n"
        )

    assert not Product.objects.exists()
    assert not PriceTier.objects.exists()
    assert rejected.value.row_errors == [
        ImportRow(3, "category", 'There is no category with the slug "no-such-slug".'),
        ImportRow(3, "moq", "Write the minimum order quantity as a whole number."),
        ImportRow(
            3,
            "specifications",
            '"Material" is not "name: value", e.g. "Material: stainless steel".',
        ),
        ImportRow(5, "title", "Give the product a title."),
        ImportRow(
            5,
            "currency",
            "Use one of these currencies: USD, EUR, GBP, CNY, JPY, INR, TRY, AUD, CAD, CHF.",
        ),
    ]


def test_the_product_rules_apply_to_each_row():
    with pytest.raises(ImportRejected) as rejected:
        do_import(HEADER + "Bottle,,kitchenware,USD,100,20,50: 4.20; 500: 4.90,\n")

    assert [(e.row, e.column) for e in rejected.value.row_errors] == [
        (2, "price_tiers"),
        (2, "price_tiers"),
    ]
    messages = " ".join(e.message for e in rejected.value.row_errors)
    assert "must start at the minimum order quantity (100)" in messages
    assert "cannot have a higher unit price" in messages


def test_a_missing_or_unknown_column_rejects_the_file():
    with pytest.raises(ImportRejected) as rejected:
        do_import("titel,category,currency,moq,lead_time_days,price_tiers\nx,tiles,USD,1,1,1: 1\n")

    messages = [e.message for e in rejected.value.row_errors]
    assert messages[0] == "Missing columns: title."
    assert messages[1].startswith("Unknown columns: titel.")
    assert {e.row for e in rejected.value.row_errors} == {1}


def test_a_semicolon_separated_file_from_a_european_spreadsheet_imports():
    products = do_import(
        "title;category;currency;moq;lead_time_days;price_tiers\nTile;tiles;EUR;10;5;10: 1.50\n"
    )

    assert products[0].price_min == 150


def test_the_active_column_can_hide_imported_products():
    products = do_import(
        "title,category,currency,moq,lead_time_days,price_tiers,active\n"
        "Shown,tiles,USD,1,1,1: 1,yes\nHidden,tiles,USD,1,1,1: 1,no\n"
    )

    assert [(p.title, p.is_active) for p in products] == [("Shown", True), ("Hidden", False)]


def test_a_file_that_is_not_utf8_is_rejected():
    with pytest.raises(ImportRejected, match="not UTF-8"):
        services.product_import(
            supplier=SupplierFactory(),
            csv_file=SimpleUploadedFile("p.csv", HEADER.encode() + "Caf\xe9".encode("latin-1")),
        )


def test_an_empty_file_is_rejected():
    with pytest.raises(ImportRejected, match="no product rows"):
        do_import(HEADER)


def test_too_many_rows_are_rejected(settings):
    settings.PACTLINE_CATALOG_IMPORT_MAX_ROWS = 2
    row = "Tile,,tiles,EUR,10,5,10: 1.00,\n"

    with pytest.raises(ImportRejected, match="at most 2 rows"):
        do_import(HEADER + row * 3)
    assert not Product.objects.exists()


def test_the_sample_csv_imports_cleanly():
    products = do_import(sample_csv())

    assert len(products) == 2


def test_the_import_page_documents_the_columns_and_offers_the_sample(client):
    client.force_login(SupplierFactory())

    page = client.get(reverse("supplier_product_import")).content.decode()
    sample = client.get(reverse("supplier_product_import_sample"))

    for column in ("title", "category", "currency", "moq", "lead_time_days", "price_tiers"):
        assert f"<code>{column}</code>" in page
    assert "<code>kitchenware</code>" in page
    assert reverse("supplier_product_import_sample") in page
    assert sample["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in sample["Content-Disposition"]
    assert sample.content.decode().startswith("title,description,category")


def test_the_import_page_shows_the_row_report_and_saves_nothing(client):
    client.force_login(SupplierFactory())

    response = client.post(
        reverse("supplier_product_import"),
        {
            "csv_file": csv_file(
                HEADER + "Good,,tiles,EUR,10,5,10: 1.00,\n" + "Bad,,tiles,EUR,10,5,10: 1.001,\n"
            )
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported: 1 problem to fix" in page
    assert "<td>3</td><td><code>price_tiers</code></td>" in page
    assert "EUR amounts have at most 2 decimals." in page
    assert not Product.objects.exists()


def test_the_import_page_imports_a_good_file(client):
    supplier = SupplierFactory()
    client.force_login(supplier)

    response = client.post(
        reverse("supplier_product_import"),
        {"csv_file": csv_file(HEADER + "Good,,tiles,EUR,10,5,10: 1.00,\n")},
        follow=True,
    )

    assert "Imported 1 product." in response.content.decode()
    assert Product.objects.get().supplier == supplier


def test_buyers_cannot_import(client):
    client.force_login(BuyerFactory())

    response = client.post(
        reverse("supplier_product_import"),
        {"csv_file": csv_file(HEADER + "Good,,tiles,EUR,10,5,10: 1.00,\n")},
    )

    assert response.status_code == 403
    assert not Product.objects.exists()
