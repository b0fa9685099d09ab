"""Every orders endpoint is scoped to the caller: another buyer or another supplier gets 404 and
changes nothing, even when the step would be in turn for the order's own party; nobody
signed out gets anything (401)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.orders import services
from apps.orders.models import Order
from tests.catalog.factories import ProductFactory
from tests.factories import BuyerFactory, EligibleSupplierFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def contract_payload():
    return {
        "currency": "USD",
        "lines": [
            {
                "product_title": "Warm white LED bulb",
                "specification": "E27, 2700 K",
                "quantity": 700,
                "unit_price": 1100,
            }
        ],
        "quality_standard": "AQL 2.5 level II",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Havenweg 1, Rotterdam",
        "deposit_percent": 30,
        "ship_by_date": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
    }


def order_in(state):
    """An order between a buyer and a supplier, in `state`: draft, funded or shipped."""
    buyer, supplier = BuyerFactory(), EligibleSupplierFactory()
    order = services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms()
    )
    if state in ("funded", "shipped"):
        for user in (buyer, supplier):
            services.contract_confirm(order=order, acting_user=user, version_number=1)
        now = timezone.now()
        Order.objects.filter(pk=order.pk).update(
            status=Order.Status.FUNDED, deposit_paid_at=now, funded_at=now
        )
    if state == "shipped":
        services.order_ship(
            order=order, acting_user=supplier, carrier="Maersk", tracking_number="MSKU1234567"
        )
    return Order.objects.get(pk=order.pk)


def snapshot(order):
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.current_version_id,
        order.production_started_at,
        order.delivered_at,
        order.events.count(),
        order.messages.count(),
        order.versions.count(),
    )


# (method, path under /api/v1/orders/{id}/, body, a state in which the order's own party may take
# the step, and that party)
ORDER_ENDPOINTS = [
    ("get", "", None, "draft", "buyer"),
    ("get", "versions/", None, "draft", "supplier"),
    ("get", "versions/compare/?old=1&new=1", None, "draft", "buyer"),
    ("get", "messages/", None, "draft", "supplier"),
    ("post", "messages/", {"body": "Hello"}, "draft", "buyer"),
    ("post", "contract/", contract_payload, "draft", "supplier"),
    ("post", "confirm/", {"version": 1}, "draft", "buyer"),
    ("post", "cancel/", {"reason": "Changed our mind"}, "draft", "supplier"),
    ("post", "change-request/", {"text": "700 pieces, please"}, "draft", "buyer"),
    ("post", "start-production/", {}, "funded", "supplier"),
    ("post", "ship/", {"carrier": "DHL", "tracking_number": "JD0001"}, "funded", "supplier"),
    ("post", "record-delivery/", {}, "shipped", "buyer"),
    ("post", "confirm-receipt/", {}, "shipped", "buyer"),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, *_rest in ORDER_ENDPOINTS]
OUTSIDERS = {"another buyer": BuyerFactory, "another supplier": EligibleSupplierFactory}


def call(client, method, url, body):
    body = body() if callable(body) else body
    if method == "get":
        return client.get(url)
    return client.post(url, body, format="json")


@pytest.mark.parametrize(
    ("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=ENDPOINT_IDS
)
def test_the_orders_own_party_may_use_the_endpoint(method, path, body, state, party):
    # The control for the tests below: the same call works for the order's own party.
    order = order_in(state)

    response = call(client_for(getattr(order, party)), method, f"{ORDERS}{order.pk}/{path}", body)

    assert response.status_code in (200, 201), response.content


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=ENDPOINT_IDS
)
def test_someone_elses_order_is_not_found_and_stays_unchanged(
    outsider, method, path, body, state, party
):
    order = order_in(state)
    before = snapshot(order)

    response = call(client_for(OUTSIDERS[outsider]()), method, f"{ORDERS}{order.pk}/{path}", body)

    assert response.status_code == 404, response.content
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "state", "party"), ORDER_ENDPOINTS, ids=ENDPOINT_IDS
)
def test_an_order_endpoint_needs_a_signed_in_caller(method, path, body, state, party):
    order = order_in(state)
    before = snapshot(order)

    response = call(client_for(), method, f"{ORDERS}{order.pk}/{path}", body)

    assert response.status_code == 401
    assert snapshot(order) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("post", "", {"lines": [{"product_id": 1, "quantity": 1}]}),
        ("post", "drafts/", contract_payload),
    ],
)
def test_the_order_list_and_the_ways_to_start_one_need_a_signed_in_caller(method, path, body):
    response = call(client_for(), method, f"{ORDERS}{path}", body)

    assert response.status_code == 401
    assert Order.objects.count() == 0


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_the_order_list_shows_only_the_callers_orders(outsider):
    order_in("draft")
    user = OUTSIDERS[outsider]()
    own = (
        services.order_draft_for_buyer(supplier=user, buyer_email="b@example.com", terms=terms())
        if outsider == "another supplier"
        else services.order_start(
            buyer=user,
            terms=terms(
                lines=[
                    services.LineInput(
                        product_title="Kettle",
                        specification="1.5 l",
                        quantity=10,
                        unit_price=1000,
                        product=ProductFactory(supplier=EligibleSupplierFactory()),
                    )
                ]
            ),
        )
    )

    response = client_for(user).get(ORDERS)

    assert response.status_code == 200
    assert [o["id"] for o in response.json()["results"]] == [own.pk]
