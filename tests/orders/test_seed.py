import pytest
from django.core.management import call_command

from apps.orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_in_every_state_and_a_second_run_adds_none(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo")
    count = Order.objects.count()

    call_command("seed_demo")

    assert Order.objects.count() == count
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert Order.objects.filter(buyer__isnull=True, buyer_email="new.importer@example.com").exists()
    assert not Order.objects.filter(current_version__isnull=True).exists()


def test_the_demo_refund_went_back_to_pay_later_at_once_and_by_transfer_on_its_way(
    settings, tmp_path
):
    """The demo's refunded order shows both kinds of refund, and its buyer can answer for the
    sandbox bank on the transfer back."""
    from apps.escrow.models import Refund
    from tests.escrow.helpers import assert_ledger_invariants, assert_refunds_match_ledger

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo")

    refunds = Refund.objects.filter(order__status=Order.Status.REFUNDED).order_by("pk")
    assert [(r.method, r.status) for r in refunds] == [
        ("pay_later", "refunded"),
        ("tt", "processing"),
    ]
    assert refunds[0].buyer.email == "buyer2@demo.pactline.test"
    assert_ledger_invariants()
    assert_refunds_match_ledger()
