"""Reading an order through the API costs a fixed number of queries, however long its contract
history, timeline, messages and shipping papers: one statement reads the order with its parties,
current version, lines, confirmations, timeline, documents and escrow sums
(apps/orders/documents.py). It was 14 (every version with its lines, every message, six escrow
sums), then 6 (one query per list)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.escrow import services as escrow_services
from apps.orders import services
from apps.orders.models import Order
from apps.orders.services import LineInput
from tests.factories import BuyerFactory, EligibleSupplierFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
# The caller is already authenticated here; a token adds one query.
DETAIL_QUERIES = 1


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def shipped_order(*, versions=1, lines=1, messages=0, documents=0):
    buyer, supplier = BuyerFactory(), EligibleSupplierFactory()
    order = services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms()
    )
    many_lines = [
        LineInput(f"LED bulb type {n}", "E27, 2700 K", 100 + n, 1200) for n in range(lines)
    ]
    for _edit in range(versions - 1):
        services.contract_edit(order=order, acting_user=supplier, terms=terms(lines=many_lines))
    for n in range(messages):
        services.order_message_send(
            order=order, acting_user=buyer if n % 2 else supplier, body=f"Message {n}"
        )
    order = Order.objects.get(pk=order.pk)
    for user in (buyer, supplier):
        services.contract_confirm(
            order=order, acting_user=user, version_number=order.current_version.number
        )
    escrow_services.payment_start(order=order, acting_user=buyer, purpose="full", method="card")
    services.order_ship(
        order=order,
        acting_user=supplier,
        carrier="Maersk",
        tracking_number="MSKU1234567",
        documents=[
            {"file": SimpleUploadedFile(f"bl{n}.pdf", PDF, "application/pdf"), "description": ""}
            for n in range(documents)
        ],
    )
    return Order.objects.get(pk=order.pk)


@pytest.mark.parametrize(
    "history",
    [
        {},
        {"versions": 3, "lines": 4, "messages": 6, "documents": 2},
    ],
    ids=["short", "long"],
)
def test_reading_an_order_takes_a_fixed_number_of_queries(history, django_assert_num_queries):
    order = shipped_order(**history)
    client = client_for(order.buyer)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(f"{ORDERS}{order.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["contract"]["number"] == history.get("versions", 1)
    assert len(body["contract"]["lines"]) == history.get("lines", 1)
    assert len(body["shipment"]["documents"]) == history.get("documents", 0)
    assert body["escrow"]["held"] == body["total_amount"]
    assert body["allowed_actions"][:2] == ["record_delivery", "confirm_receipt"]


def test_the_detail_read_shows_the_same_as_the_full_load(rf):
    """order_detail_get_for loads less than order_get_for; the answer is the same."""
    from rest_framework.request import Request

    from apps.orders import selectors
    from apps.orders.serializers import OrderDetailSerializer

    order = shipped_order(versions=2, lines=2, messages=2, documents=1)
    request = Request(rf.get("/"))
    request.user = order.buyer
    full = selectors.order_get_for(user=order.buyer, pk=order.pk)
    light = selectors.order_detail_get_for(user=order.buyer, pk=order.pk)
    context = {"request": request}
    assert (
        OrderDetailSerializer(light, context=context).data
        == OrderDetailSerializer(full, context=context).data
    )


def test_another_buyer_reading_the_order_gets_404():
    order = shipped_order()
    response = client_for(BuyerFactory()).get(f"{ORDERS}{order.pk}/")
    assert response.status_code == 404
