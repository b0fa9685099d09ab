"""The order document the API answers with is written by hand from one statement
(apps/orders/documents.py); OrderDetailSerializer stays its definition. For orders at every
stage, for both parties, in both languages and in a time zone other than UTC, the two give the
same JSON, and the one statement keeps the same scope (404 for anyone else's order)."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from apps.core.sweeps import sweep_run
from apps.escrow import services as escrow
from apps.orders import selectors, services
from apps.orders.documents import order_detail_load, order_document
from apps.orders.models import Order
from apps.orders.serializers import OrderDetailSerializer
from tests.disputes.helpers import open_claim
from tests.escrow.helpers import confirmed_order, webhook
from tests.factories import BuyerFactory, EligibleSupplierFactory, UserFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def draft():
    buyer, supplier = BuyerFactory(), EligibleSupplierFactory()
    order = services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms()
    )
    services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    return order


def pay(order, purpose="full", method="card"):
    escrow.payment_start(order=order, acting_user=order.buyer, purpose=purpose, method=method)
    return Order.objects.get(pk=order.pk)


def deposit_paid():
    return pay(confirmed_order(), purpose="deposit")


def tt_pending():
    return pay(confirmed_order(), purpose="deposit", method="tt")


def funded():
    return pay(confirmed_order())


def shipped():
    order = funded()
    services.order_ship(
        order=order,
        acting_user=order.supplier,
        carrier="Maersk",
        tracking_number="MSKU1234567",
        documents=[
            {
                "file": SimpleUploadedFile("bill of lading.pdf", PDF, "application/pdf"),
                "description": "B/L",
            },
            {"file": SimpleUploadedFile("packing.pdf", PDF, "application/pdf"), "description": ""},
        ],
    )
    return Order.objects.get(pk=order.pk)


def delivered_and_extended():
    order = shipped()
    services.order_record_delivery(order=order, acting_user=order.buyer)
    services.order_receipt_extend(order=Order.objects.get(pk=order.pk), acting_user=order.supplier)
    return Order.objects.get(pk=order.pk)


def completed():
    order = shipped()
    return services.order_confirm_receipt(order=order, acting_user=order.buyer)


def part_refunded():
    order = shipped()
    escrow.escrow_refund(order=order, acting_user=order.supplier, amount=100_000, reason="3 short")
    return Order.objects.get(pk=order.pk)


def refunded():
    order = funded()
    escrow.escrow_refund(order=order, acting_user=order.supplier, reason="Out of stock")
    return Order.objects.get(pk=order.pk)


def cancelled():
    order = confirmed_order()
    return services.order_cancel(order=order, acting_user=order.buyer, reason="Changed plans")


def overdue():
    order = funded()
    sweep_run("orders.overdue", now=order.ship_by + dt.timedelta(seconds=1))
    order = Order.objects.get(pk=order.pk)
    assert order.status == Order.Status.OVERDUE
    return order


def disputed():
    order = shipped()
    open_claim(order)
    return Order.objects.get(pk=order.pk)


STAGES = [
    draft,
    confirmed_order,
    tt_pending,
    deposit_paid,
    funded,
    overdue,
    shipped,
    delivered_and_extended,
    completed,
    part_refunded,
    refunded,
    cancelled,
    disputed,
]


class Caller:
    def __init__(self, user):
        self.user = user


def by_serializer(order, user):
    loaded = selectors.order_detail_get_for(user=user, pk=order.pk)
    data = OrderDetailSerializer(loaded, context={"request": Caller(user)}).data
    return json.loads(JSONRenderer().render(data))


def by_document(order, user):
    data = order_document(order_detail_load(pk=order.pk, user=user), user=user)
    return json.loads(JSONRenderer().render(data))


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.__name__)
def test_the_document_is_what_the_serializer_writes(stage):
    order = stage()
    for user in (order.buyer, order.supplier):
        for language, zone in (("en", "UTC"), ("nl", "Europe/Amsterdam"), ("en", "Asia/Tokyo")):
            with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
                expected = by_serializer(order, user)
                assert by_document(order, user) == expected, (stage.__name__, language, zone)


def test_the_comparison_sees_what_a_user_would_notice():
    """The documents compared above carry the things a client reads: if the two ways of
    writing the order disagreed on any of them, the comparison would fail."""
    order = delivered_and_extended()
    with translation.override("nl"), timezone.override(zoneinfo.ZoneInfo("Europe/Amsterdam")):
        body = by_document(order, order.buyer)
    assert body["party"] == "buyer"
    assert body["status"] == "shipped"
    assert body["escrow"] == {
        "currency": "USD",
        "paid_in": 600_000,
        "held": 600_000,
        "released": 0,
        "refunded": 0,
    }
    documents = body["shipment"]["documents"]
    assert [d["description"] for d in documents] == ["B/L", ""]
    assert all(d["file_name"].endswith(".pdf") and "/" not in d["file_name"] for d in documents)
    assert body["deadlines"]["receipt_extended_by_supplier"] is True
    assert body["deadline"]["kind"] == "release"
    assert body["deadline"]["at"].endswith("+01:00") or body["deadline"]["at"].endswith("+02:00")
    assert body["timeline"][0]["label"] != body["timeline"][0]["type"]  # translated label
    assert "confirm_receipt" in body["allowed_actions"]
    assert body["contract"]["lines"][0]["line_total"] == 600_000


def test_someone_elses_order_is_not_found():
    order = shipped()
    with pytest.raises(Http404):
        order_detail_load(pk=order.pk, user=BuyerFactory())
    with pytest.raises(Http404):
        order_detail_load(pk=order.pk + 10_000, user=order.buyer)
    staff = UserFactory(is_staff=True)
    body = order_document(order_detail_load(pk=order.pk), user=staff)
    assert body["party"] is None and body["allowed_actions"] == []


def test_the_api_answers_with_the_document(django_assert_num_queries):
    """One statement for the order, one for the token: the whole read."""
    order = delivered_and_extended()
    client = APIClient()
    token = services_token(order.buyer)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with django_assert_num_queries(2):
        response = client.get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == 200
    assert response.json() == by_serializer(order, order.buyer)
    outsider = APIClient()
    outsider.credentials(HTTP_AUTHORIZATION=f"Token {services_token(BuyerFactory())}")
    assert outsider.get(f"/api/v1/orders/{order.pk}/").status_code == 404


def services_token(user):
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


def test_the_demo_databases_path_gives_the_same_answer(monkeypatch, rf):
    """SQLite (the one-command demo) lacks the JSON functions of the one statement; there the
    API answers through the serializer, with the same document."""
    from django.db import connection

    from apps.orders.documents import order_detail_data

    order = delivered_and_extended()
    request = Caller(order.supplier)
    fast = json.loads(JSONRenderer().render(order_detail_data(pk=order.pk, request=request)))
    monkeypatch.setattr(connection, "vendor", "sqlite")
    slow = json.loads(JSONRenderer().render(order_detail_data(pk=order.pk, request=request)))
    assert fast == slow
    assert slow["party"] == "supplier"
    with pytest.raises(Http404):
        order_detail_data(pk=order.pk, request=Caller(BuyerFactory()))


@pytest.mark.parametrize(
    ("arrived", "editable"), [(0, True), (50_000, False)], ids=["nothing-in", "part-of-a-t/t-in"]
)
def test_a_confirmed_order_shows_whether_money_froze_its_contract_from_the_same_statement(
    arrived, editable, django_assert_num_queries
):
    """Part of a T/T deposit in escrow freezes the contract while the order is still confirmed;
    the document reads that from its own escrow sums, not from a query of its own."""
    order = tt_pending()
    if arrived:
        reference = order.payments.get().provider_reference
        webhook(
            APIClient(), "payment.transfer_received", {"reference": reference, "amount": arrived}
        )
    order = Order.objects.get(pk=order.pk)
    assert order.status == Order.Status.CONFIRMED
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services_token(order.buyer)}")

    with django_assert_num_queries(2):
        body = client.get(f"/api/v1/orders/{order.pk}/").json()

    assert body["escrow"]["held"] == arrived
    assert ("edit_contract" in body["allowed_actions"]) is editable
    assert ("cancel" in body["allowed_actions"]) is editable
    assert body == by_serializer(order, order.buyer)
