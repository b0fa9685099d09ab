"""A verified supplier without Gold buys a year of it in the browser by bank transfer: from its
Trade Assurance page to the Gold page, the transfer instructions, the sandbox provider's signed
notification that the money arrived, and Trade Assurance open to it."""

import re

import pytest
from playwright.sync_api import expect

from apps.escrow.models import GoldPurchase
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import PASSWORD, VerifiedSupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_verified_supplier_buys_a_year_of_gold_by_transfer(page):
    supplier = VerifiedSupplierFactory()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(supplier.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.goto("/supplier/trade-assurance/")
    expect(page.get_by_text("You need an active Gold membership.")).to_be_visible()
    page.get_by_role("link", name="Buy a year of Gold").click()

    expect(page.get_by_role("heading", name="Buy a year of Gold: US$ 2,999.00")).to_be_visible()
    page.get_by_label("Bank transfer (T/T)").check()
    page.get_by_role("button", name="Pay US$ 2,999.00").click()

    expect(page.get_by_text("your year of Gold starts when the money arrives")).to_be_visible()
    purchase = GoldPurchase.objects.get(supplier=supplier)
    instructions = page.get_by_role("region", name="How to pay")
    expect(instructions).to_contain_text(purchase.provider_reference)
    expect(page.get_by_role("row", name=re.compile("Waiting for the money"))).to_be_visible()

    page.get_by_role("button", name=re.compile("Sandbox: simulate the transfer arriving")).click()

    expect(page.get_by_text(re.compile("Sandbox: the transfer arrived"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Paid"))).to_be_visible()
    page.get_by_role("link", name="Trade Assurance").first.click()
    expect(page.get_by_text("You can take Trade Assurance orders.")).to_be_visible()
    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.PAID
    assert_ledger_invariants()
