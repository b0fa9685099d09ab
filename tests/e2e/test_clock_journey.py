"""An overdue order in the browser: the buyer sees the decision with its live countdown, gives
the supplier more time, and the supplier sees the new ship-by date counting down."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.core.sweeps import sweep_run
from apps.orders.models import Order
from tests.e2e.helpers import log_in
from tests.orders.clock_helpers import SECOND, fresh, funded_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_buyer_decides_on_an_overdue_order_and_the_supplier_sees_the_new_date(new_page):
    order = funded_order()
    # The ship-by date passed an hour ago: the clock marks the order overdue as it would.
    past = timezone.now() - dt.timedelta(hours=1)
    Order.objects.filter(pk=order.pk).update(ship_by=past, ship_by_original=past)
    sweep_run("orders.overdue", now=past + SECOND)

    buyer = new_page()
    log_in(buyer, order.buyer.email)
    buyer.goto(f"/orders/{order.pk}/")
    expect(
        buyer.get_by_role("heading", name="Your decision: the shipment is overdue")
    ).to_be_visible()
    countdown = buyer.locator("[data-countdown]")
    expect(countdown).to_contain_text("day")  # about seven days left, kept live by the script
    expect(buyer.get_by_role("button", name="Take a full refund")).to_be_visible()

    new_date = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    buyer.get_by_label("New ship-by date").fill(new_date)
    buyer.get_by_role("button", name="Extend the ship-by date").click()
    expect(buyer.get_by_text("The supplier has more time to ship")).to_be_visible()
    assert fresh(order).status == Order.Status.FUNDED

    supplier = new_page(timezone_id="Asia/Shanghai")
    log_in(supplier, order.supplier.email)
    supplier.goto(f"/orders/{order.pk}/")
    expect(supplier.get_by_role("heading", name="Your turn: ship the order")).to_be_visible()
    expect(supplier.get_by_text("Ship by:")).to_be_visible()
    expect(supplier.locator("[data-countdown]")).to_contain_text("day")
