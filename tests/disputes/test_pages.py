"""The portal pages and the mediators' admin: each step through the browser-facing views, form
errors instead of 500s, and scoping (nobody sees another party's case or evidence)."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from apps.disputes import selectors, services
from apps.disputes.models import Case, Decision, Outcome
from tests.disputes.helpers import TOTAL, completed_order, open_claim, photo, shipped_order
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import AccountFactory, BuyerFactory, MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_the_buyer_opens_a_claim_with_a_photo(client):
    order = shipped_order()
    client.force_login(order.buyer)
    page = client.get(reverse("dispute_open", args=[order.pk]))
    assert page.status_code == 200
    line = order.current_version.lines.first()
    response = client.post(
        reverse("dispute_open", args=[order.pk]),
        {
            "reason": "quality",
            "requested_outcome": "partial_refund",
            "requested_amount": "1200.00",
            "lines": [str(line.pk)],
            "description": "A third of the bulbs are 4000 K.",
            "evidence": photo(),
            "evidence_kind": "photo",
            "defect_rate": "33.3",
        },
    )
    case = Case.objects.get(order=order)
    assert response.status_code == 302
    assert response.url == reverse("dispute_detail", args=[case.pk])
    assert case.requested_amount == 120_000
    assert case.defect_rate is not None
    assert case.evidence.count() == 1


def test_a_bad_claim_shows_field_errors_not_a_500(client):
    order = shipped_order()
    client.force_login(order.buyer)
    response = client.post(
        reverse("dispute_open", args=[order.pk]),
        {
            "reason": "quality",
            "requested_outcome": "partial_refund",
            "requested_amount": "99999999",
            "description": "x",
            "evidence_kind": "photo",
        },
    )
    assert response.status_code == 400
    assert "At most" in response.content.decode()
    assert not Case.objects.exists()


def test_the_supplier_counter_offers_and_the_buyer_accepts(client):
    order = shipped_order()
    case = open_claim(order, amount=200_000)
    client.force_login(order.supplier)
    page = client.get(reverse("dispute_detail", args=[case.pk]))
    assert "Send your answer" in page.content.decode()
    response = client.post(
        reverse("dispute_answer", args=[case.pk]),
        {"answer": "counter", "outcome": "partial_refund", "amount": "800", "message": "15%"},
    )
    assert response.status_code == 302
    client.force_login(order.buyer)
    page = client.get(reverse("dispute_detail", args=[case.pk]))
    assert "Accept the offer" in page.content.decode()
    client.post(reverse("dispute_accept_offer", args=[case.pk]))
    case.refresh_from_db()
    assert case.status == Case.Status.SETTLED
    assert case.refunded_amount == 80_000
    assert_ledger_invariants()


def test_a_counter_offer_without_an_outcome_is_a_form_error(client):
    order = shipped_order()
    case = open_claim(order)
    client.force_login(order.supplier)
    response = client.post(reverse("dispute_answer", args=[case.pk]), {"answer": "counter"})
    assert response.status_code == 400
    assert "Choose what you offer." in response.content.decode()


def test_the_buyer_escalates_from_day_4(client):
    order = shipped_order()
    case = open_claim(order)
    client.force_login(order.buyer)
    page = client.get(reverse("dispute_detail", args=[case.pk]))
    assert "You can escalate to a mediator from" in page.content.decode()
    with time_machine.travel(case.escalation_opens_at + dt.timedelta(minutes=1), tick=False):
        page = client.get(reverse("dispute_detail", args=[case.pk]))
        assert "Escalate to mediation" in page.content.decode()
        client.post(reverse("dispute_escalate", args=[case.pk]))
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED


def test_escalating_too_early_is_a_message(client):
    order = shipped_order()
    case = open_claim(order)
    client.force_login(order.buyer)
    response = client.post(reverse("dispute_escalate", args=[case.pk]), follow=True)
    assert "You can escalate from" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


# --- scoping --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outsider",
    [BuyerFactory, SupplierFactory, lambda: AccountFactory(role="staff", is_staff=True)],
)
def test_outsiders_cannot_see_a_case_or_its_evidence(client, outsider):
    order = shipped_order()
    case = open_claim(order)
    evidence = case.evidence.get()
    client.force_login(outsider())
    assert client.get(reverse("dispute_detail", args=[case.pk])).status_code == 404
    assert (
        client.get(reverse("dispute_evidence_file", args=[case.pk, evidence.pk])).status_code == 404
    )
    assert client.post(reverse("dispute_escalate", args=[case.pk])).status_code == 404
    assert case.reference not in client.get(reverse("dispute_list")).content.decode()


def test_both_parties_and_mediators_see_the_evidence(client):
    order = shipped_order()
    case = open_claim(order)
    evidence = case.evidence.get()
    for person in (order.buyer, order.supplier, MediatorFactory()):
        client.force_login(person)
        response = client.get(reverse("dispute_evidence_file", args=[case.pk, evidence.pk]))
        assert response.status_code == 200


def test_evidence_of_another_case_is_not_reachable_through_mine(client):
    mine, theirs = open_claim(shipped_order()), open_claim(shipped_order())
    client.force_login(mine.buyer)
    url = reverse("dispute_evidence_file", args=[mine.pk, theirs.evidence.get().pk])
    assert client.get(url).status_code == 404


def test_the_case_list_shows_only_my_cases(client):
    mine, theirs = open_claim(shipped_order()), open_claim(shipped_order())
    client.force_login(mine.buyer)
    body = client.get(reverse("dispute_list")).content.decode()
    assert mine.reference in body and theirs.reference not in body


# --- the order page panel -------------------------------------------------------------------------


def test_the_order_panel_offers_a_claim_to_the_buyer_only(client):
    order = shipped_order()
    panel = selectors.dispute_panel_for(order=order, user=order.buyer)["dispute_panel"]
    assert panel["claim_kind"] == Case.Kind.ESCROW
    assert (
        selectors.dispute_panel_for(order=order, user=order.supplier)["dispute_panel"]["claim_kind"]
        is None
    )
    assert (
        selectors.dispute_panel_for(order=order, user=BuyerFactory())["dispute_panel"]["case"]
        is None
    )
    from django.template.loader import render_to_string

    html = render_to_string(
        "disputes/_order_panel.html",
        {"order": order, **selectors.dispute_panel_for(order=order, user=order.buyer)},
    )
    assert "Open a claim" in html


def test_the_order_panel_shows_the_case_and_its_decision():
    order = completed_order()
    case = open_claim(order)
    from django.template.loader import render_to_string

    context = selectors.dispute_panel_for(order=order, user=order.supplier)
    html = render_to_string("disputes/_order_panel.html", {"order": order, **context})
    assert case.reference in html


# --- the mediators' admin -----------------------------------------------------------------------


def _escalated():
    order = shipped_order()
    case = open_claim(order)
    return services.case_escalate(case=case, acting_user=order.buyer, now=case.escalation_opens_at)


def test_the_queue_lists_escalated_cases_with_filters(client):
    case = _escalated()
    client.force_login(MediatorFactory())
    url = reverse("admin:disputes_case_changelist")
    for queue in ("", "pickup", "evidence", "decision", "overdue"):
        response = client.get(url, {"queue": queue} if queue else {})
        assert response.status_code == 200
    body = client.get(url, {"queue": "pickup"}).content.decode()
    assert case.reference in body
    assert case.reference not in client.get(url, {"queue": "evidence"}).content.decode()


def test_an_overdue_case_stands_out_in_the_queue(client):
    case = _escalated()
    services.case_sla_due(case_id=case.pk, now=case.pickup_due_at)
    client.force_login(MediatorFactory())
    body = client.get(
        reverse("admin:disputes_case_changelist"), {"queue": "overdue"}
    ).content.decode()
    assert case.reference in body
    assert "pl-overdue" in body


def test_a_mediator_picks_up_and_decides_in_the_admin(client):
    case = _escalated()
    mediator = MediatorFactory()
    client.force_login(mediator)
    change = reverse("admin:disputes_case_change", args=[case.pk])
    page = client.get(change)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Pick up the case" in body
    assert "Confirmed contract" in body
    client.post(change, {"_fsm_transition_to": "pick_up"})
    case.refresh_from_db()
    assert case.status == Case.Status.EVIDENCE
    services.evidence_add(
        case=case, acting_user=case.buyer, items=[services.EvidenceInput(file=photo())]
    )
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    decide_url = reverse("admin:disputes_case_transition", args=[case.pk, "decide"])
    assert client.get(decide_url).status_code == 200
    # Without a rationale nothing is decided.
    response = client.post(decide_url, {"outcome": "partial_refund", "refund_amount": "500"})
    assert response.status_code == 200
    assert not Decision.objects.exists()
    response = client.post(
        decide_url,
        {
            "outcome": "partial_refund",
            "refund_amount": "500.00",
            "clause": "Contract v1, quality standard",
            "rationale": "The photos show 4000 K bulbs; the contract says 2700 K.",
        },
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.refund_amount == 50_000
    assert decision.mediator == mediator


def test_a_refund_above_the_escrow_in_the_admin_is_a_message(client):
    case = _escalated()
    mediator = MediatorFactory()
    services.case_pick_up(case=case, acting_user=mediator)
    services.evidence_add(
        case=case, acting_user=case.buyer, items=[services.EvidenceInput(file=photo())]
    )
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    client.force_login(mediator)
    decide_url = reverse("admin:disputes_case_transition", args=[case.pk, "decide"])
    response = client.post(
        decide_url,
        {
            "outcome": "partial_refund",
            "refund_amount": str(TOTAL),  # major units: 100 times too much
            "clause": "Contract",
            "rationale": "Because the bulbs are wrong.",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "At most" in response.content.decode()
    assert not Decision.objects.exists()


def test_staff_outside_mediators_cannot_decide_in_the_admin(client):
    case = _escalated()
    staff = AccountFactory(role="staff", is_staff=True, is_superuser=False)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="disputes"))
    client.force_login(staff)
    change = reverse("admin:disputes_case_change", args=[case.pk])
    assert "Pick up the case" not in client.get(change).content.decode()
    client.post(change, {"_fsm_transition_to": "pick_up"})
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED


def test_the_decision_and_rationale_reach_the_parties_in_the_portal(client):
    case = _escalated()
    mediator = MediatorFactory()
    services.case_pick_up(case=case, acting_user=mediator)
    services.evidence_add(
        case=case, acting_user=case.buyer, items=[services.EvidenceInput(file=photo())]
    )
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    services.case_decide(
        case=case,
        acting_user=mediator,
        outcome=Outcome.PARTIAL_REFUND,
        refund_amount=50_000,
        rationale="Photos show the wrong colour temperature.",
        clause="Contract v1, quality standard",
    )
    client.force_login(case.buyer)
    body = client.get(reverse("dispute_detail", args=[case.pk])).content.decode()
    assert "Photos show the wrong colour temperature." in body
    assert "Appeal the decision" in body
    assert "Accept the decision" in body


def test_the_mediators_group_has_its_dispute_permissions():
    from django.contrib.auth.models import Group

    codenames = set(
        Group.objects.get(name="Mediators")
        .permissions.filter(content_type__app_label="disputes")
        .values_list("codename", flat=True)
    )
    assert {"view_case", "change_case", "view_evidence", "add_decision"} <= codenames


def test_an_appeal_in_the_admin_goes_to_a_different_mediator(client):
    case = _escalated()
    first = MediatorFactory()
    services.case_pick_up(case=case, acting_user=first)
    services.evidence_add(
        case=case, acting_user=case.buyer, items=[services.EvidenceInput(file=photo())]
    )
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    services.case_decide(
        case=case,
        acting_user=first,
        outcome=Outcome.RELEASE,
        rationale="The photos do not show the lot delivered.",
        clause="Policy: evidence",
    )
    services.case_appeal(case=case, acting_user=case.buyer, reason="Lab report attached.")
    change = reverse("admin:disputes_case_change", args=[case.pk])
    client.force_login(first)
    response = client.post(change, {"_fsm_transition_to": "take_appeal"}, follow=True)
    assert "different mediator" in response.content.decode()
    second = MediatorFactory()
    client.force_login(second)
    assert "Take the appeal" in client.get(change).content.decode()
    client.post(change, {"_fsm_transition_to": "take_appeal"})
    assert "Decide the appeal (final)" in client.get(change).content.decode()
    response = client.post(
        reverse("admin:disputes_case_transition", args=[case.pk, "decide_appeal"]),
        {
            "outcome": "refund",
            "clause": "Contract v1, quality standard",
            "rationale": "The lab report shows every bulb at 4000 K.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.refunded_amount == TOTAL
    assert_ledger_invariants()


def test_an_unknown_admin_step_is_refused(client):
    case = _escalated()
    client.force_login(MediatorFactory())
    change = reverse("admin:disputes_case_change", args=[case.pk])
    response = client.post(change, {"_fsm_transition_to": "execute"}, follow=True)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    url = reverse("admin:disputes_case_transition", args=[case.pk, "settle"])
    assert client.get(url).status_code == 404
