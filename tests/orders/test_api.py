"""The orders API (/api/v1/orders/): the contract negotiated, confirmed and carried out through
the API; every step out of turn refused with a message (400/403/409), never a 500."""

import datetime as dt
import json

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from apps.orders import services
from apps.orders.models import Order, OrderMessage
from tests.catalog.factories import ProductFactory
from tests.factories import BuyerFactory, EligibleSupplierFactory, VerifiedSupplierFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(user, path, data=None, **kwargs):
    kwargs.setdefault("format", "json")
    return client_for(user).post(f"{ORDERS}{path}", data or {}, **kwargs)


def get(user, path="", **params):
    return client_for(user).get(f"{ORDERS}{path}", params)


def in_days(days):
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def contract_payload(**overrides):
    """Valid terms for the API: 500 pieces at US$12.00 = US$6,000.00, 30% deposit."""
    data = {
        "currency": "USD",
        "lines": [
            {
                "product_title": "Warm white LED bulb",
                "specification": "E27, 2700 K, 806 lm, CE/RoHS",
                "quantity": 500,
                "unit_price": 1200,
            }
        ],
        "quality_standard": "AQL 2.5 level II; colour temperature 2700 K ± 100 K",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Noordzee Imports B.V., Havenweg 1, 3089 Rotterdam, NL",
        "deposit_percent": 30,
        "ship_by_date": in_days(45),
    }
    data.update(overrides)
    return data


def start_payload(product, quantity, **overrides):
    data = contract_payload(lines=[{"product_id": product.pk, "quantity": quantity}])
    del data["currency"]
    data.update(overrides)
    return data


@pytest.fixture
def buyer():
    return BuyerFactory()


@pytest.fixture
def supplier():
    return EligibleSupplierFactory()


@pytest.fixture
def draft(buyer, supplier):
    """A draft the supplier wrote for the buyer (version 1, nobody has confirmed yet)."""
    return services.order_draft_for_buyer(supplier=supplier, buyer_email=buyer.email, terms=terms())


def confirm_both(order):
    for user in (order.buyer, order.supplier):
        services.contract_confirm(
            order=order, acting_user=user, version_number=order.current_version.number
        )
    return Order.objects.get(pk=order.pk)


def paid(order, status=Order.Status.FUNDED):
    """Money has arrived: `status` is protected, so the test moves it as the escrow would."""
    order = confirm_both(order)
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(status=status, deposit_paid_at=now, funded_at=now)
    return Order.objects.get(pk=order.pk)


def shipped(order):
    order = paid(order)
    services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1234567"
    )
    return Order.objects.get(pk=order.pk)


def assert_refused(response, status, *fields):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= set(fields), body
    for messages in body.values():
        assert messages and all(isinstance(m, str) and m for m in messages), body
    return body


# --- the happy paths -------------------------------------------------------------------------


def test_a_drafted_contract_is_changed_on_request_and_confirmed_by_both(buyer, supplier):
    response = post(supplier, "drafts/", {"buyer_email": buyer.email, **contract_payload()})
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["status"], order["version"], order["party"]) == ("draft", 1, "supplier")
    assert order["buyer"]["id"] == buyer.pk and order["supplier"]["id"] == supplier.pk
    assert order["total_amount"] == 600_000 and order["currency"] == "USD"
    assert "change_request" not in order["allowed_actions"]
    url = f"{order['id']}/"

    asked = post(buyer, f"{url}change-request/", {"text": "Make it 600 pieces at US$12.00."})
    assert asked.status_code == 200, asked.content
    assert asked.json()["timeline"][-1]["type"] == "change_requested"

    edited = post(
        supplier,
        f"{url}contract/",
        contract_payload(
            lines=[
                {
                    "product_title": "Warm white LED bulb",
                    "specification": "E27, 2700 K, 806 lm, CE/RoHS",
                    "quantity": 600,
                    "unit_price": 1200,
                }
            ]
        ),
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["version"] == 2 and edited.json()["total_amount"] == 720_000

    by_buyer = post(buyer, f"{url}confirm/", {"version": 2}).json()
    assert by_buyer["status"] == "draft"
    assert by_buyer["confirmations"]["version"] == 2
    assert by_buyer["confirmations"]["buyer"]["confirmed"] is True
    assert by_buyer["confirmations"]["supplier"] == {"confirmed": False, "confirmed_at": None}
    assert "confirm" not in by_buyer["allowed_actions"]

    by_supplier = post(supplier, f"{url}confirm/", {"version": 2})
    assert by_supplier.status_code == 200, by_supplier.content

    detail = get(buyer, url).json()
    assert detail["status"] == "confirmed"
    assert detail["coverage"] == {
        "covered_amount": 720_000,
        "uncovered_amount": 0,
        "total_amount": 720_000,
        "currency": "USD",
        "exceeds": False,
        "fixed": True,
    }
    assert detail["contract"]["number"] == 2
    assert detail["contract"]["deposit_amount"] == 216_000
    assert detail["contract"]["balance_amount"] == 504_000
    assert [line["quantity"] for line in detail["contract"]["lines"]] == [600]
    assert {c["party"] for c in detail["contract"]["confirmations"]} == {"buyer", "supplier"}
    assert detail["ship_by"] is not None
    assert [event["type"] for event in detail["timeline"]] == [
        "created",
        "change_requested",
        "contract_edited",
        "party_confirmed",
        "party_confirmed",
        "confirmed",
    ]
    messages = get(buyer, f"{url}messages/").json()["results"]
    assert [(m["kind"], m["sender"]["party"]) for m in messages] == [("change_request", "buyer")]


def test_the_versions_are_listed_and_compared(draft):
    services.contract_edit(
        order=draft, acting_user=draft.supplier, terms=terms(deposit_percent=50, remarks="Rush")
    )

    versions = get(draft.buyer, f"{draft.pk}/versions/").json()
    comparison = get(draft.buyer, f"{draft.pk}/versions/compare/", old=1, new=2).json()

    assert [(v["number"], v["deposit_percent"]) for v in versions] == [(1, 30), (2, 50)]
    assert set(comparison["changed_fields"]) == {"deposit_percent", "remarks"}
    assert (comparison["old"]["number"], comparison["new"]["number"]) == (1, 2)
    assert comparison["lines"][0]["changed"] is False
    assert comparison["lines"][0]["new"]["unit_price"] == 1200


def test_comparing_a_version_that_does_not_exist_is_404_and_bad_numbers_400(draft):
    assert get(draft.buyer, f"{draft.pk}/versions/compare/", old=1, new=7).status_code == 404
    assert_refused(
        get(draft.buyer, f"{draft.pk}/versions/compare/", old="x", new=0), 400, "old", "new"
    )


def test_the_coverage_shows_when_the_order_exceeds_the_suppliers_amount(buyer):
    supplier = EligibleSupplierFactory(supplier_profile__ta_amount=100_000)
    order = services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms()
    )

    coverage = get(buyer, f"{order.pk}/").json()["coverage"]

    assert coverage == {
        "covered_amount": 100_000,
        "uncovered_amount": 500_000,
        "total_amount": 600_000,
        "currency": "USD",
        "exceeds": True,
        "fixed": False,
    }


def test_a_buyer_orders_a_product_at_the_price_tier_for_the_quantity(buyer, supplier):
    product = ProductFactory(
        supplier=supplier,
        title="Kettle",
        currency="EUR",
        moq=100,
        price_tiers=[(100, 2500), (500, 2200), (1000, 2000)],
        specifications=[{"name": "Capacity", "value": "1.5 l"}],
    )

    response = post(buyer, "", start_payload(product, 600))

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["status"], order["party"], order["currency"]) == ("draft", "buyer", "EUR")
    assert order["supplier"]["id"] == supplier.pk
    line = order["contract"]["lines"][0]
    assert (line["product_id"], line["product_title"]) == (product.pk, "Kettle")
    assert (line["quantity"], line["unit_price"], line["line_total"]) == (600, 2200, 1_320_000)
    assert line["specification"] == "Capacity: 1.5 l"
    assert order["total_amount"] == 1_320_000
    assert order["contract"]["created_by_id"] == buyer.pk


def test_a_buyer_may_state_the_specification_and_order_at_a_tier_boundary(buyer, supplier):
    product = ProductFactory(supplier=supplier, moq=100, price_tiers=[(100, 2500), (500, 2200)])

    response = post(
        buyer,
        "",
        start_payload(
            product,
            500,
            lines=[{"product_id": product.pk, "quantity": 500, "specification": "Matte black"}],
        ),
    )

    line = response.json()["contract"]["lines"][0]
    assert (line["unit_price"], line["specification"]) == (2200, "Matte black")


def test_ordering_fewer_than_the_minimum_is_refused_on_the_lines(buyer, supplier):
    product = ProductFactory(supplier=supplier, moq=100)

    body = assert_refused(post(buyer, "", start_payload(product, 99)), 400, "lines")

    assert any("100" in message for message in body["lines"])
    assert Order.objects.count() == 0


def test_ordering_a_product_not_on_offer_is_refused(buyer):
    hidden = ProductFactory(supplier=EligibleSupplierFactory(), is_active=False)

    assert_refused(post(buyer, "", start_payload(hidden, 50)), 400, "lines")


def test_ordering_from_a_supplier_without_trade_assurance_is_refused(buyer):
    product = ProductFactory(supplier=VerifiedSupplierFactory())

    assert_refused(post(buyer, "", start_payload(product, 50)), 400, "detail")


def test_only_buyers_start_orders_and_only_suppliers_draft_them(buyer, supplier):
    product = ProductFactory(supplier=supplier)

    assert_refused(post(supplier, "", start_payload(product, 50)), 403, "detail")
    assert_refused(
        post(buyer, "drafts/", {"buyer_email": "x@example.com", **contract_payload()}),
        403,
        "detail",
    )
    assert Order.objects.count() == 0


def test_a_draft_for_someone_without_an_account_waits_for_them(supplier):
    response = post(supplier, "drafts/", {"buyer_email": "New@Example.com", **contract_payload()})

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["buyer"], order["buyer_email"]) == (None, "new@example.com")
    assert [event["type"] for event in order["timeline"]] == ["created", "invited"]


def test_a_draft_for_an_address_too_long_to_keep_is_refused(supplier):
    address = "b" * 60 + "@" + ".".join(["example"] * 30) + ".com"

    response = post(supplier, "drafts/", {"buyer_email": address, **contract_payload()})

    assert_refused(response, 400, "buyer_email")


def test_a_draft_may_name_the_suppliers_product_and_take_its_title(buyer, supplier):
    product = ProductFactory(supplier=supplier, title="Kettle", moq=10)
    lines = [{"product_id": product.pk, "specification": "Red", "quantity": 10, "unit_price": 900}]

    order = post(
        supplier, "drafts/", {"buyer_email": buyer.email, **contract_payload(lines=lines)}
    ).json()

    line = order["contract"]["lines"][0]
    assert (line["product_id"], line["product_title"]) == (product.pk, "Kettle")


def test_a_draft_cannot_name_another_suppliers_product(buyer, supplier):
    other = ProductFactory(supplier=EligibleSupplierFactory())
    lines = [{"product_id": other.pk, "specification": "Red", "quantity": 10, "unit_price": 9}]

    response = post(
        supplier, "drafts/", {"buyer_email": buyer.email, **contract_payload(lines=lines)}
    )

    assert_refused(response, 400, "lines")


def test_a_contract_edit_may_attach_a_proforma_invoice_in_a_multipart_request(draft):
    payload = contract_payload(remarks="Proforma attached")
    payload["lines"] = json.dumps(payload["lines"])
    payload["proforma_invoice"] = SimpleUploadedFile("pi.pdf", PDF, "application/pdf")

    response = post(draft.supplier, f"{draft.pk}/contract/", payload, format="multipart")

    assert response.status_code == 200, response.content
    contract = response.json()["contract"]
    assert (contract["number"], contract["has_proforma_invoice"]) == (2, True)
    assert contract["lines"][0]["quantity"] == 500


def test_a_proforma_invoice_that_is_not_a_pdf_is_refused(draft):
    payload = contract_payload()
    payload["lines"] = json.dumps(payload["lines"])
    payload["proforma_invoice"] = SimpleUploadedFile("pi.pdf", PNG, "application/pdf")

    response = post(draft.supplier, f"{draft.pk}/contract/", payload, format="multipart")

    assert_refused(response, 400, "proforma_invoice")


def test_a_funded_order_is_made_shipped_delivered_and_received(draft):
    order = paid(draft)
    supplier, buyer = order.supplier, order.buyer
    assert get(supplier, f"{order.pk}/").json()["allowed_actions"] == [
        "start_production",
        "ship",
        "send_message",
    ]

    started = post(supplier, f"{order.pk}/start-production/")
    assert started.json()["production_started_at"] is not None
    shipped_order = post(
        supplier,
        f"{order.pk}/ship/",
        {
            "carrier": "Maersk",
            "tracking_number": "MSKU1234567",
            "documents": [SimpleUploadedFile("bl.pdf", PDF, "application/pdf")],
            "document_descriptions": ["Bill of lading"],
        },
        format="multipart",
    )
    assert shipped_order.status_code == 200, shipped_order.content
    shipment = shipped_order.json()["shipment"]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("Maersk", "MSKU1234567")
    assert [(d["description"], d["file_name"]) for d in shipment["documents"]] == [
        ("Bill of lading", "bl.pdf")
    ]
    assert get(buyer, f"{order.pk}/").json()["allowed_actions"] == [
        "record_delivery",
        "confirm_receipt",
        "extend_receipt",
        "send_message",
    ]

    delivered = post(buyer, f"{order.pk}/record-delivery/")
    assert delivered.json()["shipment"]["delivered_at"] is not None
    received = post(buyer, f"{order.pk}/confirm-receipt/")

    assert received.status_code == 200, received.content
    assert received.json()["status"] == "completed"
    assert received.json()["allowed_actions"] == ["send_message"]


def test_a_cancelled_draft_says_why(draft):
    response = post(draft.buyer, f"{draft.pk}/cancel/", {"reason": "Found it locally"})

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "Found it locally",
    )


# --- messages --------------------------------------------------------------------------------


def test_a_supplier_asking_to_be_paid_outside_pactline_is_flagged(draft):
    flagged = post(
        draft.supplier,
        f"{draft.pk}/messages/",
        {"body": "Please pay by bank transfer to our account directly, IBAN below."},
    )
    plain = post(draft.buyer, f"{draft.pk}/messages/", {"body": "When can you ship?"})

    assert flagged.status_code == 201, flagged.content
    assert flagged.json()["payment_warning"] is True
    assert flagged.json()["sender"] == {"id": draft.supplier.pk, "party": "supplier"}
    assert plain.json()["payment_warning"] is False
    listed = get(draft.buyer, f"{draft.pk}/messages/").json()["results"]
    assert [(m["sender"]["party"], m["payment_warning"]) for m in listed] == [
        ("supplier", True),
        ("buyer", False),
    ]


def test_a_message_may_carry_a_pdf_jpeg_or_png(draft):
    response = post(
        draft.buyer,
        f"{draft.pk}/messages/",
        {"body": "Our artwork", "attachment": SimpleUploadedFile("logo.png", PNG, "image/png")},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json()["attachment_name"] == "logo.png"


def test_an_attachment_that_is_not_pdf_jpeg_or_png_by_content_is_refused(draft):
    disguised = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")

    response = post(
        draft.buyer,
        f"{draft.pk}/messages/",
        {"body": "See attached", "attachment": disguised},
        format="multipart",
    )

    assert_refused(response, 400, "attachment")
    assert not OrderMessage.objects.exists()


def test_an_empty_message_is_refused(draft):
    assert_refused(post(draft.buyer, f"{draft.pk}/messages/", {"body": "  "}), 400, "body")


# --- out of turn, wrong party, bad input ------------------------------------------------------


def test_confirming_a_version_that_is_no_longer_current_is_a_conflict(draft):
    services.contract_edit(order=draft, acting_user=draft.supplier, terms=terms(remarks="v2"))

    body = assert_refused(post(draft.buyer, f"{draft.pk}/confirm/", {"version": 1}), 409, "detail")

    assert "changed" in body["detail"][0]


def test_confirming_twice_is_a_conflict(draft):
    assert post(draft.buyer, f"{draft.pk}/confirm/", {"version": 1}).status_code == 200

    assert_refused(post(draft.buyer, f"{draft.pk}/confirm/", {"version": 1}), 409, "detail")


def test_confirming_a_contract_both_have_confirmed_is_a_conflict(draft):
    confirm_both(draft)

    assert_refused(post(draft.buyer, f"{draft.pk}/confirm/", {"version": 1}), 409, "detail")


def test_confirming_without_a_version_number_is_refused(draft):
    assert_refused(post(draft.buyer, f"{draft.pk}/confirm/", {}), 400, "version")


@pytest.mark.parametrize("make", [lambda o: o, confirm_both, lambda o: paid(o, "deposit_paid")])
def test_shipping_an_order_that_is_not_funded_is_a_conflict(draft, make):
    order = make(draft)

    response = post(
        order.supplier, f"{order.pk}/ship/", {"carrier": "DHL", "tracking_number": "JD01"}
    )

    assert_refused(response, 409, "detail")
    assert Order.objects.get(pk=order.pk).status == order.status


def test_confirming_receipt_of_a_draft_is_a_conflict(draft):
    assert_refused(post(draft.buyer, f"{draft.pk}/confirm-receipt/"), 409, "detail")


def test_recording_delivery_before_shipment_or_twice_is_a_conflict(draft):
    assert_refused(post(draft.buyer, f"{draft.pk}/record-delivery/"), 409, "detail")
    order = shipped(draft)
    assert post(order.supplier, f"{order.pk}/record-delivery/").status_code == 200

    assert_refused(post(order.buyer, f"{order.pk}/record-delivery/"), 409, "detail")


def test_starting_production_before_the_deposit_or_twice_is_a_conflict(draft):
    assert_refused(post(draft.supplier, f"{draft.pk}/start-production/"), 409, "detail")
    order = paid(draft, Order.Status.DEPOSIT_PAID)
    assert post(order.supplier, f"{order.pk}/start-production/").status_code == 200

    assert_refused(post(order.supplier, f"{order.pk}/start-production/"), 409, "detail")


@pytest.mark.parametrize("status", [Order.Status.DEPOSIT_PAID, Order.Status.FUNDED])
def test_the_contract_is_frozen_once_money_is_paid(draft, status):
    order = paid(draft, status)

    edit = post(order.supplier, f"{order.pk}/contract/", contract_payload(deposit_percent=10))
    cancel = post(order.buyer, f"{order.pk}/cancel/", {"reason": "Too slow"})
    change = post(order.buyer, f"{order.pk}/change-request/", {"text": "Cheaper, please"})

    for response in (edit, cancel, change):
        assert_refused(response, 409, "detail")
    order.refresh_from_db()
    assert (order.status, order.current_version.number) == (status, 1)


def test_a_cancelled_order_cannot_be_confirmed_or_cancelled_again(draft):
    post(draft.buyer, f"{draft.pk}/cancel/", {"reason": "No longer needed"})

    assert_refused(post(draft.supplier, f"{draft.pk}/confirm/", {"version": 1}), 409, "detail")
    assert_refused(post(draft.supplier, f"{draft.pk}/cancel/", {"reason": "x"}), 409, "detail")


@pytest.mark.parametrize(
    ("party", "path", "data", "state"),
    [
        ("buyer", "ship/", {"carrier": "DHL", "tracking_number": "JD01"}, paid),
        ("buyer", "start-production/", {}, paid),
        ("supplier", "confirm-receipt/", {}, shipped),
        ("supplier", "change-request/", {"text": "Cheaper"}, lambda o: o),
    ],
)
def test_a_step_of_the_other_party_is_forbidden(draft, party, path, data, state):
    order = state(draft)
    before = Order.objects.get(pk=order.pk).status

    response = post(getattr(order, party), f"{order.pk}/{path}", data)

    body = assert_refused(response, 403, "detail")
    assert body["detail"] == ["The other party does this step."]
    assert Order.objects.get(pk=order.pk).status == before


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"deposit_percent": 120}, {"deposit_percent"}),
        ({"lines": []}, {"lines"}),
        ({"lines": [{"product_title": "Bulb", "specification": "E27", "quantity": 0}]}, {"lines"}),
        ({"currency": "XYZ", "shipping_method": "teleport"}, {"currency", "shipping_method"}),
        ({"ship_by_date": None}, {"ship_by_date"}),
        ({"ship_by_date": in_days(-1)}, {"ship_by_date"}),
        ({"ship_by_date": "9999-12-31"}, {"ship_by_date"}),
        ({"ship_within_days": 30}, {"ship_by_date"}),
        ({"quality_standard": ""}, {"quality_standard"}),
        ({"lines": [{**contract_payload()["lines"][0], "product_title": "x" * 201}]}, {"lines"}),
        (
            {"lines": [{**contract_payload()["lines"][0], "quantity": 2**31, "unit_price": 2**62}]},
            {"lines"},
        ),
        ({"lines": "not a list"}, {"lines"}),
    ],
)
def test_bad_terms_are_refused_on_their_fields(draft, overrides, fields):
    response = post(draft.supplier, f"{draft.pk}/contract/", contract_payload(**overrides))

    assert set(assert_refused(response, 400, *fields)) == fields
    assert Order.objects.get(pk=draft.pk).current_version.number == 1


def test_a_contract_total_beyond_what_can_be_stored_is_refused(draft):
    line = {**contract_payload()["lines"][0], "quantity": 2**31 - 1, "unit_price": 2**40}

    response = post(draft.supplier, f"{draft.pk}/contract/", contract_payload(lines=[line]))

    assert_refused(response, 400, "lines")


def test_bad_terms_for_a_new_order_are_refused_on_their_fields(buyer, supplier):
    product = ProductFactory(supplier=supplier, moq=10)

    response = post(buyer, "", start_payload(product, 10, deposit_percent=120, lines=[]))

    assert set(assert_refused(response, 400, "deposit_percent", "lines")) == {
        "deposit_percent",
        "lines",
    }


def test_shipping_without_carrier_or_with_a_document_that_is_not_one_is_refused(draft):
    order = paid(draft)

    missing = post(order.supplier, f"{order.pk}/ship/", {"carrier": "", "tracking_number": ""})
    bad_document = post(
        order.supplier,
        f"{order.pk}/ship/",
        {
            "carrier": "DHL",
            "tracking_number": "JD01",
            "documents": [SimpleUploadedFile("bl.pdf", b"GIF89a", "application/pdf")],
        },
        format="multipart",
    )

    assert_refused(missing, 400, "carrier", "tracking_number")
    assert_refused(bad_document, 400, "documents")
    assert Order.objects.get(pk=order.pk).status == Order.Status.FUNDED


def test_cancelling_without_a_reason_is_refused(draft):
    assert_refused(post(draft.buyer, f"{draft.pk}/cancel/", {"reason": ""}), 400, "reason")
    assert Order.objects.get(pk=draft.pk).status == Order.Status.DRAFT


def test_an_order_id_that_is_not_a_number_or_too_big_is_not_found(draft):
    assert get(draft.buyer, "abc/").status_code == 404
    assert get(draft.buyer, f"{2**70}/").status_code == 404


# --- the list ----------------------------------------------------------------------------------


def test_the_list_filters_by_the_callers_part_and_the_status(supplier):
    other_supplier = EligibleSupplierFactory()
    sold = services.order_draft_for_buyer(
        supplier=supplier, buyer_email="buyer@example.com", terms=terms()
    )
    product = ProductFactory(supplier=other_supplier, moq=10)
    buyer = BuyerFactory()
    bought = services.order_start(
        buyer=buyer,
        terms=terms(
            lines=[
                services.LineInput(
                    product_title="Kettle",
                    specification="1.5 l",
                    quantity=10,
                    unit_price=1000,
                    product=product,
                )
            ]
        ),
    )
    services.order_cancel(order=bought, acting_user=buyer, reason="Wrong colour")

    def ids(user, **params):
        response = get(user, **params)
        assert response.status_code == 200, response.content
        return [order["id"] for order in response.json()["results"]]

    assert ids(supplier, role="supplier") == [sold.pk]
    assert ids(supplier, role="buyer") == []
    assert ids(buyer, role="buyer") == [bought.pk]
    assert ids(other_supplier, role="supplier", status="cancelled") == [bought.pk]
    assert ids(other_supplier, status="draft") == []
    assert_refused(get(buyer, status="lost"), 400, "status")


def test_the_list_costs_the_same_queries_for_one_order_as_for_many(supplier):
    def draft_one():
        services.order_draft_for_buyer(
            supplier=supplier, buyer_email=BuyerFactory().email, terms=terms()
        )

    def list_queries():
        with CaptureQueriesContext(connection) as queries:
            response = get(supplier)
        assert response.status_code == 200
        return len(queries), response.json()

    draft_one()
    one, _page = list_queries()
    draft_one()
    draft_one()
    many, page = list_queries()

    assert one == many
    assert page["count"] == 3
    assert [order["party"] for order in page["results"]] == ["supplier"] * 3


def test_the_list_is_paginated(supplier, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    for n in range(3):
        services.order_draft_for_buyer(
            supplier=supplier, buyer_email=f"b{n}@example.com", terms=terms()
        )

    first = get(supplier).json()

    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_documents_every_orders_endpoint(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)

    paths = {
        path: set(operations)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/orders/")
    }
    steps = [
        "contract",
        "confirm",
        "cancel",
        "change-request",
        "start-production",
        "ship",
        "record-delivery",
        "confirm-receipt",
        "extend-ship-by",
        "overdue-refund",
        "extend-receipt",
    ]
    paths.pop("/api/v1/orders/{order_pk}/claims/", None)  # the disputes' (tests/disputes/)
    assert paths == {
        "/api/v1/orders/": {"get", "post"},
        "/api/v1/orders/drafts/": {"post"},
        "/api/v1/orders/{id}/": {"get"},
        "/api/v1/orders/{id}/versions/": {"get"},
        "/api/v1/orders/{id}/versions/compare/": {"get"},
        "/api/v1/orders/{id}/messages/": {"get", "post"},
        # The escrow API's steps on an order (apps/escrow/api.py).
        "/api/v1/orders/{id}/payments/": {"get", "post"},
        "/api/v1/orders/{id}/refund/": {"post"},
        "/api/v1/orders/{id}/refunds/": {"get"},
        "/api/v1/orders/{id}/refunds/{refund_pk}/bank-account/": {"post"},
        **{f"/api/v1/orders/{{id}}/{step}/": {"post"} for step in steps},
    }
    for path in paths:
        for operation in schema["paths"][path].values():
            assert operation["tags"] == ["orders"], path
    components = schema["components"]["schemas"]
    assert "minor unit" in components["OrderDetail"]["properties"]["total_amount"]["description"]
    assert "409" in schema["paths"]["/api/v1/orders/{id}/confirm/"]["post"]["responses"]
    assert {p["name"] for p in schema["paths"]["/api/v1/orders/"]["get"]["parameters"]} >= {
        "status",
        "role",
        "page",
    }
