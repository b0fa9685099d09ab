import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.orders.models import Order, OrderEvent
from apps.suppliers.selectors import storefront_figures
from tests.factories import (
    BuyerFactory,
    EligibleSupplierFactory,
    OrderEventFactory,
    OrderFactory,
    OrderMessageFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def figures(supplier, now):
    return storefront_figures(supplier=supplier, now=now, use_cache=False)


def test_a_supplier_with_no_orders_says_there_is_no_data(client, now):
    supplier = EligibleSupplierFactory()

    result = figures(supplier, now)
    assert (
        result.completed_orders,
        result.on_time_rate,
        result.response_rate,
        result.dispute_rate,
    ) == (
        0,
        None,
        None,
        None,
    )
    page = client.get(reverse("supplier_storefront", args=[supplier.pk])).content.decode()
    assert "None yet" in page
    assert "No shipments yet" in page
    assert "No buyer messages yet" in page


def test_completed_orders_count_the_last_twelve_months_in_usd(now):
    supplier = EligibleSupplierFactory()
    OrderFactory(supplier=supplier, total_amount=100_000, completed_at=now - dt.timedelta(days=5))
    OrderFactory(
        supplier=supplier,
        total_amount=100_000,
        currency="EUR",
        completed_at=now - dt.timedelta(days=300),
    )
    OrderFactory(supplier=supplier, completed_at=now - dt.timedelta(days=400))
    OrderFactory(supplier=supplier, status=Order.Status.SHIPPED, completed_at=None)
    OrderFactory(completed_at=now - dt.timedelta(days=5))  # another supplier's

    result = figures(supplier, now)

    assert result.completed_orders == 2
    assert result.completed_value_usd_minor == 100_000 + 108_000


def test_on_time_rate_counts_unshipped_overdue_orders_as_late(now):
    supplier = EligibleSupplierFactory()
    due = now - dt.timedelta(days=10)
    OrderFactory(supplier=supplier, ship_by=due, shipped_at=due - dt.timedelta(hours=1))
    OrderFactory(supplier=supplier, ship_by=due, shipped_at=due)  # on the deadline: on time
    OrderFactory(supplier=supplier, ship_by=due, shipped_at=due + dt.timedelta(seconds=1))
    OrderFactory(
        supplier=supplier,
        ship_by=due,
        shipped_at=None,
        status=Order.Status.REFUNDED,
        completed_at=None,
    )
    # Not counted: balance never paid, and a deadline still ahead.
    OrderFactory(
        supplier=supplier,
        ship_by=due,
        shipped_at=None,
        status=Order.Status.DEPOSIT_PAID,
        completed_at=None,
    )
    OrderFactory(
        supplier=supplier,
        ship_by=now + dt.timedelta(days=3),
        shipped_at=None,
        status=Order.Status.FUNDED,
        completed_at=None,
    )

    result = figures(supplier, now)

    assert result.shipments_due == 4
    assert result.on_time_rate == 0.5


def test_response_rate_is_buyer_messages_answered_within_24_hours_over_30_days(now):
    supplier = EligibleSupplierFactory()
    order = OrderFactory(supplier=supplier)
    buyer = order.buyer

    def message(sender, hours_ago):
        return OrderMessageFactory(
            order=order, sender=sender, created_at=now - dt.timedelta(hours=hours_ago)
        )

    message(buyer, 100)
    message(supplier, 98)  # answered in 2 h
    message(buyer, 80)
    message(supplier, 40)  # answered in 40 h: too late
    message(buyer, 30)  # never answered, past 24 h
    message(buyer, 2)  # not answered yet, still within 24 h: not counted
    message(buyer, 24 * 40)  # older than 30 days: not counted

    result = figures(supplier, now)

    assert result.buyer_messages == 3
    assert result.response_rate == pytest.approx(1 / 3)
    # First answers: 2 h after the 100 h message, 40 h after the 80 h one; none for the others.
    assert result.average_response_hours == pytest.approx(21)


def test_dispute_rate_is_disputed_orders_over_funded_orders(now):
    supplier = EligibleSupplierFactory()
    orders = [
        OrderFactory(supplier=supplier, funded_at=now - dt.timedelta(days=20)) for _ in range(4)
    ]
    OrderEventFactory(
        order=orders[0], type=OrderEvent.Type.DISPUTE_OPENED, created_at=now - dt.timedelta(days=3)
    )
    OrderEventFactory(
        order=orders[0], type=OrderEvent.Type.DISPUTE_OPENED, created_at=now - dt.timedelta(days=2)
    )

    result = figures(supplier, now)

    assert (result.disputed_orders, result.orders_funded, result.dispute_rate) == (1, 4, 0.25)


def test_storefront_page_and_api_show_tier_amount_and_figures(client, now):
    supplier = EligibleSupplierFactory(company__company_name="Brightway", company__country="CN")
    OrderFactory(supplier=supplier, total_amount=250_000, completed_at=now - dt.timedelta(days=3))

    page = client.get(reverse("supplier_storefront", args=[supplier.pk])).content.decode()
    assert "Brightway" in page
    assert "Gold" in page and "Verified" in page and "Trade Assurance" in page
    assert "US$\xa050,000.00" in page  # the Trade Assurance Amount
    assert "100%" in page  # on time

    data = APIClient().get(f"/api/v1/suppliers/{supplier.pk}/").json()
    assert data["name"] == "Brightway"
    assert data["country"] == "CN"
    assert (data["tier"], data["verified"], data["gold"], data["trade_assurance"]) == (
        "gold",
        True,
        True,
        True,
    )
    assert data["trade_assurance_amount_usd_minor"] == 5_000_000
    assert data["completed_orders_12m"] == 1
    assert data["completed_value_12m_usd_minor"] == 250_000
    assert data["on_time_shipment_rate"] == 1.0
    assert data["response_rate_30d"] is None


def test_an_ineligible_supplier_shows_no_amount(client):
    supplier = SupplierFactory()

    data = APIClient().get(f"/api/v1/suppliers/{supplier.pk}/").json()

    assert data["trade_assurance"] is False
    assert data["trade_assurance_amount_usd_minor"] is None
    page = client.get(reverse("supplier_storefront", args=[supplier.pk])).content.decode()
    assert "cannot take Trade Assurance orders" in page


def test_a_buyer_is_not_a_storefront(client):
    buyer = BuyerFactory()

    assert client.get(reverse("supplier_storefront", args=[buyer.pk])).status_code == 404
    assert APIClient().get(f"/api/v1/suppliers/{buyer.pk}/").status_code == 404


def test_storefront_figures_are_cached_for_a_few_minutes(now):
    supplier = EligibleSupplierFactory()
    first = storefront_figures(supplier=supplier)
    OrderFactory(supplier=supplier, completed_at=timezone.now())

    assert storefront_figures(supplier=supplier).completed_orders == first.completed_orders == 0
    assert storefront_figures(supplier=supplier, use_cache=False).completed_orders == 1
