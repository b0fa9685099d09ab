"""The escrow machine (tests/escrow/test_stateful.py) extended with every dispute step: claims
before and after release, answers, offers, escalation, mediation, decisions, appeals, returns,
the dispute clock, and payouts netting what suppliers owe. A domain error is an allowed outcome
of any step. After every step the escrow machine's invariants hold, plus the disputes' own: an
open claim freezes its order, money moved by a case matches the case, coverage pays at most the
order's covered amount, and what a supplier owes is never negative."""

import datetime as dt

import pytest
from django.db.models import Q, Sum
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from apps.disputes import services
from apps.disputes.models import Case, Outcome
from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting, Payment
from apps.orders.models import Order
from tests.disputes.helpers import photo
from tests.escrow import test_stateful as escrow_machine
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
Status = Case.Status
order_index = escrow_machine.order_index
outcomes = st.sampled_from([Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND])
refunds = st.sampled_from([None, 1, 50_000, 180_000, 600_000, 10**7])

CLOCK_STEPS = [
    services.case_default_due,
    services.case_escalate_due,
    services.case_sla_due,
    services.case_evidence_close_due,
    services.case_execute_due,
    services.case_return_lapse_due,
    services.case_return_confirm_due,
]


class DisputeMachine(escrow_machine.EscrowMachine):
    def case(self, i):
        return Case.objects.filter(order_id=self.orders[i].pk).order_by("-pk").first()

    def mediator(self, n):
        if not hasattr(self, "mediators"):
            self.mediators = [MediatorFactory(), MediatorFactory()]
        return self.mediators[n % 2]

    # The escrow machine's refund by the supplier or staff ends an order's escrow; on an order
    # with an open claim, the case is the only way (see the report on escrow_refund).
    @rule(
        i=order_index,
        how=st.sampled_from(["all", "part", "held", "over", "any"]),
        any_amount=escrow_machine.amounts,
        by_staff=st.booleans(),
    )
    def refund(self, i, how, any_amount, by_staff):
        if Case.objects.filter(order_id=self.orders[i].pk, status__in=Case.OPEN_STATES).exists():
            return
        super().refund(i, how, any_amount, by_staff)

    # --- the buyer's claim and the negotiation

    @rule(
        i=order_index,
        outcome=outcomes,
        amount=refunds,
        reason=st.sampled_from(["quality", "not_shipped", "counterfeit"]),
        with_photo=st.booleans(),
    )
    def buyer_opens_a_claim(self, i, outcome, amount, reason, with_photo):
        order = self.order(i)
        self.attempt(
            services.case_open,
            order=order,
            acting_user=order.buyer,
            reason=reason,
            requested_outcome=outcome,
            requested_amount=amount,
            description="Not as contracted",
            evidence=[services.EvidenceInput(file=photo())] if with_photo else [],
            now=self.now,
        )

    @rule(
        i=order_index,
        answer=st.sampled_from(["accept", "counter", "reject"]),
        outcome=st.sampled_from([Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND]),
        amount=refunds,
    )
    def supplier_answers(self, i, answer, outcome, amount):
        case = self.case(i)
        if case is not None:
            self.attempt(
                services.case_supplier_answer,
                case=case,
                acting_user=case.supplier,
                answer=answer,
                outcome=outcome,
                amount=amount,
                message="Our answer",
                now=self.now,
            )

    @rule(
        i=order_index,
        step=st.sampled_from(["accept", "counter", "escalate", "evidence"]),
        outcome=outcomes,
        amount=refunds,
    )
    def buyer_responds(self, i, step, outcome, amount):
        case = self.case(i)
        if case is None:
            return
        if step == "accept":
            self.attempt(
                services.case_offer_accept, case=case, acting_user=case.buyer, now=self.now
            )
        elif step == "counter":
            self.attempt(
                services.case_counter,
                case=case,
                acting_user=case.buyer,
                outcome=outcome,
                amount=amount,
                now=self.now,
            )
        elif step == "escalate":
            self.attempt(services.case_escalate, case=case, acting_user=case.buyer, now=self.now)
        else:
            self.attempt(
                services.evidence_add,
                case=case,
                acting_user=case.buyer,
                items=[services.EvidenceInput(file=photo())],
                now=self.now,
            )

    # --- mediation

    @rule(
        i=order_index,
        n=st.integers(min_value=0, max_value=1),
        outcome=st.sampled_from(Outcome.values),
        amount=refunds,
    )
    def mediator_works(self, i, n, outcome, amount):
        case = self.case(i)
        if case is None:
            return
        mediator = self.mediator(n)
        if case.status in (Status.ESCALATED, Status.APPEALED) and (
            case.status == Status.ESCALATED or case.appeal_mediator_id is None
        ):
            self.attempt(services.case_pick_up, case=case, acting_user=mediator, now=self.now)
        else:
            self.attempt(
                services.case_decide,
                case=case,
                acting_user=mediator,
                outcome=outcome,
                refund_amount=amount,
                rationale="Weighed against the contract",
                clause="Contract v1",
                now=self.now,
            )

    @rule(
        i=order_index,
        who=st.sampled_from(["buyer", "supplier"]),
        step=st.sampled_from(["accept", "appeal"]),
    )
    def party_answers_the_decision(self, i, who, step):
        case = self.case(i)
        if case is None:
            return
        user = case.buyer if who == "buyer" else case.supplier
        if step == "accept":
            self.attempt(services.case_decision_accept, case=case, acting_user=user, now=self.now)
        else:
            self.attempt(
                services.case_appeal,
                case=case,
                acting_user=user,
                reason="New information",
                now=self.now,
            )

    @rule(i=order_index, step=st.sampled_from(["ship", "confirm", "dispute"]))
    def the_return(self, i, step):
        case = self.case(i)
        if case is None:
            return
        if step == "ship":
            self.attempt(
                services.case_return_ship,
                case=case,
                acting_user=case.buyer,
                carrier="DHL",
                tracking_number="JD1",
                now=self.now,
            )
        elif step == "confirm":
            self.attempt(
                services.case_return_confirm, case=case, acting_user=case.supplier, now=self.now
            )
        else:
            self.attempt(
                services.case_return_dispute,
                case=case,
                acting_user=case.supplier,
                message="Empty boxes",
                now=self.now,
            )

    @rule(
        i=order_index,
        outcome=st.sampled_from(Outcome.values),
        amount=refunds,
        buyer_evidence=st.booleans(),
        ending=st.sampled_from(["both_accept", "appeal", "window_closes"]),
    )
    def case_goes_through_mediation(self, i, outcome, amount, buyer_evidence, ending):
        """Drives an open case along the mediation path in one step (as order_moves_on does
        for orders), so that random runs reach decisions, appeals and their money."""
        case = self.case(i)
        if case is None or case.status not in (Status.OPEN, Status.NEGOTIATING):
            return
        self.now = max(self.now, case.escalation_opens_at)
        self.attempt(services.case_escalate, case=case, acting_user=case.buyer, now=self.now)
        self.attempt(services.case_pick_up, case=case, acting_user=self.mediator(0), now=self.now)
        if buyer_evidence:
            self.attempt(
                services.evidence_add,
                case=case,
                acting_user=case.buyer,
                items=[services.EvidenceInput(file=photo())],
                now=self.now,
            )
        case.refresh_from_db()
        if case.evidence_closes_at:
            self.now = max(self.now, case.evidence_closes_at)
        services.case_evidence_close_due(case_id=case.pk, now=self.now)
        # A mediator decides within what the case can pay (other rules try any amount).
        cap = services.refund_cap(case)
        amount = max(1, min(amount or cap // 2, cap))
        self.attempt(
            services.case_decide,
            case=case,
            acting_user=self.mediator(0),
            outcome=outcome,
            refund_amount=amount,
            rationale="Weighed against the contract",
            clause="Contract v1",
            now=self.now,
        )
        case.refresh_from_db()
        if ending == "both_accept":
            for user in (case.buyer, case.supplier):
                self.attempt(
                    services.case_decision_accept, case=case, acting_user=user, now=self.now
                )
        elif ending == "appeal":
            self.attempt(
                services.case_appeal,
                case=case,
                acting_user=case.supplier,
                reason="New information",
                now=self.now,
            )
            self.attempt(
                services.case_pick_up, case=case, acting_user=self.mediator(1), now=self.now
            )
            self.attempt(
                services.case_decide,
                case=case,
                acting_user=self.mediator(1),
                outcome=outcome,
                refund_amount=amount,
                rationale="On appeal",
                clause="Contract v1",
                now=self.now,
            )
        elif case.appeal_closes_at:
            self.now = max(self.now, case.appeal_closes_at)
            services.case_execute_due(case_id=case.pk, now=self.now)

    @rule(days=st.integers(min_value=1, max_value=12))
    def dispute_clock(self, days):
        """Time passes and every dispute deadline rule runs (twice: the second does nothing)."""
        self.now += dt.timedelta(days=days)
        for _twice in range(2):
            for case in Case.objects.filter(order__in=self.order_pks()):
                for step in CLOCK_STEPS:
                    step(case_id=case.pk, now=self.now)

    # --- the disputes' promises

    @invariant()
    def each_order_pays_out_no_more_than_was_paid_in(self):
        """The escrow machine's check, with claims paid from coverage (after release) kept
        apart: they move no escrow money."""
        coverage = Q(entry__idempotency_key__startswith="coverage:")
        rows = (
            LedgerPosting.objects.filter(entry__order__in=self.order_pks())
            .exclude(coverage)
            .values("entry__order", "entry__kind", "account__kind")
            .annotate(total=Sum("amount"))
        )
        paid_in, out = {}, {}
        for row in rows:
            order, entry, account = row["entry__order"], row["entry__kind"], row["account__kind"]
            if account == Kind.ESCROW and entry in (
                LedgerEntry.Kind.PAYMENT,
                LedgerEntry.Kind.OVERPAYMENT_RETURN,  # negative: returned at once
            ):
                paid_in[order] = paid_in.get(order, 0) + row["total"]
            elif account == Kind.ESCROW:
                out[order] = out.get(order, 0) - row["total"]
        held = self.escrow_held()
        received = dict(
            Payment.objects.filter(order__in=self.order_pks())
            .values("order")
            .annotate(total=Sum("received_amount"))
            .values_list("order", "total")
        )
        for pk in self.order_pks():
            assert out.get(pk, 0) <= paid_in.get(pk, 0)
            assert held.get(pk, 0) == paid_in.get(pk, 0) - out.get(pk, 0)
            assert received.get(pk, 0) == paid_in.get(pk, 0)

    @invariant()
    def an_open_claim_freezes_its_order(self):
        for case in Case.objects.filter(order__in=self.order_pks()).select_related("order"):
            if case.is_open and case.kind == Case.Kind.ESCROW:
                assert case.order.status == Order.Status.DISPUTED, case
            if case.kind == Case.Kind.POST_DELIVERY:
                assert case.order.status == Order.Status.COMPLETED, case
        for order in Order.objects.filter(pk__in=self.order_pks(), status="disputed"):
            assert Case.objects.filter(
                order=order, kind=Case.Kind.ESCROW, status__in=Case.OPEN_STATES
            ).exists(), order

    @invariant()
    def money_moved_by_cases_matches_them(self):
        for case in Case.objects.filter(order__in=self.order_pks()).select_related("order"):
            if case.is_open:
                assert case.refunded_amount == 0
                continue
            assert case.refunded_amount <= case.order.total_amount
            if case.kind == Case.Kind.POST_DELIVERY:
                assert case.paid_from_coverage == case.refunded_amount
        for order in Order.objects.filter(pk__in=self.order_pks()):
            covered = (
                Case.objects.filter(order=order).aggregate(t=Sum("paid_from_coverage"))["t"] or 0
            )
            assert covered <= order.covered_amount

    @invariant()
    def suppliers_never_owe_a_negative_amount(self):
        assert not LedgerAccount.objects.filter(
            kind=Kind.SUPPLIER_RECEIVABLE, balance__gt=0
        ).exists()
        assert not LedgerAccount.objects.filter(kind=Kind.SUPPLIER_PAYABLE, balance__lt=0).exists()


def test_random_dispute_sequences_keep_the_ledgers_promises():
    run_state_machine_as_test(
        DisputeMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_the_machine_reaches_the_ends_of_cases():
    """A fixed run of the machine's own steps through each kind of ending (a settlement, a
    decision carried out, an appeal, a post-delivery claim paid from coverage), with every
    invariant checked after each step: the random runs above start from these steps."""
    machine = DisputeMachine()
    invariants = [
        machine.each_order_pays_out_no_more_than_was_paid_in,
        machine.an_open_claim_freezes_its_order,
        machine.money_moved_by_cases_matches_them,
        machine.suppliers_never_owe_a_negative_amount,
        machine.every_entry_and_the_ledger_sum_to_zero_per_currency,
        machine.each_order_holds_what_its_state_says,
    ]

    def step(name, **kwargs):
        getattr(machine, name)(**kwargs)
        for check in invariants:
            check()

    machine.open_orders(deposit_percents=(0, 30, 0), starts=("shipped", "completed", "shipped"))
    try:
        step(
            "buyer_opens_a_claim",
            i=0,
            outcome=Outcome.PARTIAL_REFUND,
            amount=50_000,
            reason="quality",
            with_photo=True,
        )
        step("supplier_answers", i=0, answer="accept", outcome=Outcome.PARTIAL_REFUND, amount=None)
        step(
            "buyer_opens_a_claim",
            i=1,
            outcome=Outcome.REFUND,
            amount=None,
            reason="quality",
            with_photo=False,
        )
        step(
            "case_goes_through_mediation",
            i=1,
            outcome=Outcome.PARTIAL_REFUND,
            amount=30_000,
            buyer_evidence=True,
            ending="window_closes",
        )
        step(
            "buyer_opens_a_claim",
            i=2,
            outcome=Outcome.RETURN_AND_REFUND,
            amount=None,
            reason="counterfeit",
            with_photo=True,
        )
        step(
            "case_goes_through_mediation",
            i=2,
            outcome=Outcome.REFUND,
            amount=None,
            buyer_evidence=True,
            ending="appeal",
        )
        step("supplier_asks_for_a_payout", i=1, amount=100_000)
        ends = {(case.kind, case.status, case.refunded_amount) for case in Case.objects.all()}
        assert ends == {
            (Case.Kind.ESCROW, Status.SETTLED, 50_000),
            (Case.Kind.POST_DELIVERY, Status.CLOSED, 30_000),
            (Case.Kind.ESCROW, Status.CLOSED, 600_000),
        }
    finally:
        machine.teardown()
