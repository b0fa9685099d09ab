"""Money after release: a post-delivery claim paid from platform coverage up to the order's
covered amount, the supplier's receivable, payout netting and the Trade Assurance Amount."""

import pytest

from apps.disputes import selectors, services
from apps.disputes.models import Case, Outcome
from apps.escrow import services as escrow_services
from apps.escrow.exceptions import PayoutRefused
from apps.escrow.models import LedgerAccount, LedgerEntry
from apps.orders.models import Order
from apps.suppliers.models import SupplierProfile
from tests.disputes.helpers import completed_order, later, open_claim
from tests.escrow.helpers import assert_ledger_invariants

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


@pytest.fixture(autouse=True)
def _invariants():
    yield
    assert_ledger_invariants()


def balance(kind, user=None, currency="USD"):
    account = LedgerAccount.objects.filter(kind=kind, user=user, currency=currency).first()
    return account.balance if account else 0


def settled_post_delivery_claim(amount=120_000):
    order = completed_order()
    case = open_claim(order, amount=amount)
    case = services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    return order, case


def test_a_post_delivery_claim_is_paid_from_coverage_and_owed_by_the_supplier():
    order, case = settled_post_delivery_claim()
    assert case.kind == Case.Kind.POST_DELIVERY
    assert case.paid_from_coverage == 120_000
    assert balance(Kind.PLATFORM_COVERAGE) == 0  # paid out, then claimed back from the supplier
    assert balance(Kind.SUPPLIER_RECEIVABLE, order.supplier) == -120_000
    assert escrow_services.supplier_owed(supplier=order.supplier, currency="USD") == 120_000
    # The supplier's payable (released at receipt) is untouched until a payout nets it.
    assert balance(Kind.SUPPLIER_PAYABLE, order.supplier) == 600_000
    assert LedgerEntry.objects.filter(idempotency_key=f"coverage:{case.pk}").exists()
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED


def test_coverage_pays_at_most_the_orders_covered_amount_across_claims():
    order = completed_order()
    Order.objects.filter(pk=order.pk).update(covered_amount=150_000)
    case = open_claim(order, amount=100_000)
    services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    second = open_claim(order, outcome=Outcome.REFUND, amount=None)
    assert second.requested_amount == 50_000  # what is left of the coverage
    services.case_default_due(case_id=second.pk, now=later(second, 7))
    second.refresh_from_db()
    assert second.paid_from_coverage == 50_000


def test_payouts_net_what_the_supplier_owes_first():
    order, _case = settled_post_delivery_claim()
    supplier = order.supplier
    with pytest.raises(PayoutRefused) as exc:
        escrow_services.payout_request(supplier=supplier, amount=480_001, currency="USD")
    assert "owe" in str(exc.value.message)
    escrow_services.payout_request(supplier=supplier, amount=480_000, currency="USD")
    assert balance(Kind.SUPPLIER_RECEIVABLE, supplier) == 0
    assert balance(Kind.SUPPLIER_PAYABLE, supplier) == 0
    assert balance(Kind.PAYOUTS, supplier) == 480_000
    assert escrow_services.supplier_owed(supplier=supplier, currency="USD") == 0


def test_the_supplier_sees_what_it_owes_and_why():
    order, case = settled_post_delivery_claim()
    assert selectors.supplier_owed_by_currency(supplier=order.supplier) == [("USD", 120_000)]
    assert list(selectors.supplier_covered_claims(supplier=order.supplier)) == [case]


def test_the_trade_assurance_amount_is_reduced_by_what_is_owed():
    order = completed_order()
    profile = SupplierProfile.objects.get(user=order.supplier)
    from apps.suppliers.services import ta_amount_recompute

    ta_amount_recompute(supplier=order.supplier)
    profile.refresh_from_db()
    before = profile.ta_amount
    case = open_claim(order, amount=120_000)
    services.case_supplier_answer(case=case, acting_user=order.supplier, answer="accept")
    profile.refresh_from_db()
    assert profile.ta_amount < before
    change = order.supplier.ta_amount_changes.order_by("-pk").first()
    assert change.inputs["owed_usd_minor"] == 120_000


def test_a_post_delivery_claim_without_coverage_cannot_be_opened_for_money():
    order = completed_order()
    Order.objects.filter(pk=order.pk).update(covered_amount=0)
    from apps.disputes.exceptions import CaseInvalid

    with pytest.raises(CaseInvalid):
        open_claim(order, outcome=Outcome.REFUND, amount=None)
