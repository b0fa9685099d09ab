"""The steps after the contract through the pages: cancelling, production, shipping, delivery,
receipt, messages, coverage and the timeline. A step out of turn is a message, never a 500."""

import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.orders import services
from apps.orders.models import Order, OrderEvent, ShippingDocument
from apps.suppliers.models import SupplierProfile
from tests.factories import EligibleSupplierFactory
from tests.orders.test_pages import (
    confirmed_order,
    draft_order,
    funded_order,
    moved_to,
    pdf,
    shipped_order,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def post(client, name, order, data=None):
    return client.post(reverse(name, args=[order.pk]), data or {}, follow=True)


def ship_data(**overrides):
    data = {
        "carrier": "Maersk",
        "tracking_number": "MAEU1234567",
        "documents-TOTAL_FORMS": "2",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "10",
        "documents-0-file": pdf("bill-of-lading.pdf"),
        "documents-0-description": "Bill of lading",
    }
    return {**data, **overrides}


# --- out of turn: a clear message, nothing changes ---------------------------------------------


@pytest.mark.parametrize(
    ("make", "party", "name", "data", "message"),
    [
        (draft_order, "buyer", "order_confirm_receipt", None, "This order is draft"),
        (draft_order, "supplier", "order_start_production", None, "This order is draft"),
        (draft_order, "buyer", "order_record_delivery", None, "This order is draft"),
        (draft_order, "supplier", "order_ship", ship_data, "This order is draft"),
        (confirmed_order, "supplier", "order_ship", ship_data, "not funded yet"),
        (funded_order, "buyer", "order_cancel", {"reason": "Changed my mind"}, "only refunded"),
        (funded_order, "supplier", "order_confirm_receipt", None, "The other party does"),
        (funded_order, "buyer", "order_ship", ship_data, "The other party does"),
        (funded_order, "buyer", "order_start_production", None, "The other party does"),
        (shipped_order, "buyer", "order_confirm", {"version_number": "1"}, "This order is shipped"),
        (shipped_order, "supplier", "order_ship", ship_data, "This order is shipped"),
    ],
)
def test_a_step_out_of_turn_is_refused_with_a_message_and_changes_nothing(
    client, make, party, name, data, message
):
    order = make()
    before = (order.status, order.events.count(), ShippingDocument.objects.count())
    client.force_login(getattr(order, party))

    response = post(client, name, order, data() if callable(data) else data)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("order_detail", args=[order.pk])
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert 'class="alert alert-danger' in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.events.count(), ShippingDocument.objects.count()) == before


def test_the_state_change_urls_refuse_get(client):
    order = draft_order()
    client.force_login(order.buyer)

    assert client.get(reverse("order_confirm", args=[order.pk])).status_code == 405
    assert client.get(reverse("order_cancel", args=[order.pk])).status_code == 405


def test_a_confirm_without_a_version_number_is_refused_with_a_message(client):
    order = draft_order()
    client.force_login(order.buyer)

    response = post(client, "order_confirm", order, {})

    assert "Reload the page" in messages_of(response)[0]
    assert not order.current_version.confirmations.exists()


# --- cancelling ---------------------------------------------------------------------------------


def test_either_party_cancels_with_a_reason_before_money_is_paid(client):
    order = confirmed_order()
    client.force_login(order.supplier)

    response = post(client, "order_cancel", order, {"reason": "Factory closed for the holiday"})

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.cancel_reason == "Factory closed for the holiday"
    page = response.content.decode()
    assert "Factory closed for the holiday" in page
    assert "Cancel this order" not in page


def test_a_cancel_without_a_reason_shows_a_form_error_and_changes_nothing(client):
    order = draft_order()
    client.force_login(order.buyer)

    response = client.post(reverse("order_cancel", args=[order.pk]), {"reason": "  "})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_reason_error"' in page
    assert '<details class="mt-2" open>' in page
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


def test_a_cancel_form_sent_when_cancelling_is_no_longer_possible_says_so(client):
    order = funded_order()
    client.force_login(order.buyer)

    response = post(client, "order_cancel", order, {"reason": ""})

    assert "not possible at this stage" in messages_of(response)[0]
    order.refresh_from_db()
    assert order.status == Order.Status.FUNDED


# --- production, shipping, delivery, receipt ----------------------------------------------------


def test_the_supplier_marks_production_started_after_the_deposit(client):
    order = moved_to(confirmed_order(), Order.Status.DEPOSIT_PAID)
    client.force_login(order.supplier)
    assert (
        "Your turn: start production"
        in client.get(reverse("order_detail", args=[order.pk])).content.decode()
    )

    response = post(client, "order_start_production", order)

    order.refresh_from_db()
    assert order.production_started_at is not None
    assert "Production is marked as started" in messages_of(response)[0]
    assert "Mark production as started" not in response.content.decode()


def test_the_buyer_sees_the_balance_due_after_the_deposit(client):
    order = moved_to(confirmed_order(), Order.Status.DEPOSIT_PAID)
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Your turn: pay the balance" in page
    assert "US$\xa04,200.00" in page


def test_the_supplier_ships_a_funded_order_with_carrier_tracking_and_documents(client):
    order = funded_order()
    client.force_login(order.supplier)
    assert (
        "Your turn: ship the order"
        in client.get(reverse("order_detail", args=[order.pk])).content.decode()
    )

    response = post(client, "order_ship", order, ship_data())

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert (order.carrier, order.tracking_number) == ("Maersk", "MAEU1234567")
    document = order.shipping_documents.get()
    assert document.description == "Bill of lading"
    page = response.content.decode()
    assert reverse("order_shipping_document", args=[order.pk, document.pk]) in page
    assert "MAEU1234567" in page


def test_shipping_without_a_tracking_number_shows_the_error_and_changes_nothing(client):
    order = funded_order()
    client.force_login(order.supplier)

    response = client.post(reverse("order_ship", args=[order.pk]), ship_data(tracking_number=""))

    assert response.status_code == 200
    assert 'id="id_tracking_number_error"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.FUNDED


def test_a_shipping_document_that_is_not_a_document_is_refused(client):
    order = funded_order()
    client.force_login(order.supplier)
    bad = SimpleUploadedFile("bl.pdf", b"#!/bin/sh\necho hi\n")

    response = client.post(
        reverse("order_ship", args=[order.pk]), ship_data(**{"documents-0-file": bad})
    )

    assert response.status_code == 200
    assert 'id="id_documents-0-file_error"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.FUNDED and not order.shipping_documents.exists()


def test_either_party_records_the_delivery(client):
    order = shipped_order()
    client.force_login(order.supplier)

    response = post(client, "order_record_delivery", order)

    order.refresh_from_db()
    assert order.delivered_at is not None
    assert "Record delivery" not in response.content.decode()
    again = post(client, "order_record_delivery", order)
    assert "Delivery is already recorded." in messages_of(again)


def test_the_buyer_confirms_receipt_and_the_order_completes(client):
    order = shipped_order()
    client.force_login(order.buyer)
    assert (
        "Your turn: confirm receipt"
        in client.get(reverse("order_detail", args=[order.pk])).content.decode()
    )

    response = post(client, "order_confirm_receipt", order)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert "escrow is released" in messages_of(response)[0]
    assert "Nothing to do on your side right now" in response.content.decode()


# --- messages -------------------------------------------------------------------------------------


def test_a_party_sends_a_message_with_an_attachment(client):
    order = draft_order()
    client.force_login(order.buyer)

    response = client.post(
        reverse("order_message_send", args=[order.pk]),
        {"body": "Here is our artwork.", "attachment": pdf("artwork.pdf")},
        follow=True,
    )

    message = order.messages.get()
    assert message.attachment
    page = response.content.decode()
    assert "Here is our artwork." in page
    assert reverse("order_message_attachment", args=[order.pk, message.pk]) in page
    assert "artwork.pdf" in page


def test_a_message_attachment_that_is_not_a_document_is_refused(client):
    order = draft_order()
    client.force_login(order.supplier)

    response = client.post(
        reverse("order_message_send", args=[order.pk]),
        {"body": "See file", "attachment": SimpleUploadedFile("a.pdf", b"PK\x03\x04zip")},
    )

    assert response.status_code == 200
    assert 'id="id_attachment_error"' in response.content.decode()
    assert not order.messages.exists()


def test_an_empty_message_shows_an_error(client):
    order = draft_order()
    client.force_login(order.supplier)

    response = client.post(reverse("order_message_send", args=[order.pk]), {"body": ""})

    assert response.status_code == 200
    assert 'id="id_body_error"' in response.content.decode()
    assert not order.messages.exists()


def test_messages_stay_open_on_a_completed_order(client):
    order = shipped_order()
    services.order_confirm_receipt(order=order, acting_user=order.buyer)
    client.force_login(order.supplier)

    post(client, "order_message_send", order, {"body": "Thank you for your order"})

    assert order.messages.filter(body="Thank you for your order").exists()


WARNING = (
    "This message may ask you to pay outside Pactline. "
    "Only payments through Pactline are protected."
)


def test_the_buyer_is_warned_about_a_message_asking_to_pay_outside_pactline(client):
    order = draft_order()
    client.force_login(order.supplier)
    post(
        client,
        "order_message_send",
        order,
        {"body": "For a discount please pay directly to our bank account, IBAN below."},
    )

    client.force_login(order.buyer)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert WARNING in page
    assert order.messages.get().payment_warning


def test_an_ordinary_message_carries_no_payment_warning(client):
    order = draft_order()
    services.order_message_send(order=order, acting_user=order.supplier, body="Samples are ready.")
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert WARNING not in page


def test_the_supplier_sees_that_the_buyer_was_warned(client):
    order = draft_order()
    services.order_message_send(
        order=order, acting_user=order.supplier, body="Send the money by Western Union."
    )
    client.force_login(order.supplier)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert WARNING not in page
    assert "The buyer was warned" in page


# --- coverage, the Trade Assurance box and the timeline ------------------------------------


def test_the_buyer_sees_the_covered_amount_before_paying(client):
    order = confirmed_order()
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Covered by Trade Assurance" in page
    assert "The whole order is covered." in page
    assert "Fixed when both parties confirmed the contract." in page


def test_the_buyer_is_warned_when_the_order_exceeds_the_coverage(client):
    supplier = EligibleSupplierFactory()
    SupplierProfile.objects.filter(user=supplier).update(ta_amount=250_000)  # US$2,500
    order = draft_order(supplier=supplier)
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "This order is larger than the supplier's Trade Assurance coverage." in page
    assert "Only US$\xa02,500.00 is covered; US$\xa03,500.00 is not protected" in page


def test_the_order_page_says_what_trade_assurance_covers_and_what_not(client):
    order = draft_order()
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "The products in this contract" in page
    assert "On-time shipment" in page and "Quality as specified" in page
    assert "Not covered" in page and "Warranties and after-sales service" in page


def test_the_contract_shows_the_deposit_and_balance_split(client):
    order = draft_order()
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Deposit (30%)" in page
    assert "US$\xa01,800.00" in page and "US$\xa04,200.00" in page
    assert "FOB – Free On Board" in page and "Sea freight" in page


def test_the_timeline_shows_every_event_with_who_and_when(client):
    order = confirmed_order()
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    timeline = page.split('id="timeline-heading"')[1]

    for event in order.events.all():
        assert event.get_type_display() in timeline
    assert order.supplier.company.company_name in timeline
    assert "Covered by Trade Assurance: US$\xa06,000.00 of US$\xa06,000.00" in timeline
    assert order.events.filter(type=OrderEvent.Type.CONFIRMED).exists()


def test_the_timeline_is_shown_in_the_viewers_time_zone(client):
    order = draft_order()
    order.buyer.timezone = "Asia/Tokyo"
    order.buyer.save()
    created = order.events.get().created_at
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert created.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).isoformat() in page
