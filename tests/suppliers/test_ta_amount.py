import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.orders.models import Order, OrderEvent
from apps.suppliers import services
from apps.suppliers.exceptions import NotAMediator, ReasonRequired
from apps.suppliers.models import SupplierProfile, TradeAssuranceAmountChange
from tests.factories import (
    BuyerFactory,
    MediatorFactory,
    OrderEventFactory,
    OrderFactory,
    VerifiedSupplierFactory,
)

pytestmark = pytest.mark.django_db


def amount(supplier):
    return SupplierProfile.objects.get(user=supplier).ta_amount


@pytest.mark.parametrize(
    ("volume", "on_time", "lost", "expected"),
    [
        (0, None, 0, 1_000_000),  # no history: the base, US$10,000
        (10_000_000, 1.0, 0, 6_000_000),  # + half of US$100,000
        (10_000_000, 0.75, 0, 3_000_000),  # 75% on time halves it
        (10_000_000, 0.5, 0, 0),  # half late: nothing
        (10_000_000, 1.0, 2, 3_000_000),  # two disputes lost: -50%
        (10_000_000, 1.0, 4, 0),
        (10_000_012_345, 1.0, 0, 100_000_000),  # capped at US$1,000,000
        (123_456, 1.0, 0, 1_060_000),  # rounded down to whole US$100
    ],
)
def test_the_formula(volume, on_time, lost, expected):
    result = services.ta_amount_formula(
        volume_usd_minor=volume, on_time_rate=on_time, disputes_lost=lost
    )
    assert result == expected


def test_recompute_uses_the_last_six_months_of_completed_orders():
    supplier = VerifiedSupplierFactory()
    now = timezone.now()
    OrderFactory(
        supplier=supplier, total_amount=4_000_000, completed_at=now - dt.timedelta(days=10)
    )
    OrderFactory(
        supplier=supplier,
        total_amount=2_000_000,
        currency="EUR",
        completed_at=now - dt.timedelta(days=100),
    )
    # Older than six months, and an order not completed: neither counts.
    OrderFactory(
        supplier=supplier, total_amount=9_000_000, completed_at=now - dt.timedelta(days=200)
    )
    OrderFactory(
        supplier=supplier, total_amount=9_000_000, status=Order.Status.SHIPPED, completed_at=None
    )

    change = services.ta_amount_recompute(supplier=supplier, now=now)

    # 40,000 USD + 20,000 EUR at 1.08 = 61,600 USD; base 10,000 + half = 40,800 USD. The two
    # older orders shipped on time too, so punctuality stays 100%.
    assert change.new_amount == amount(supplier) == 4_080_000
    assert change.inputs["completed_orders"] == 2
    assert change.source == TradeAssuranceAmountChange.Source.COMPUTED
    assert change.changed_by is None
    assert "2 completed orders" in change.reason


def test_late_shipments_and_lost_disputes_lower_the_amount_and_the_supplier_is_told(mailoutbox):
    supplier = VerifiedSupplierFactory()
    services.ta_amount_recompute(supplier=supplier)
    assert amount(supplier) == 1_000_000
    late = OrderFactory(
        supplier=supplier,
        shipped_at=timezone.now() - dt.timedelta(days=20),
        ship_by=timezone.now() - dt.timedelta(days=25),
        completed_at=timezone.now() - dt.timedelta(days=2),
    )
    OrderEventFactory(
        order=late, type=OrderEvent.Type.DISPUTE_RESOLVED, parameters={"outcome": "refund"}
    )
    OrderFactory(supplier=supplier)

    change = services.ta_amount_recompute(supplier=supplier)

    # 1 of 2 on time -> punctuality 0: the amount drops to nothing, and the reason says why.
    assert change.lowered
    assert change.new_amount == 0
    assert "on-time shipment 50%" in change.reason and "1 disputes lost" in change.reason
    notification = supplier.notifications.get(kind="ta_amount_lowered")
    assert "on-time shipment 50%" in notification.body


def test_an_unchanged_amount_writes_no_history():
    supplier = VerifiedSupplierFactory()
    services.ta_amount_recompute(supplier=supplier)

    assert services.ta_amount_recompute(supplier=supplier) is None
    assert TradeAssuranceAmountChange.objects.filter(supplier=supplier).count() == 1


def test_staff_override_is_kept_by_recomputation_until_cleared():
    supplier = VerifiedSupplierFactory()
    mediator = MediatorFactory()
    services.ta_amount_recompute(supplier=supplier)

    services.ta_amount_override(
        supplier=supplier, amount=25_000_000, reason="Bank guarantee lodged", acting_user=mediator
    )
    assert services.ta_amount_recompute(supplier=supplier) is None
    assert amount(supplier) == 25_000_000

    services.ta_amount_override_clear(supplier=supplier, acting_user=mediator)
    assert amount(supplier) == 1_000_000
    history = list(
        TradeAssuranceAmountChange.objects.filter(supplier=supplier)
        .order_by("pk")
        .values_list("source", "old_amount", "new_amount", "changed_by")
    )
    assert history == [
        ("computed", 0, 1_000_000, None),
        ("override", 1_000_000, 25_000_000, mediator.pk),
        ("override_cleared", 25_000_000, 25_000_000, mediator.pk),
        ("computed", 25_000_000, 1_000_000, None),
    ]


def test_an_override_needs_a_reason_and_a_mediator():
    supplier = VerifiedSupplierFactory()

    with pytest.raises(ReasonRequired):
        services.ta_amount_override(
            supplier=supplier, amount=1, reason=" ", acting_user=MediatorFactory()
        )
    with pytest.raises(NotAMediator):
        services.ta_amount_override(
            supplier=supplier, amount=1, reason="x", acting_user=BuyerFactory()
        )
    assert not TradeAssuranceAmountChange.objects.exists()


def test_the_supplier_sees_its_amount_history_with_reasons(client):
    supplier = VerifiedSupplierFactory()
    services.ta_amount_recompute(supplier=supplier)
    services.ta_amount_override(
        supplier=supplier,
        amount=500_000,
        reason="Unresolved customs complaint",
        acting_user=MediatorFactory(),
    )
    client.force_login(supplier)

    page = client.get(reverse("supplier_trade_assurance")).content.decode()

    assert "Unresolved customs complaint" in page
    assert "lowered" in page
    assert "US$\xa05,000.00" in page


def test_the_nightly_run_recomputes_verified_suppliers_only():
    verified = VerifiedSupplierFactory()
    basic = OrderFactory().supplier
    SupplierProfile.objects.filter(user=basic).update(verified_at=None)

    assert services.ta_amounts_recompute_all() == 1
    assert amount(verified) == 1_000_000
