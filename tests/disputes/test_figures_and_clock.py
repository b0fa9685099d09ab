"""The storefront's dispute figures from real cases, and the clock's rules registered with the
sweep engine (found through the deadline index, acting once)."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.sweeps import RULES, sweep_run
from apps.disputes import services
from apps.disputes.models import Case, Outcome
from apps.suppliers.selectors import storefront_figures
from tests.disputes.helpers import later, open_claim, photo, shipped_order
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db


def test_every_dispute_deadline_has_a_sweep_rule():
    assert {
        "disputes.default",
        "disputes.escalate",
        "disputes.sla",
        "disputes.evidence_close",
        "disputes.execute",
        "disputes.return_lapse",
        "disputes.return_confirm",
    } <= set(RULES)


def test_the_sweep_refunds_a_no_show_supplier_once():
    order = shipped_order()
    case = open_claim(order, amount=100_000)
    day7 = later(case, 7)
    assert sweep_run("disputes.default", now=day7 - dt.timedelta(seconds=1)).done == 0
    dry = sweep_run("disputes.default", now=day7, dry_run=True)
    assert dry.due == 1 and case.reference in dry.lines[0]
    assert sweep_run("disputes.default", now=day7).done == 1
    assert sweep_run("disputes.default", now=day7).done == 0
    case.refresh_from_db()
    assert case.refunded_amount == 100_000
    assert_ledger_invariants()


def test_the_sweep_escalates_on_day_7_and_leaves_open_cases_to_the_default_rule():
    answered = open_claim(shipped_order())
    services.case_supplier_answer(
        case=answered, acting_user=answered.supplier, answer="reject", message="No."
    )
    silent = open_claim(shipped_order())
    result = sweep_run("disputes.escalate", now=later(answered, 8))
    assert result.done == 1
    answered.refresh_from_db()
    silent.refresh_from_db()
    assert answered.status == Case.Status.ESCALATED
    assert silent.status == Case.Status.OPEN


def _decided_case(outcome, amount=None):
    order = shipped_order()
    case = open_claim(order, amount=100_000)
    services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3))
    mediator = MediatorFactory()
    services.case_pick_up(case=case, acting_user=mediator)
    services.evidence_add(
        case=case, acting_user=order.buyer, items=[services.EvidenceInput(file=photo())]
    )
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    services.case_decide(
        case=case,
        acting_user=mediator,
        outcome=outcome,
        refund_amount=amount,
        rationale="Reasons.",
        clause="Contract v1",
    )
    case.refresh_from_db()
    services.case_execute_due(case_id=case.pk, now=case.appeal_closes_at)
    return case


def test_storefront_figures_come_from_real_cases(client):
    against = _decided_case(Outcome.PARTIAL_REFUND, 50_000)
    supplier = against.supplier
    figures = storefront_figures(supplier=supplier, use_cache=False)
    assert figures.disputes_per_100_orders == 100.0  # one funded order, one case
    assert figures.disputes_against_supplier_share == 1.0
    assert figures.dispute_median_days_to_resolve is not None
    page = client.get(reverse("supplier_storefront", args=[supplier.pk]))
    assert "Disputes decided against the supplier" in page.content.decode()


def test_a_supplier_without_disputes_shows_no_invented_figures():
    order = shipped_order()
    figures = storefront_figures(supplier=order.supplier, use_cache=False)
    assert figures.disputes_per_100_orders == 0.0
    assert figures.disputes_against_supplier_share is None
    assert figures.dispute_median_days_to_resolve is None
