"""A dispute through the browser: the buyer opens a quality claim with a photo, the supplier
counter-offers, the buyer escalates on day 4, a mediator picks the case up and decides a partial
refund in the admin with a written rationale, and the buyer reads the rationale and finds the
refund in its statement. The clock is moved (time_machine), never slept."""

import datetime as dt
from importlib import import_module

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from apps.disputes import services
from apps.disputes.models import Case
from tests.disputes.helpers import PNG, shipped_order
from tests.e2e.helpers import log_in
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def mediators_permissions(transactional_db):
    """The Mediators' dispute permissions come from a data migration; transactional tests empty
    the tables between tests, so run that migration step again."""
    from django.apps import apps

    import_module("apps.disputes.migrations.0002_mediator_permissions").forwards(apps, None)


def test_a_quality_claim_is_countered_escalated_and_decided_in_admin(new_page):
    order = shipped_order()  # 500 × US$12.00, paid in full, shipped
    start = timezone.now()

    # The buyer opens a quality claim with a photo.
    buyer = new_page()
    log_in(buyer, order.buyer.email)
    buyer.goto(f"/orders/{order.pk}/claim/")
    buyer.get_by_label("What went wrong").select_option(label="Quality not as in the contract")
    buyer.get_by_label("Partial refund").check()
    buyer.get_by_label("Refund amount").fill("1500.00")
    buyer.get_by_label("500 × Warm white LED bulb").check()
    buyer.get_by_label("Describe the problem").fill(
        "About a quarter of the bulbs are 4000 K instead of the agreed 2700 K."
    )
    buyer.get_by_label("Evidence (photo or PDF)").set_input_files(
        {"name": "bulbs.png", "mimeType": "image/png", "buffer": PNG}
    )
    buyer.get_by_role("button", name="Open the claim").click()
    expect(buyer.get_by_text("Your claim is open.")).to_be_visible()
    expect(buyer.get_by_role("link", name="bulbs.png")).to_be_visible()
    case = Case.objects.get(order=order)
    case_url = f"/disputes/{case.pk}/"

    # The supplier counter-offers a smaller partial refund.
    supplier = new_page(timezone_id="Asia/Shanghai")
    log_in(supplier, order.supplier.email)
    supplier.goto(case_url)
    supplier.get_by_label("Make a counter-offer").check()
    supplier.get_by_label("Offer", exact=True).select_option(label="Partial refund")
    supplier.get_by_label("Refund offered").fill("600.00")
    supplier.get_by_label("Message to the buyer").fill("Only 10% are off according to our QC.")
    supplier.get_by_role("button", name="Send your answer").click()
    expect(supplier.get_by_text("Your answer was sent to the buyer.")).to_be_visible()

    with time_machine.travel(start + dt.timedelta(days=3, hours=1), tick=True):
        # Day 4: the buyer escalates instead of accepting.
        buyer.goto(case_url)
        expect(
            buyer.get_by_text("Only 10% are off according to our QC.", exact=True)
        ).to_be_visible()
        buyer.get_by_role("button", name="Escalate to mediation").click()
        expect(buyer.get_by_text("The case went to mediation.")).to_be_visible()

        # A mediator picks the case up in the admin and sees it side by side.
        mediator_user = MediatorFactory()
        mediator = new_page()
        log_in(mediator, mediator_user.email)
        mediator.goto(f"/admin/disputes/case/{case.pk}/change/")
        expect(mediator.get_by_text("Confirmed contract (version 1)")).to_be_visible()
        mediator.get_by_role("button", name="Pick up the case").click()
        expect(mediator.get_by_text(f"You picked up {case.reference}.")).to_be_visible()

        # In the evidence window the buyer adds its inspection photo.
        buyer.goto(case_url)
        expect(buyer.get_by_text("Evidence window: add your evidence by")).to_be_visible()
        evidence = buyer.get_by_role("form", name="Add evidence")
        evidence.get_by_label("File (photo or PDF)").set_input_files(
            {"name": "inspection.png", "mimeType": "image/png", "buffer": PNG}
        )
        evidence.get_by_label("Kind").select_option(label="Inspection report")
        evidence.get_by_label("Defect rate (%)").fill("25")
        evidence.get_by_role("button", name="Add evidence").click()
        expect(buyer.get_by_text("Your evidence was added to the case.")).to_be_visible()

    # The window closes (the clock's rule, run as beat would), and the mediator decides.
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    with time_machine.travel(case.evidence_closes_at + dt.timedelta(hours=1), tick=True):
        mediator.goto(f"/admin/disputes/case/{case.pk}/change/")
        expect(mediator.get_by_text("Suggested partial refund")).to_be_visible()
        mediator.get_by_role("button", name="Decide").click()
        mediator.get_by_label("Decision").select_option(label="Partial refund")
        mediator.get_by_label("Refund amount").fill("1500.00")
        mediator.get_by_label("Contract clause or policy applied").fill(
            "Contract v1, quality standard: colour temperature 2700 K ± 100 K"
        )
        mediator.get_by_label("Rationale").fill(
            "The inspection report shows 25% of the bulbs at 4000 K; 25% of the line value is "
            "refunded."
        )
        mediator.get_by_role("button", name="Record the decision").click()
        expect(mediator.get_by_text("Decision recorded and sent to both parties.")).to_be_visible()

        # Both parties accept; the money moves at once.
        buyer.goto(case_url)
        expect(buyer.get_by_text("The inspection report shows 25% of the bulbs")).to_be_visible()
        buyer.get_by_role("button", name="Accept the decision").click()
        expect(buyer.get_by_text("You accepted the decision.")).to_be_visible()
        supplier.goto(case_url)
        supplier.get_by_role("button", name="Accept the decision").click()
        expect(supplier.get_by_text("You accepted the decision.")).to_be_visible()

        buyer.goto(case_url)
        expect(buyer.get_by_text("Refunded to the buyer from escrow: US$ 1,500.00")).to_be_visible()
        buyer.goto("/statements/")
        expect(buyer.get_by_text("partly refunded, rest released").first).to_be_visible()
        expect(buyer.get_by_role("cell", name="+US$ 1,500.00")).to_be_visible()

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.refunded_amount == 150_000
    assert_ledger_invariants()
