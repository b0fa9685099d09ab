import re

import pytest
from playwright.sync_api import expect

from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.e2e.helpers import log_in
from tests.factories import BuyerFactory, EligibleSupplierFactory, SupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_buyer_finds_a_trade_assurance_product_and_opens_the_suppliers_storefront(
    page, live_server
):
    lighting = CategoryFactory(name="LED lighting", slug="led-lighting")
    covered = EligibleSupplierFactory(company__company_name="Brightway Electronics")
    ProductFactory(
        title="Warm white LED bulb",
        description="E27, 9 W, dimmable.",
        supplier=covered,
        category=lighting,
        moq=500,
        price_tiers=[(500, 95), (2500, 87)],
        specifications=[{"name": "Colour temperature", "value": "2700 K"}],
    )
    ProductFactory(
        title="Budget LED bulb",
        supplier=SupplierFactory(company__company_name="Basic Lamps"),
        category=lighting,
    )
    buyer = BuyerFactory()

    log_in(page, buyer.email)
    page.get_by_role("link", name="Find products").click()
    expect(page.get_by_role("heading", name="Find products")).to_be_visible()
    expect(page.get_by_role("link", name="Budget LED bulb")).to_be_visible()

    page.get_by_label("Search").fill("LED bulb")
    page.get_by_label("Trade Assurance only").check()
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.get_by_role("heading", name="1 product found")).to_be_visible()
    expect(page.get_by_role("link", name="Budget LED bulb")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"trade_assurance=on"))
    page.get_by_role("link", name="Warm white LED bulb").click()

    expect(page.get_by_role("heading", name="Warm white LED bulb", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="500 – 2499")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Colour temperature")).to_be_visible()
    trust_box = page.get_by_role("region", name="Brightway Electronics")
    expect(trust_box.get_by_text("Trade Assurance Amount")).to_be_visible()

    trust_box.get_by_role("link", name="Brightway Electronics").click()

    expect(page.get_by_role("heading", name="Brightway Electronics", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Warm white LED bulb")).to_be_visible()
