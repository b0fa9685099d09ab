"""Dispute pages for both parties: the list of cases, opening a claim from an order, the case
page with every step (answer, offers, escalation, evidence, return, decision, appeal), evidence
files and what a supplier owes for covered claims.

Thin: cases come from the scoped selectors (someone else's case is a 404), every change goes
through apps.disputes.services, and a DisputeError becomes a form error or a message, never a
500. State changes are POST only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.uploads import private_file_response
from apps.disputes import selectors, services
from apps.disputes.forms import (
    AnswerForm,
    AppealForm,
    ClaimForm,
    CounterForm,
    EvidenceForm,
    ReturnDisputeForm,
    ReturnShipForm,
)
from apps.disputes.models import Case
from apps.orders import selectors as order_selectors
from apps.orders.exceptions import OrderError


def _errors_to_form(form, error: OrderError):
    if not error.errors:
        form.add_error(None, str(error.message))
        return
    for name, field_messages in error.errors.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, str(message))


def _to_case(case):
    return redirect("dispute_detail", pk=case.pk)


@login_required
def case_list(request):
    cases = selectors.cases_for(user=request.user).filter(
        **({"buyer": request.user} if request.user.role == "buyer" else {"supplier": request.user})
    )
    return render(request, "disputes/case_list.html", {"cases": cases[:200]})


@login_required
def case_open(request, order_pk):
    order = order_selectors.order_get_for(user=request.user, pk=order_pk)
    kind = selectors.claim_kind_for(order=order, user=request.user)
    existing = Case.objects.filter(order=order, status__in=Case.OPEN_STATES).first()
    if existing is not None and order.party(request.user):
        return _to_case(existing)
    if kind is None:
        messages.error(request, _("A claim is not possible on this order now."))
        return redirect("order_detail", pk=order.pk)
    form = ClaimForm(request.POST or None, request.FILES or None, order=order, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(
                order=order, acting_user=request.user, **form.service_kwargs()
            )
        except OrderError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Your claim is open. The supplier has until %(date)s to answer.")
                % {"date": timezone.localtime(case.answer_due_at).strftime("%Y-%m-%d %H:%M")},
            )
            return _to_case(case)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "disputes/case_open.html",
        {"order": order, "form": form, "kind": kind},
        status=status,
    )


def _case(request, pk):
    return selectors.case_get_for(user=request.user, pk=pk)


def _detail(request, case, *, status=200, **forms):
    party = case.party(request.user)
    context = {
        "case": case,
        "order": case.order,
        "party": party,
        "actions": selectors.case_actions_for(case=case, user=request.user),
        "open_offer": selectors.open_offer_of(case),
        "decisions": list(case.decisions.all()),
        "events": list(case.events.all()),
        "evidence": list(case.evidence.all()),
        "offers": list(case.offers.all()),
        "lines": list(case.affected_lines.all()),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "counter_form": forms.get("counter_form") or CounterForm(),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "return_form": forms.get("return_form") or ReturnShipForm(),
        "return_dispute_form": forms.get("return_dispute_form") or ReturnDisputeForm(),
        "appeal_form": forms.get("appeal_form") or AppealForm(),
    }
    return render(request, "disputes/case_detail.html", context, status=status)


@login_required
def case_detail(request, pk):
    return _detail(request, _case(request, pk))


def _form_step(request, case, form, form_name, run, success):
    """Runs a step that has a form: bad input is shown on the form (the case page again),
    a refusal by the service too, or as a message when it is not about a field."""
    if hasattr(form, "set_currency"):
        form.set_currency(case.currency)
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except OrderError as exc:
            if exc.errors:
                _errors_to_form(form, exc)
                return _detail(request, case, status=400, **{form_name: form})
            messages.error(request, exc.text)
        else:
            messages.success(request, success)
        return _to_case(case)
    messages.error(request, _("Check the form below: something is missing."))
    return _detail(request, case, status=400, **{form_name: form})


def _step(request, case, run, success):
    try:
        run()
    except OrderError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, success)
    return _to_case(case)


def _files(form_file, kind="document"):
    return [services.EvidenceInput(file=form_file, kind=kind)] if form_file else []


@login_required
@require_POST
def case_answer(request, pk):
    case = _case(request, pk)
    form = AnswerForm(request.POST, request.FILES)
    form.set_currency(case.currency)
    return _form_step(
        request,
        case,
        form,
        "answer_form",
        lambda d: services.case_supplier_answer(
            case=case,
            acting_user=request.user,
            answer=d["answer"],
            outcome=d.get("outcome") or "",
            amount=d.get("amount"),
            message=d.get("message", ""),
            evidence=_files(d.get("evidence")),
        ),
        _("Your answer was sent to the buyer."),
    )


@login_required
@require_POST
def case_accept_offer(request, pk):
    case = _case(request, pk)
    return _step(
        request,
        case,
        lambda: services.case_offer_accept(case=case, acting_user=request.user),
        _("You accepted the offer."),
    )


@login_required
@require_POST
def case_counter(request, pk):
    case = _case(request, pk)
    form = CounterForm(request.POST)
    form.set_currency(case.currency)
    return _form_step(
        request,
        case,
        form,
        "counter_form",
        lambda d: services.case_counter(
            case=case,
            acting_user=request.user,
            outcome=d["outcome"],
            amount=d.get("amount"),
            message=d.get("message", ""),
        ),
        _("Your counter-offer was sent to the supplier."),
    )


@login_required
@require_POST
def case_escalate(request, pk):
    case = _case(request, pk)
    return _step(
        request,
        case,
        lambda: services.case_escalate(case=case, acting_user=request.user),
        _("The case went to mediation. A mediator will take it within two working days."),
    )


@login_required
@require_POST
def case_evidence_add(request, pk):
    case = _case(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    return _form_step(
        request,
        case,
        form,
        "evidence_form",
        lambda d: services.evidence_add(
            case=case, acting_user=request.user, items=[form.evidence_input()]
        ),
        _("Your evidence was added to the case."),
    )


@login_required
@require_POST
def case_return_ship(request, pk):
    case = _case(request, pk)
    return _form_step(
        request,
        case,
        ReturnShipForm(request.POST),
        "return_form",
        lambda d: services.case_return_ship(
            case=case,
            acting_user=request.user,
            carrier=d["carrier"],
            tracking_number=d["tracking_number"],
        ),
        _("The return is recorded; the supplier now confirms its arrival."),
    )


@login_required
@require_POST
def case_return_confirm(request, pk):
    case = _case(request, pk)
    return _step(
        request,
        case,
        lambda: services.case_return_confirm(case=case, acting_user=request.user),
        _("You confirmed the return; the refund was made."),
    )


@login_required
@require_POST
def case_return_dispute(request, pk):
    case = _case(request, pk)
    return _form_step(
        request,
        case,
        ReturnDisputeForm(request.POST),
        "return_dispute_form",
        lambda d: services.case_return_dispute(
            case=case, acting_user=request.user, message=d["message"]
        ),
        _("A mediator will look at the return."),
    )


@login_required
@require_POST
def case_decision_accept(request, pk):
    case = _case(request, pk)
    return _step(
        request,
        case,
        lambda: services.case_decision_accept(case=case, acting_user=request.user),
        _("You accepted the decision."),
    )


@login_required
@require_POST
def case_appeal(request, pk):
    case = _case(request, pk)
    form = AppealForm(request.POST, request.FILES)
    return _form_step(
        request,
        case,
        form,
        "appeal_form",
        lambda d: services.case_appeal(
            case=case,
            acting_user=request.user,
            reason=d["reason"],
            evidence=_files(d.get("evidence")),
        ),
        _("Your appeal was filed. A different mediator will decide; that decision is final."),
    )


@login_required
def case_evidence_file(request, pk, evidence_pk):
    evidence = selectors.evidence_get_for(user=request.user, case_pk=pk, pk=evidence_pk)
    return private_file_response(evidence.file)


@login_required
def supplier_owed(request):
    """What a supplier owes for claims paid from Trade Assurance coverage, and why."""
    return render(
        request,
        "disputes/supplier_owed.html",
        {
            "owed": selectors.supplier_owed_by_currency(supplier=request.user),
            "claims": selectors.supplier_covered_claims(supplier=request.user),
        },
    )
