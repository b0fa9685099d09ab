import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.catalog.factories import ProductFactory
from tests.e2e.helpers import log_in
from tests.factories import BuyerFactory, EligibleSupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_supplier_drafts_an_order_the_buyer_asks_for_a_change_and_both_confirm(new_page):
    supplier = EligibleSupplierFactory(company__company_name="Brightway Electronics")
    buyer = BuyerFactory(company__company_name="Noordzee Imports")
    ProductFactory(supplier=supplier, title="Warm white LED bulb", moq=500, price_tiers=[(500, 95)])
    ship_by = (timezone.localdate() + dt.timedelta(days=60)).isoformat()

    seller = new_page(timezone_id="Asia/Shanghai")
    log_in(seller, supplier.email)
    seller.get_by_role("link", name="Draft Trade Assurance Order").first.click()
    expect(seller.get_by_role("heading", name="Draft Trade Assurance Order")).to_be_visible()
    seller.get_by_label("Buyer's email").fill(buyer.email)
    seller.get_by_label("Currency").select_option("USD")
    line = seller.get_by_role("group", name="Line 1")
    line.get_by_label("Listed product").select_option(
        label="Warm white LED bulb (minimum 500, priced in USD)"
    )
    line.get_by_label("Agreed specification").fill("E27, 2700 K, 806 lm, CE/RoHS")
    line.get_by_label("Quantity").fill("1000")
    line.get_by_label("Unit price").fill("0.95")
    seller.get_by_label("Quality standard").fill("AQL 2.5 level II; 2700 K ± 100 K")
    seller.get_by_label("A fixed date").check()
    seller.get_by_label("Ship-by date").fill(ship_by)
    seller.get_by_label("Shipping method").select_option("sea")
    seller.get_by_label("Incoterm").select_option("FOB")
    seller.get_by_label("Ship to").fill("Noordzee Imports B.V., Havenweg 1, Rotterdam, NL")
    seller.get_by_label("Deposit (%)").fill("30")
    seller.get_by_role("button", name="Send draft to the buyer").click()
    expect(seller.get_by_text("is drafted and waiting in")).to_be_visible()
    expect(seller.get_by_role("heading", name="Your turn: confirm the contract")).to_be_visible()
    order_url = seller.url

    shopper = new_page()
    log_in(shopper, buyer.email)
    expect(shopper.get_by_role("heading", name="Your recent orders")).to_be_visible()
    shopper.get_by_role("link", name=re.compile(r"PL-\d+")).click()
    expect(shopper.get_by_role("heading", name="Purchase contract, version 1")).to_be_visible()
    expect(shopper.get_by_role("cell", name="Warm white LED bulb")).to_be_visible()
    shopper.get_by_label("What should change?").fill("Please make it 1,200 pieces.")
    shopper.get_by_role("button", name="Ask for a change").click()
    expect(shopper.get_by_role("heading", name="Waiting for the supplier")).to_be_visible()

    seller.goto(order_url)
    expect(
        seller.get_by_role("heading", name="Your turn: the buyer asked for a change")
    ).to_be_visible()
    expect(seller.get_by_text("Please make it 1,200 pieces.")).to_be_visible()
    seller.get_by_role("link", name="Edit the contract").click()
    seller.get_by_role("group", name="Line 1").get_by_label("Quantity").fill("1200")
    seller.get_by_role("button", name="Save as version 2").click()
    expect(seller.get_by_text("Version 2 of the contract is saved")).to_be_visible()
    seller.get_by_role("button", name="Confirm contract version 2").click()
    expect(seller.get_by_role("heading", name="Waiting for the buyer")).to_be_visible()

    shopper.reload()
    expect(shopper.get_by_role("heading", name="Purchase contract, version 2")).to_be_visible()
    shopper.get_by_role("link", name="Compare 1 with 2").click()
    expect(shopper.get_by_role("heading", name="Version 1 and version 2")).to_be_visible()
    changed = shopper.get_by_role("row").filter(has_text="changed").filter(has_text="1200 ×")
    expect(changed).to_be_visible()
    shopper.get_by_role("link", name=re.compile(r"Order PL-\d+")).click()
    shopper.get_by_role("button", name="Confirm contract version 2").click()
    expect(shopper.get_by_text("the contract is agreed")).to_be_visible()

    coverage = shopper.get_by_role("region", name="Coverage")
    expect(coverage.get_by_text("Covered by Trade Assurance")).to_be_visible()
    expect(coverage.get_by_text("US$ 1,140.00").last).to_be_visible()
    expect(coverage.get_by_text("The whole order is covered.")).to_be_visible()
    expect(shopper.get_by_role("heading", name="Your turn: pay into escrow")).to_be_visible()


def test_a_buyer_starts_an_order_from_a_product_priced_by_its_tier(new_page):
    supplier = EligibleSupplierFactory(company__company_name="Brightway Electronics")
    buyer = BuyerFactory(company__company_name="Noordzee Imports")
    ProductFactory(
        supplier=supplier,
        title="Warm white LED bulb",
        moq=500,
        price_tiers=[(500, 95), (2500, 87)],
        specifications=[{"name": "Colour temperature", "value": "2700 K"}],
    )

    page = new_page()
    log_in(page, buyer.email)
    page.get_by_role("link", name="Find products").click()
    page.get_by_role("link", name="Warm white LED bulb").click()
    page.get_by_role("link", name="Start Trade Assurance order").click()
    expect(page.get_by_label("Agreed specification")).to_have_value("Colour temperature: 2700 K")
    # htmx binds the live price once its deferred script has run; a person never types sooner.
    page.wait_for_load_state("load")
    page.get_by_label("Quantity").fill("3000")
    expect(page.get_by_text("US$ 2,610.00")).to_be_visible()  # 3000 × US$0.87, as typed
    page.get_by_label("Shipping method").select_option("sea")
    page.get_by_label("Incoterm").select_option("FOB")
    page.get_by_label("Ship to").fill("Noordzee Imports B.V., Havenweg 1, Rotterdam, NL")
    page.get_by_role("button", name="Send order to the supplier").click()

    expect(page.get_by_text("Brightway Electronics reviews the contract next")).to_be_visible()
    expect(page.get_by_role("heading", name="Your turn: confirm the contract")).to_be_visible()
    expect(page.get_by_role("cell", name="3000")).to_be_visible()
