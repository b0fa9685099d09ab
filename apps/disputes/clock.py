"""The dispute deadlines the clock enforces, registered with the sweep engine. Each rule finds
due cases through the partial index on `next_deadline_at` (filtered by the state whose deadline
it is) and calls the service that re-checks and acts under the locks."""

from apps.core.sweeps import Rule, register
from apps.disputes import services
from apps.disputes.models import Case

Status = Case.Status


def _due(*states):
    def due(now):
        return Case.objects.filter(
            next_deadline_at__isnull=False, next_deadline_at__lte=now, status__in=states
        )

    return due


RULES = [
    (
        "disputes.default",
        "A supplier that never answered by day 7 loses: the requested refund is made.",
        (Status.OPEN,),
        services.case_default_due,
        "refund the buyer by default (supplier never answered)",
    ),
    (
        "disputes.escalate",
        "A case still unsettled on day 7 goes to mediation.",
        (Status.NEGOTIATING,),
        services.case_escalate_due,
        "escalate to mediation",
    ),
    (
        "disputes.sla",
        "Mediators' pick-up and decision deadlines: a missed one is marked and stands out.",
        (Status.ESCALATED, Status.APPEALED, Status.DELIBERATION),
        services.case_sla_due,
        "mark the mediation deadline as missed",
    ),
    (
        "disputes.evidence_close",
        "The evidence window closes: the decision is due, or the buyer who added nothing loses.",
        (Status.EVIDENCE,),
        services.case_evidence_close_due,
        "close the evidence window",
    ),
    (
        "disputes.execute",
        "The appeal window closed unappealed: the mediator's decision is carried out.",
        (Status.DECIDED,),
        services.case_execute_due,
        "carry out the decision",
    ),
    (
        "disputes.return_lapse",
        "The buyer did not ship the return in time: the claim ends without a refund.",
        (Status.RETURNING,),
        services.case_return_lapse_due,
        "end the claim (return not shipped)",
    ),
    (
        "disputes.return_confirm",
        "The supplier did not confirm or dispute the return in time: the refund is made.",
        (Status.RETURN_SHIPPED,),
        services.case_return_confirm_due,
        "refund (return taken as arrived)",
    ),
]


def _rule(name, description, states, service, what):
    return Rule(
        name=name,
        description=description,
        model=Case,
        due=_due(*states),
        deadline="next_deadline_at",
        act=lambda case, now: service(case_id=case.pk, now=now),
        describe=lambda case, now: (
            f"{case}: would {what} (due {case.next_deadline_at:%Y-%m-%d %H:%M})"
        ),
    )


for _name, _description, _states, _service, _what in RULES:
    register(_rule(_name, _description, _states, _service, _what))
