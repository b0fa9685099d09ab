"""A refund through the browser, back the way the money came: the supplier refunds a funded
order in full, the buyer sees the card part refunded at once and the T/T part on its way, its
(sandbox) bank refuses the transfer, the buyer gives another bank account, staff send the refund
again there from the admin, and the bank takes it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.escrow import services
from apps.escrow.models import Refund
from apps.escrow.providers.sandbox import signed_event
from tests.e2e.helpers import log_in
from tests.escrow.helpers import (
    assert_ledger_invariants,
    assert_refunds_match_ledger,
    confirmed_order,
)
from tests.factories import PASSWORD, MediatorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def funded_by_tt_and_card():
    """US$1,800.00 deposit by T/T (the provider's webhook), US$4,200.00 balance by card."""
    order = confirmed_order()
    deposit = services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )
    now = timezone.now()
    body, signature = signed_event(
        "payment.transfer_received",
        {"reference": deposit.provider_reference, "amount": deposit.amount},
        timestamp=int(now.timestamp()),
    )
    services.webhook_receive(
        provider_name="sandbox", body=body, signature_header=signature, now=now
    )
    services.payment_start(order=order, acting_user=order.buyer, purpose="balance", method="card")
    return order


def refund_rows(page):
    return page.get_by_role("list", name="Refunds to the buyer").get_by_role("listitem")


def test_a_refund_goes_back_by_card_and_transfer_and_is_sent_again_after_a_refusal(new_page):
    order = funded_by_tt_and_card()
    order_url = f"/orders/{order.pk}/"

    supplier = new_page(timezone_id="Asia/Shanghai")
    log_in(supplier, order.supplier.email)
    supplier.goto(order_url)
    supplier.get_by_text("Refund the buyer").first.click()
    supplier.get_by_label("Reason").fill("We cannot make this lot in time.")
    supplier.get_by_role("button", name="Refund the buyer").click()
    expect(supplier.get_by_text("Money sent back to the buyer")).to_be_visible()

    buyer = new_page()
    log_in(buyer, order.buyer.email)
    buyer.goto(order_url)
    rows = refund_rows(buyer)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("To the Card payment")
    expect(rows.nth(0)).to_contain_text("Refunded")
    expect(rows.nth(1)).to_contain_text("To the Bank transfer (T/T) payment")
    expect(rows.nth(1)).to_contain_text("On its way")

    # The buyer's (sandbox) bank refuses the transfer back.
    rows.nth(1).get_by_role("button", name="My bank refused it").click()
    expect(buyer.get_by_text("your bank refused the refund of US$ 1,800.00")).to_be_visible()
    expect(refund_rows(buyer).nth(1)).to_contain_text("Not delivered")
    expect(refund_rows(buyer).nth(1)).to_contain_text("Pactline holds this money for you")

    # The account is closed: the buyer gives another one, confirmed with its password.
    buyer.get_by_role("link", name="Give a bank account for this refund").click()
    buyer.get_by_label("Account holder").fill("Noordzee Imports B.V.")
    buyer.get_by_label("Bank country").select_option("NL")
    expect(buyer.get_by_label("Account number")).to_be_hidden()  # NL banks use IBANs
    buyer.get_by_label("IBAN").fill("NL91 ABNA 0417 1643 00")
    buyer.get_by_label("Your Pactline password").fill(PASSWORD)
    buyer.get_by_role("button", name="Send my refund here").click()
    given = "Our team sends it to NL91 •••• 4300, the account you gave."
    expect(buyer.get_by_text(given)).to_be_visible()

    # Staff send it again from the admin.
    staff = MediatorFactory(is_superuser=True)
    admin = new_page()
    log_in(admin, staff.email)
    admin.goto("/admin/escrow/refund/?status__exact=failed")
    admin.get_by_role("checkbox", name="Select this object for an action").first.check()
    admin.get_by_role("combobox", name="Action").select_option(
        label="Send again (undelivered refunds)"
    )
    admin.get_by_role("button", name="Go").click()
    expect(admin.get_by_text("1 refund was sent again.")).to_be_visible()

    # The buyer sees it on its way again, and its bank takes it this time.
    buyer.goto(order_url)
    rows = refund_rows(buyer)
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("To NL91 •••• 4300 · Noordzee Imports B.V. · sent again")
    rows.nth(2).get_by_role("button", name="My bank received it").click()
    expect(buyer.get_by_text("your bank received the refund of US$ 1,800.00")).to_be_visible()
    expect(refund_rows(buyer).nth(2)).to_contain_text("Refunded")

    assert list(
        Refund.objects.filter(order=order).order_by("pk").values_list("method", "status")
    ) == [("card", "refunded"), ("tt", "failed"), ("tt", "refunded")]
    assert_ledger_invariants()
    assert_refunds_match_ledger()
