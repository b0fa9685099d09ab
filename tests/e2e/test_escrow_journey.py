"""The Trade Assurance happy path through the browser, buyer and supplier side by side: draft,
confirm, the deposit by T/T (the sandbox provider's signed webhook), the balance by card, ship,
confirm receipt, and the supplier's released balance paid out."""

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.escrow.models import Payment, Payout
from apps.orders.models import Order
from tests.catalog.factories import ProductFactory
from tests.e2e.helpers import log_in
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import PASSWORD, BuyerFactory, EligibleSupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def escrow_card(page):
    return page.get_by_role("region", name="Escrow")


def expect_escrow(page, *, paid_in, held, released, refunded="US$ 0.00"):
    card = escrow_card(page)
    for label, amount in (
        ("Paid in", paid_in),
        ("Held in escrow", held),
        ("Released to the supplier", released),
        ("Refunded to the buyer", refunded),
    ):
        # Each figure is the <dd> right after its <dt>.
        expect(card.locator(f"dt:text-is('{label}') + dd")).to_have_text(amount)


def test_an_order_is_paid_by_tt_and_card_shipped_received_and_paid_out(new_page):
    supplier = EligibleSupplierFactory(
        company__company_name="Brightway Electronics", payout_account=None
    )
    buyer = BuyerFactory(company__company_name="Noordzee Imports")
    ProductFactory(supplier=supplier, title="Warm white LED bulb", moq=500, price_tiers=[(500, 95)])

    # The supplier drafts the order: 1000 × US$0.95 = US$950.00, 30% deposit (US$285.00).
    seller = new_page(timezone_id="Asia/Shanghai")
    log_in(seller, supplier.email)
    seller.get_by_role("link", name="Draft Trade Assurance Order").first.click()
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
    seller.get_by_label("A number of days after the deposit is paid").check()
    seller.get_by_label("Days after the deposit", exact=True).fill("30")
    seller.get_by_label("Shipping method").select_option("sea")
    seller.get_by_label("Incoterm").select_option("FOB")
    seller.get_by_label("Ship to").fill("Noordzee Imports B.V., Havenweg 1, Rotterdam, NL")
    seller.get_by_label("Deposit (%)").fill("30")
    seller.get_by_role("button", name="Send draft to the buyer").click()
    expect(seller.get_by_text("is drafted and waiting in")).to_be_visible()
    seller.get_by_role("button", name="Confirm contract version 1").click()
    expect(seller.get_by_role("heading", name="Waiting for the buyer")).to_be_visible()
    order_url = seller.url

    # The buyer confirms; the escrow is empty until it pays.
    shopper = new_page()
    log_in(shopper, buyer.email)
    shopper.get_by_role("link", name=re.compile(r"PL-\d+")).first.click()
    shopper.get_by_role("button", name="Confirm contract version 1").click()
    expect(shopper.get_by_text("the contract is agreed")).to_be_visible()
    expect_escrow(shopper, paid_in="US$ 0.00", held="US$ 0.00", released="US$ 0.00")
    expect(escrow_card(shopper).get_by_text("No payments yet.")).to_be_visible()

    # The deposit by bank transfer: the instructions, then the sandbox's signed webhook.
    shopper.get_by_role("link", name="Pay into escrow").click()
    expect(shopper.get_by_role("heading", name=re.compile(r"Pay order PL-\d+"))).to_be_visible()
    expect(shopper.get_by_label("Balance", exact=False)).to_have_count(0)  # not due yet
    shopper.get_by_label(re.compile(r"^Deposit: US\$\s285\.00$")).check()
    shopper.get_by_label("Bank transfer (T/T)").check()
    shopper.get_by_role("button", name="Pay into escrow").click()
    expect(shopper.get_by_role("heading", name="How to pay")).to_be_visible()
    payment = Payment.objects.get(method=Payment.Method.TT)
    expect(shopper.get_by_text(payment.provider_reference).first).to_be_visible()
    expect(shopper.get_by_text("NL00 SBOX 0000 0000 00")).to_be_visible()
    expect(shopper.get_by_text("Waiting for the money")).to_be_visible()
    shopper.get_by_role(
        "button", name=re.compile("Sandbox: simulate the transfer arriving")
    ).click()
    expect(shopper.get_by_text("arrived and is held in escrow")).to_be_visible()
    expect(shopper.get_by_role("heading", name="Your turn: pay the balance")).to_be_visible()
    expect_escrow(shopper, paid_in="US$ 285.00", held="US$ 285.00", released="US$ 0.00")

    # The supplier sees the deposit held for it.
    seller.goto(order_url)
    expect(seller.get_by_role("heading", name="Your turn: start production")).to_be_visible()
    expect_escrow(seller, paid_in="US$ 285.00", held="US$ 285.00", released="US$ 0.00")
    seller.get_by_role("button", name="Mark production as started").click()

    # The balance by card: in escrow at once.
    shopper.get_by_role("link", name="Pay into escrow").click()
    shopper.get_by_label(re.compile(r"^Balance: US\$\s665\.00$")).check()
    shopper.get_by_label("Card").check()
    shopper.get_by_role("button", name="Pay into escrow").click()
    expect(shopper.get_by_text("US$ 665.00 is paid into escrow by Card")).to_be_visible()
    expect(shopper.get_by_role("heading", name="Waiting for the shipment")).to_be_visible()
    expect_escrow(shopper, paid_in="US$ 950.00", held="US$ 950.00", released="US$ 0.00")

    # The supplier ships.
    seller.reload()
    expect(seller.get_by_role("heading", name="Your turn: ship the order")).to_be_visible()
    seller.get_by_label("Carrier").fill("Maersk")
    seller.get_by_label("Tracking number").fill("MAEU1234567")
    seller.get_by_role("button", name="Mark as shipped").click()
    expect(seller.get_by_text("The order is marked as shipped")).to_be_visible()

    # The buyer confirms receipt: the escrow goes to the supplier.
    shopper.reload()
    shopper.get_by_role("button", name="Confirm receipt").click()
    expect(shopper.get_by_text("the escrow is released to the supplier")).to_be_visible()
    expect_escrow(shopper, paid_in="US$ 950.00", held="US$ 0.00", released="US$ 950.00")

    # The supplier sees the released balance and has it paid out.
    seller.get_by_role("link", name="Balance & payouts").click()
    balances = seller.get_by_role("table", name="Your balance in each currency")
    expect(balances.get_by_role("row", name=re.compile("USD"))).to_contain_text("US$ 950.00")
    # First, where the money goes: a Chinese account number with its bank's SWIFT code,
    # confirmed with the password (a typo in the BIC's country comes back as a form error).
    expect(seller.get_by_role("button", name="Request payout")).to_have_count(0)
    seller.get_by_role("link", name="Add bank account").click()
    seller.get_by_label("Account holder").fill("Brightway Electronics Co., Ltd.")
    seller.get_by_label("Bank country").select_option("CN")
    expect(seller.get_by_label("IBAN")).to_be_hidden()  # China has no IBANs
    seller.get_by_label("Account number").fill("4000 0234 0920 0345 678")
    seller.get_by_label("BIC (SWIFT code)").fill("ABNANL2A")
    seller.get_by_label("Your Pactline password").fill(PASSWORD)
    seller.get_by_role("button", name="Add bank account").click()
    expect(
        seller.get_by_text("This BIC is of a bank in Netherlands, not in China.")
    ).to_be_visible()
    seller.get_by_label("BIC (SWIFT code)").fill("ICBKCNBJSZN")
    seller.get_by_label("Your Pactline password").fill(PASSWORD)
    seller.get_by_role("button", name="Add bank account").click()
    expect(seller.get_by_text("Payouts now go to •••• 5678.")).to_be_visible()
    seller.get_by_label("Amount").fill("950.00")
    seller.get_by_label("Currency").select_option("USD")
    seller.get_by_role("button", name="Request payout").click()
    expect(seller.get_by_text("Payout of US$ 950.00 requested")).to_be_visible()
    payouts = seller.get_by_role("table", name="Your payouts, newest first")
    expect(payouts.get_by_role("row").filter(has_text="US$ 950.00")).to_contain_text("Requested")
    expect(payouts.get_by_role("row").filter(has_text="US$ 950.00")).to_contain_text(
        "•••• 5678 · Brightway Electronics Co., Ltd."
    )
    expect(balances.get_by_role("row", name=re.compile("USD"))).to_contain_text("US$ 0.00")
    # The sandbox provider's bank answers through the signed webhook: paid.
    seller.get_by_role("button", name="Bank paid it").click()
    expect(seller.get_by_text("Sandbox: the bank paid out US$ 950.00.")).to_be_visible()
    expect(payouts.get_by_role("row").filter(has_text="US$ 950.00")).to_contain_text("Paid")
    expect(seller.get_by_role("button", name="Bank paid it")).to_have_count(0)

    # Both statements tell the story from their own side.
    seller.get_by_role("link", name="Statements").click()
    expect(seller.get_by_role("cell", name=re.compile("Release to supplier"))).to_be_visible()
    # A payout leaves the available balance and reaches the bank account: two lines.
    expect(seller.get_by_role("cell", name=re.compile("Payout to supplier"))).to_have_count(2)
    # Today's US dollar lines, downloaded for the bookkeeping.
    zone = ZoneInfo(supplier.timezone)  # the account's time zone, not the browser's
    today = timezone.localdate(timezone=zone).isoformat()
    seller.get_by_label("From").fill(today)
    seller.get_by_label("Currency").select_option("USD")
    seller.get_by_role("button", name="Show").click()
    expect(seller.get_by_role("cell", name=re.compile("Release to supplier"))).to_be_visible()
    with seller.expect_download() as download:
        seller.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"pactline-statement-from-{today}-USD.csv"
    statement = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert statement.startswith(f"Date ({zone.key}),Type,Description,Order,Account,")
    assert statement.count("Payout to supplier") == 2 and "Release to supplier" in statement
    assert ",USD,950.00," in statement and ",USD,-950.00," in statement
    shopper.get_by_role("link", name="Statements").click()
    expect(shopper.get_by_role("cell", name=re.compile("Payment into escrow"))).to_have_count(2)

    order = Order.objects.get()
    assert order.status == Order.Status.COMPLETED
    assert (Payout.objects.get().amount, Payout.objects.get().status) == (95_000, "paid")
    assert_ledger_invariants()
