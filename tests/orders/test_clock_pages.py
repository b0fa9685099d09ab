"""What people see of the clock: the countdown on the order page, the buyer's choices on an
overdue order (page and API), receiving-time extensions, and `manage.py sweep`."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.sweeps import sweep_run
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order
from tests.factories import BuyerFactory
from tests.orders.clock_helpers import DAY, SECOND, T0, fresh, funded_order, shipped_order

pytestmark = pytest.mark.django_db
Status = Order.Status
ORDERS = "/api/v1/orders/"


@pytest.fixture(autouse=True)
def clock_at_t0(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def overdue_order(clock):
    order = funded_order()
    sweep_run("orders.overdue", now=order.ship_by + SECOND)
    clock.move_to(order.ship_by + DAY)
    return fresh(order)


def page(client, user, order):
    client.force_login(user)
    response = client.get(reverse("order_detail", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the order page -----------------------------------------------------------------------------


def test_the_order_page_counts_down_to_the_ship_by_date_and_says_what_happens_then(client):
    order = funded_order()

    html = page(client, order.buyer, order)

    assert "Ship by" in html
    assert f'data-countdown="{order.ship_by.isoformat()}"' in html
    assert "1\xa0month" in html or "month" in html  # 45 days left, in words
    assert "the order becomes overdue" in html
    assert "js/countdown.js" in html


def test_the_buyer_of_an_overdue_order_sees_the_decision_and_both_choices(client, clock_at_t0):
    order = overdue_order(clock_at_t0)

    html = page(client, order.buyer, order)

    assert "Your decision: the shipment is overdue" in html
    assert "Decide by" in html
    assert "Take a full refund" in html
    assert "Give the supplier more time" in html
    supplier_html = page(client, order.supplier, order)
    assert "Overdue: the buyer decides" in supplier_html
    assert "Take a full refund" not in supplier_html


def test_taking_the_refund_on_the_page_refunds_the_escrow(client, clock_at_t0):
    order = overdue_order(clock_at_t0)
    client.force_login(order.buyer)

    response = client.post(reverse("order_overdue_refund", args=[order.pk]), follow=True)

    assert "refunded to you in full" in response.content.decode()
    assert fresh(order).status == Status.REFUNDED
    assert_ledger_invariants()


def test_an_extension_past_the_cap_is_a_form_error_that_keeps_the_order_as_it_was(
    client, clock_at_t0
):
    order = overdue_order(clock_at_t0)
    client.force_login(order.buyer)
    too_late = order.ship_by_original.date() + dt.timedelta(days=91)

    response = client.post(
        reverse("order_ship_by_extend", args=[order.pk]), {"ship_by_date": too_late.isoformat()}
    )

    assert response.status_code == 200
    assert "at most 90 days" in response.content.decode()
    assert fresh(order).status == Status.OVERDUE
    good = order.ship_by_original.date() + dt.timedelta(days=20)
    response = client.post(
        reverse("order_ship_by_extend", args=[order.pk]), {"ship_by_date": good.isoformat()}
    )
    assert response.status_code == 302
    assert fresh(order).status == Status.FUNDED
    assert fresh(order).ship_by.date() == good


def test_a_shipped_order_page_offers_one_receiving_time_extension_per_party(client):
    order = shipped_order()

    assert "Extend the receiving time" in page(client, order.buyer, order)
    client.post(reverse("order_receipt_extend", args=[order.pk]))
    assert fresh(order).release_due_at == order.release_due_at + 15 * DAY
    assert "Extend the receiving time" not in page(client, order.buyer, order)
    assert "Extend the receiving time" in page(client, order.supplier, order)


def test_an_expired_order_says_so():
    order = confirmed_order()
    sweep_run("orders.unpaid_expiry", now=order.pay_by + SECOND)
    from django.test import Client

    client = Client()
    html = page(client, order.buyer, order)
    assert "Expired" in html and "No deposit reached escrow" in html


# --- the API ------------------------------------------------------------------------------------


def test_the_api_shows_the_active_deadline_and_every_deadline():
    order = funded_order()

    body = api(order.buyer).get(f"{ORDERS}{order.pk}/").json()

    assert body["deadline"]["kind"] == "ship_by"
    assert body["deadline"]["consequence"]
    assert body["deadlines"]["ship_by_latest"].startswith(
        str(order.ship_by.date() + dt.timedelta(days=90))
    )
    assert "extend_ship_by" in body["allowed_actions"]


def test_the_api_extension_refuses_a_date_past_the_cap_on_the_field():
    order = funded_order()
    too_late = order.ship_by.date() + dt.timedelta(days=91)

    response = api(order.buyer).post(
        f"{ORDERS}{order.pk}/extend-ship-by/", {"ship_by_date": too_late.isoformat()}, "json"
    )

    assert response.status_code == 400
    assert "90 days" in response.json()["ship_by_date"][0]


def test_the_api_overdue_refund_takes_an_idempotency_key_and_answers_a_replay_the_same(
    clock_at_t0,
):
    order = overdue_order(clock_at_t0)
    client = api(order.buyer)

    first = client.post(f"{ORDERS}{order.pk}/overdue-refund/", HTTP_IDEMPOTENCY_KEY="od-1")
    again = client.post(f"{ORDERS}{order.pk}/overdue-refund/", HTTP_IDEMPOTENCY_KEY="od-1")

    assert first.status_code == 200 and first.json()["status"] == "refunded"
    assert again.status_code == 200 and again.json() == first.json()
    assert_ledger_invariants()


def test_another_buyer_cannot_touch_the_deadlines_of_an_order(clock_at_t0):
    order = overdue_order(clock_at_t0)
    stranger = api(BuyerFactory())

    assert stranger.post(f"{ORDERS}{order.pk}/overdue-refund/").status_code == 404
    assert stranger.post(f"{ORDERS}{order.pk}/extend-receipt/").status_code == 404
    assert fresh(order).status == Status.OVERDUE


def test_the_supplier_extends_the_receiving_time_through_the_api():
    order = shipped_order()

    response = api(order.supplier).post(f"{ORDERS}{order.pk}/extend-receipt/")

    assert response.status_code == 200
    assert response.json()["deadlines"]["receipt_extended_by_supplier"] is True
    again = api(order.supplier).post(f"{ORDERS}{order.pk}/extend-receipt/")
    assert again.status_code == 409


# --- manage.py sweep ----------------------------------------------------------------------------


def run_sweep(*args):
    out = StringIO()
    call_command("sweep", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_previews_a_catch_up_without_changing_anything():
    order = shipped_order()
    at = (order.release_due_at + SECOND).isoformat()

    output = run_sweep("--rule", "orders.auto_release", "--at", at, "--dry-run")

    assert "orders.auto_release: 1 due" in output
    assert f"{order.reference}: would complete" in output
    assert fresh(order).status == Status.SHIPPED


def test_the_command_catches_up_as_of_a_given_time():
    late, inspected = funded_order(), shipped_order()
    at = (inspected.release_due_at + SECOND).isoformat()

    output = run_sweep("--at", at)

    assert "orders.auto_release: 1 due, 1 done" in output
    assert "orders.overdue: 1 due, 1 done" in output
    assert fresh(inspected).status == Status.COMPLETED
    assert fresh(late).status == Status.OVERDUE
    assert fresh(late).overdue_at.isoformat() == at


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--rule", "orders.nonsense"], "Unknown rule orders.nonsense"),
        (["--at", "next tuesday"], "not an ISO 8601"),
    ],
)
def test_the_command_refuses_bad_input_with_a_message(args, words):
    with pytest.raises(CommandError, match=words):
        run_sweep(*args)
