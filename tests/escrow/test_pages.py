"""Escrow pages: paying from the order page (card at once, T/T with instructions and the sandbox
transfer), refusals as messages, the escrow card, refunds, the supplier's balance and payouts,
statements, and who may open what."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.escrow import services
from apps.escrow.models import LedgerPosting, Payment, Payout
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order
from tests.factories import BuyerFactory, EligibleSupplierFactory

pytestmark = pytest.mark.django_db

Status = Order.Status


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def logged_in(client, user):
    client.force_login(user)
    return client


def pay(order, purpose="full", method="card"):
    return services.payment_start(
        order=order, acting_user=order.buyer, purpose=purpose, method=method
    )


def funded():
    order = confirmed_order()
    pay(order)
    order.refresh_from_db()
    return order


def shipped():
    order = funded()
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MAEU1234567"
    )
    order.refresh_from_db()
    return order


def completed():
    order = shipped()
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    order.refresh_from_db()
    return order


def pay_page(client, order, data=None):
    url = reverse("order_pay", args=[order.pk])
    if data is None:
        return client.get(url, follow=True)
    return client.post(url, data, follow=True)


# --- paying ------------------------------------------------------------------------------------


def test_the_pay_page_offers_the_deposit_and_the_full_amount_with_their_amounts(client):
    order = confirmed_order()

    page = pay_page(logged_in(client, order.buyer), order).content.decode()

    assert "Deposit: US$\xa01,800.00" in page
    assert "Full amount: US$\xa06,000.00" in page
    assert "Balance:" not in page
    assert "Bank transfer (T/T)" in page


def test_paying_the_deposit_by_card_moves_the_order_to_deposit_paid(client):
    order = confirmed_order()

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "deposit", "method": "card"}
    )

    order.refresh_from_db()
    assert order.status == Status.DEPOSIT_PAID
    assert response.redirect_chain[-1][0] == reverse("order_detail", args=[order.pk])
    assert "US$\xa01,800.00 is paid into escrow by Card" in messages_of(response)[0]
    assert_ledger_invariants()


def test_after_the_deposit_only_the_balance_is_offered_and_paying_it_funds_the_order(client):
    order = confirmed_order()
    pay(order, purpose="deposit")
    client = logged_in(client, order.buyer)

    page = pay_page(client, order).content.decode()
    assert "Balance: US$\xa04,200.00" in page
    assert "Deposit:" not in page

    pay_page(client, order, {"purpose": "balance", "method": "pay_later"})
    order.refresh_from_db()
    assert order.status == Status.FUNDED


def test_a_bank_transfer_shows_the_instructions_and_the_simulated_transfer_completes_it(client):
    order = confirmed_order()
    client = logged_in(client, order.buyer)

    response = pay_page(client, order, {"purpose": "deposit", "method": "tt"})

    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.PENDING
    assert response.redirect_chain[-1][0] == reverse("order_payment", args=[order.pk, payment.pk])
    page = response.content.decode()
    assert payment.instructions["iban"] in page
    assert payment.provider_reference in page  # the payment reference to put on the transfer
    assert "Sandbox: simulate the transfer arriving" in page
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED

    response = client.post(
        reverse("order_payment_simulate", args=[order.pk, payment.pk]), follow=True
    )

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert order.status == Status.DEPOSIT_PAID
    assert "arrived and is held in escrow" in messages_of(response)[0]
    assert_ledger_invariants()


def test_a_boleto_shows_its_number(client):
    order = confirmed_order()

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "full", "method": "boleto"}
    )

    payment = Payment.objects.get(order=order)
    assert payment.instructions["boleto_number"] in response.content.decode()


def test_the_pay_page_with_a_payment_on_its_way_shows_that_payment(client):
    order = confirmed_order()
    payment = pay(order, purpose="deposit", method="tt")

    response = pay_page(logged_in(client, order.buyer), order)

    assert response.redirect_chain[-1][0] == reverse("order_payment", args=[order.pk, payment.pk])


def test_the_supplier_sees_a_pending_payment_without_the_sandbox_button(client):
    order = confirmed_order()
    payment = pay(order, purpose="deposit", method="tt")
    client = logged_in(client, order.supplier)

    page = client.get(reverse("order_payment", args=[order.pk, payment.pk])).content.decode()
    simulate = client.post(reverse("order_payment_simulate", args=[order.pk, payment.pk]))

    assert "Sandbox: simulate" not in page
    assert simulate.status_code == 403
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


# --- refused, with a clear message ---------------------------------------------------------------


def test_paying_a_cancelled_order_is_refused(client):
    order = confirmed_order()
    order_services.order_cancel(order=order, acting_user=order.buyer, reason="Found another")
    client = logged_in(client, order.buyer)

    opened = pay_page(client, order)
    posted = pay_page(client, order, {"purpose": "full", "method": "card"})

    assert "This order is cancelled: it takes no more payments." in messages_of(opened)
    assert "This order is cancelled: it takes no more payments." in posted.content.decode()
    assert not Payment.objects.exists()


def test_paying_a_completed_order_is_refused(client):
    order = completed()

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "full", "method": "card"}
    )

    assert response.status_code == 200
    assert "it takes no more payments" in response.content.decode()
    assert Payment.objects.filter(order=order).count() == 1


def test_the_balance_before_the_deposit_is_refused(client):
    order = confirmed_order()

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "balance", "method": "card"}
    )

    assert "Pay the deposit first (or pay the full amount)." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    assert not Payment.objects.exists()


def test_a_second_payment_while_one_is_pending_is_refused(client):
    order = confirmed_order()
    pay(order, purpose="deposit", method="tt")

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "full", "method": "card"}
    )

    assert "still on its way" in response.content.decode()
    assert Payment.objects.filter(order=order).count() == 1


def test_an_unknown_method_is_a_form_error(client):
    order = confirmed_order()

    response = pay_page(
        logged_in(client, order.buyer), order, {"purpose": "deposit", "method": "cash"}
    )

    assert "Select a valid choice" in response.content.decode()
    assert not Payment.objects.exists()


# --- who may open what ---------------------------------------------------------------------------


def test_another_buyer_gets_404_on_the_pay_page_and_the_payment_page(client):
    order = confirmed_order()
    payment = pay(order, purpose="deposit", method="tt")
    client = logged_in(client, BuyerFactory())

    assert client.get(reverse("order_pay", args=[order.pk])).status_code == 404
    assert (
        client.post(
            reverse("order_pay", args=[order.pk]), {"purpose": "full", "method": "card"}
        ).status_code
        == 404
    )
    assert client.get(reverse("order_payment", args=[order.pk, payment.pk])).status_code == 404
    assert (
        client.post(reverse("order_payment_simulate", args=[order.pk, payment.pk])).status_code
        == 404
    )
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_payment_is_reached_only_through_its_own_order(client):
    mine, theirs = confirmed_order(), confirmed_order()
    their_payment = pay(theirs, purpose="deposit", method="tt")

    response = logged_in(client, mine.buyer).get(
        reverse("order_payment", args=[mine.pk, their_payment.pk])
    )

    assert response.status_code == 404


def test_the_supplier_cannot_pay(client):
    order = confirmed_order()
    client = logged_in(client, order.supplier)

    assert client.get(reverse("order_pay", args=[order.pk])).status_code == 403
    assert (
        client.post(
            reverse("order_pay", args=[order.pk]), {"purpose": "full", "method": "card"}
        ).status_code
        == 403
    )
    assert not Payment.objects.exists()


def test_another_supplier_gets_404_on_the_refund(client):
    order = funded()

    response = logged_in(client, EligibleSupplierFactory()).post(
        reverse("order_refund", args=[order.pk]), {"refund-reason": "Mine now"}
    )

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == Status.FUNDED


def test_a_buyer_cannot_open_the_payouts_page(client):
    assert logged_in(client, BuyerFactory()).get(reverse("supplier_payouts")).status_code == 403


def test_staff_have_no_statement_page_but_the_admin(client, admin_user):
    assert logged_in(client, admin_user).get(reverse("statements")).status_code == 403


def test_the_pages_ask_anonymous_visitors_to_log_in(client):
    order = confirmed_order()
    for url in (
        reverse("order_pay", args=[order.pk]),
        reverse("supplier_payouts"),
        reverse("statements"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- the escrow card on the order page ------------------------------------------------------------


def escrow_card(client, order, user):
    response = logged_in(client, user).get(reverse("order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response.context["escrow"], response.content.decode()


def test_the_escrow_card_shows_paid_in_and_held_to_both_parties(client):
    order = confirmed_order()
    pay(order, purpose="deposit")

    for user in (order.buyer, order.supplier):
        escrow, page = escrow_card(client, order, user)
        assert (escrow.paid_in, escrow.held, escrow.released, escrow.refunded) == (
            180_000,
            180_000,
            0,
            0,
        )
        assert "Held in escrow" in page and "US$\xa01,800.00" in page
        assert "Deposit · Card" in page


def test_the_escrow_card_shows_released_after_receipt(client):
    order = completed()

    escrow, page = escrow_card(client, order, order.supplier)

    assert (escrow.paid_in, escrow.held, escrow.released, escrow.refunded) == (
        600_000,
        0,
        600_000,
        0,
    )
    assert "Refund the buyer" not in page  # nothing is held any more


def test_the_buyer_is_shown_the_way_to_a_pending_payment(client):
    order = confirmed_order()
    payment = pay(order, purpose="deposit", method="tt")

    _escrow, page = escrow_card(client, order, order.buyer)

    assert "Waiting for the money" in page
    assert "is on its way to escrow" in page
    assert reverse("order_payment", args=[order.pk, payment.pk]) in page


def test_the_escrow_card_before_any_payment_says_so(client):
    order = confirmed_order()

    escrow, page = escrow_card(client, order, order.buyer)

    assert escrow.paid_in == 0
    assert "No payments yet." in page
    assert reverse("order_pay", args=[order.pk]) in page


# --- refunds -------------------------------------------------------------------------------------


def refund(client, order, user, **data):
    return logged_in(client, user).post(
        reverse("order_refund", args=[order.pk]),
        {f"refund-{key}": value for key, value in data.items()},
        follow=True,
    )


def test_the_supplier_refunds_a_funded_order_in_full(client):
    order = funded()
    escrow, page = escrow_card(client, order, order.supplier)
    assert "Refund the buyer" in page
    assert 'name="refund-amount"' not in page  # in full only, before shipment

    response = refund(client, order, order.supplier, reason="Out of stock")

    order.refresh_from_db()
    assert order.status == Status.REFUNDED
    assert "US$\xa06,000.00 is refunded to the buyer" in messages_of(response)[0]
    assert response.context["escrow"].refunded == 600_000
    assert_ledger_invariants()


def test_a_partial_refund_once_shipped_releases_the_rest(client):
    order = shipped()
    _escrow, page = escrow_card(client, order, order.supplier)
    assert 'name="refund-amount"' in page

    response = refund(client, order, order.supplier, amount="1000.00", reason="Ten were broken")

    order.refresh_from_db()
    escrow = response.context["escrow"]
    assert order.status == Status.COMPLETED
    assert (escrow.held, escrow.released, escrow.refunded) == (0, 500_000, 100_000)
    assert "the rest of the escrow released to you" in messages_of(response)[0]
    assert_ledger_invariants()


def test_a_full_refund_of_a_shipped_order_is_made_or_refused_never_an_error(client):
    order = shipped()

    response = refund(client, order, order.supplier, amount="", reason="Wrong colour")

    assert response.status_code == 200
    order.refresh_from_db()
    if order.status == Status.REFUNDED:
        assert response.context["escrow"].refunded == 600_000
    else:  # the order's state machine does not allow it yet: a message, nothing moved
        assert order.status == Status.SHIPPED
        assert messages_of(response) == ["This step is not possible at this stage of the order."]
        assert response.context["escrow"].held == 600_000
    assert_ledger_invariants()


def test_a_refund_without_a_reason_is_a_form_error(client):
    order = funded()

    response = refund(client, order, order.supplier, reason="")

    assert response.context["refund_form"].errors["reason"]
    order.refresh_from_db()
    assert order.status == Status.FUNDED


def test_refunding_more_than_is_held_is_a_form_error(client):
    order = shipped()

    response = refund(client, order, order.supplier, amount="7000", reason="Oops")

    assert response.context["refund_form"].errors["amount"] == [
        "Only US$\xa06,000.00 is held in escrow."
    ]
    order.refresh_from_db()
    assert order.status == Status.SHIPPED


def test_the_buyer_cannot_refund(client):
    order = funded()

    response = refund(client, order, order.buyer, reason="Give it back")

    assert "Only the supplier refunds the buyer" in messages_of(response)[0]
    order.refresh_from_db()
    assert order.status == Status.FUNDED


# --- balance and payouts -------------------------------------------------------------------------


def test_the_payouts_page_shows_available_held_and_paid_out(client):
    done = completed()
    supplier = done.supplier
    held = confirmed_order()
    Order.objects.filter(pk=held.pk).update(supplier=supplier)
    held.refresh_from_db()
    pay(held, purpose="deposit")
    services.payout_request(supplier=supplier, amount=100_000, currency="USD")

    response = logged_in(client, supplier).get(reverse("supplier_payouts"))

    [balance] = response.context["balances"]
    assert (balance.available, balance.held, balance.paid_out) == (500_000, 180_000, 100_000)
    page = response.content.decode()
    assert "US$\xa05,000.00" in page and "US$\xa01,800.00" in page and "US$\xa01,000.00" in page
    assert "Requested" in page


def test_a_supplier_requests_a_payout_of_part_of_its_balance(client):
    order = completed()

    response = logged_in(client, order.supplier).post(
        reverse("supplier_payouts"), {"amount": "2500.50", "currency": "USD"}, follow=True
    )

    payout = Payout.objects.get()
    assert (payout.amount, payout.currency, payout.status) == (250_050, "USD", "requested")
    assert "Payout of US$\xa02,500.50 requested" in messages_of(response)[0]
    assert response.context["balances"][0].available == 600_000 - 250_050
    assert_ledger_invariants()


def test_a_payout_above_the_available_balance_is_a_form_error(client):
    order = completed()

    response = logged_in(client, order.supplier).post(
        reverse("supplier_payouts"), {"amount": "6000.01", "currency": "USD"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [
        "That is more than your available balance of US$\xa06,000.00."
    ]
    assert not Payout.objects.exists()


def test_an_ambiguous_payout_amount_is_a_form_error(client):
    order = completed()

    response = logged_in(client, order.supplier).post(
        reverse("supplier_payouts"), {"amount": "1,250", "currency": "USD"}
    )

    assert "thousands separator" in response.context["form"].errors["amount"][0]
    assert not Payout.objects.exists()


def test_a_new_supplier_has_nothing_to_pay_out(client):
    response = logged_in(client, EligibleSupplierFactory()).get(reverse("supplier_payouts"))

    assert "No money is available to pay out yet." in response.content.decode()


def simulate_payout(client, payout, outcome):
    return client.post(
        reverse("supplier_payout_simulate", args=[payout.pk]), {"outcome": outcome}, follow=True
    )


def test_the_sandbox_bank_pays_a_payout_from_the_payouts_page(client):
    supplier = completed().supplier
    payout = services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    page = logged_in(client, supplier).get(reverse("supplier_payouts")).content.decode()
    assert payout.provider_reference in page and "Bank paid it" in page

    response = simulate_payout(client, payout, "paid")

    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert messages_of(response) == ["Sandbox: the bank paid out US$\xa01,000.00."]
    page = response.content.decode()
    assert "Paid" in page and "Bank paid it" not in page  # answered: no more buttons
    assert supplier.notifications.filter(kind="payout_paid").count() == 1
    assert_ledger_invariants()


def test_the_sandbox_bank_refuses_a_payout_and_the_money_is_back(client):
    order = completed()
    payout = services.payout_request(supplier=order.supplier, amount=600_000, currency="USD")

    response = simulate_payout(logged_in(client, order.supplier), payout, "failed")

    payout.refresh_from_db()
    assert payout.status == Payout.Status.FAILED
    assert messages_of(response) == [
        "Sandbox: the bank refused the payout; US$\xa06,000.00 is back in your balance."
    ]
    assert payout.failure_reason in response.content.decode()
    assert [b.available for b in response.context["balances"]] == [600_000]
    assert_ledger_invariants()


def test_only_the_suppliers_own_unanswered_sandbox_payouts_can_be_simulated(client):
    mine, theirs = completed(), completed()
    payout = services.payout_request(supplier=mine.supplier, amount=100_000, currency="USD")
    other = services.payout_request(supplier=theirs.supplier, amount=100_000, currency="USD")
    client = logged_in(client, mine.supplier)

    assert simulate_payout(client, other, "paid").status_code == 404
    odd = simulate_payout(client, payout, "lost")
    simulate_payout(client, payout, "paid")
    again = simulate_payout(client, payout, "failed")

    refused = "Only a sandbox payout that the bank has not answered can be simulated."
    assert messages_of(odd) == [refused] and messages_of(again) == [refused]
    assert Payout.objects.get(pk=payout.pk).status == Payout.Status.PAID
    assert Payout.objects.get(pk=other.pk).status == Payout.Status.REQUESTED
    assert client.get(reverse("supplier_payout_simulate", args=[payout.pk])).status_code == 405
    assert simulate_payout(logged_in(client, mine.buyer), payout, "failed").status_code == 403
    assert_ledger_invariants()


# --- statements ----------------------------------------------------------------------------------


def test_statements_show_only_the_viewers_own_lines(client):
    mine, theirs = completed(), completed()
    services.payout_request(supplier=mine.supplier, amount=100_000, currency="USD")

    buyer_page = logged_in(client, mine.buyer).get(reverse("statements"))
    supplier_page = logged_in(client, mine.supplier).get(reverse("statements"))

    buyer_lines = list(buyer_page.context["page"].object_list)
    assert {line.account.user_id for line in buyer_lines} == {mine.buyer_id}
    assert [line.amount for line in buyer_lines] == [-600_000]
    assert mine.reference in buyer_page.content.decode()
    assert theirs.reference not in buyer_page.content.decode()

    supplier_lines = list(supplier_page.context["page"].object_list)
    assert {line.account.user_id for line in supplier_lines} == {mine.supplier_id}
    assert sorted(line.amount for line in supplier_lines) == [-100_000, 100_000, 600_000]
    page = supplier_page.content.decode()
    assert "Release to supplier" in page and "Payout to supplier" in page
    assert theirs.reference not in page
    assert LedgerPosting.objects.count() > len(buyer_lines) + len(supplier_lines)


def test_statement_dates_are_in_the_viewers_time_zone(client):
    order = confirmed_order()
    services.payment_start(
        order=order,
        acting_user=order.buyer,
        purpose="full",
        method="card",
        now=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),
    )
    order.buyer.timezone = "Asia/Shanghai"
    order.buyer.save()

    page = logged_in(client, order.buyer).get(reverse("statements")).content.decode()

    assert 'datetime="2026-03-02T07:30:00+08:00"' in page


def test_statement_amounts_carry_their_sign(client):
    order = funded()

    page = logged_in(client, order.buyer).get(reverse("statements")).content.decode()

    assert "−</span>" in page and "US$\xa06,000.00" in page


def test_statements_are_paginated(client, settings):
    order = completed()
    for _ in range(55):
        services.payout_request(supplier=order.supplier, amount=100, currency="USD")

    client = logged_in(client, order.supplier)
    first = client.get(reverse("statements"))
    last = client.get(reverse("statements"), {"page": 3})

    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 111  # release + 55 × (payable, payouts)
    assert len(last.context["page"].object_list) == 11


# --- navigation ----------------------------------------------------------------------------------


def test_the_navigation_links_the_escrow_pages(client):
    supplier_nav = logged_in(client, EligibleSupplierFactory()).get(reverse("order_list"))
    supplier_labels = [item["label"] for item in supplier_nav.context["portal_nav"]]
    buyer_nav = logged_in(client, BuyerFactory()).get(reverse("order_list"))
    buyer_labels = [item["label"] for item in buyer_nav.context["portal_nav"]]

    assert "Balance & payouts" in supplier_labels and "Statements" in supplier_labels
    assert "Statements" in buyer_labels and "Balance & payouts" not in buyer_labels
