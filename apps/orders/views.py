"""Order pages for both parties: the list, starting and drafting an order, the order page with
every step of its life, the contract editor, version comparison and the private files.

Thin: orders come from the scoped selectors (someone else's order is a 404, never fetched and
then refused), every change goes through apps.orders.services, and an OrderError becomes a form
error or a message on the order page, never a 500. State changes are POST only."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.accounts.decorators import role_required
from apps.accounts.models import User
from apps.catalog import selectors as catalog_selectors
from apps.core.dates import local_date, local_datetime
from apps.core.money import format_money
from apps.core.uploads import private_file_response
from apps.disputes import selectors as dispute_selectors
from apps.escrow import selectors as escrow_selectors
from apps.escrow.forms import refund_form_for
from apps.orders import selectors, services
from apps.orders.exceptions import ContractLocked, OrderError, OutOfTurn, SupplierNotEligible
from apps.orders.forms import (
    BaseLineFormSet,
    CancelForm,
    ChangeRequestForm,
    CompareForm,
    ConfirmForm,
    ContractTermsForm,
    DraftOrderForm,
    MessageForm,
    OrderFilterForm,
    ShipByExtendForm,
    ShipForm,
    ShippingDocumentFormSet,
    StartOrderForm,
    line_formset,
)
from apps.orders.models import (
    ContractVersion,
    Order,
    OrderMessage,
    ShippingDocument,
)

Status = Order.Status
buyer_only = role_required(User.Role.BUYER)
supplier_only = role_required(User.Role.SUPPLIER)
ORDERS_PER_PAGE = 25
CONTRACT_OPEN = (Status.DRAFT, Status.CONFIRMED)


# --- reads the selectors do not have (private to these pages) --------------------------------


def _line_products(order, version):
    """Products a contract line may name: the supplier's active ones, and any the current
    version already names (kept even if the listing was deactivated since)."""
    named = [line.product_id for line in version.lines.all() if line.product_id]
    return catalog_selectors.products_for_supplier(supplier=order.supplier).filter(
        Q(is_active=True) | Q(pk__in=named)
    )


# --- presentation ------------------------------------------------------------------------------


def party_name(user):
    company = getattr(user, "company", None)
    return (company.company_name if company else "") or user.email


def _buyer_name(order):
    if order.buyer is None:
        return order.buyer_email
    return party_name(order.buyer)


def ship_by_text(version, order=None):
    """'by 3 May 2026' or 'within 30 days after the deposit is paid' (and the date, once the
    order has one)."""
    if order is not None and order.ship_by:
        return _("by %(date)s") % {"date": local_date(order.ship_by)}
    if version is None:
        return ""
    if version.ship_by_date:
        return _("by %(date)s") % {"date": formats.date_format(version.ship_by_date)}
    return ngettext(
        "within %(days)s day after the deposit is paid",
        "within %(days)s days after the deposit is paid",
        version.ship_within_days,
    ) % {"days": version.ship_within_days}


@dataclass(frozen=True)
class NextStep:
    """What happens next on an order, said to one party: `yours` when that party acts."""

    heading: str
    text: str
    yours: bool = False
    tone: str = "secondary"  # a Bootstrap contextual colour for the banner


def _change_requested(version, change_requested_at):
    """A change request newer than the current version: the supplier has not answered it."""
    return change_requested_at is not None and change_requested_at > version.created_at


def order_next_step(order, party, *, version=None, change_requested_at=None) -> NextStep:
    """Whose turn it is on `order` and what happens next, from `party`'s side."""
    version = version or order.current_version
    if version is None:  # history imported without a contract (demo data)
        return NextStep(order.get_status_display(), "")
    money = lambda amount: format_money(amount, order.currency)  # noqa: E731
    n = version.number
    if order.status == Status.DRAFT:
        confirmed = {c.party for c in version.confirmations.all()}
        if party == "supplier" and _change_requested(version, change_requested_at):
            return NextStep(
                _("Your turn: the buyer asked for a change"),
                _(
                    "Edit the contract (or answer in the messages); both parties then confirm the "
                    "new version."
                ),
                yours=True,
                tone="primary",
            )
        if party == "buyer" and _change_requested(version, change_requested_at):
            return NextStep(
                _("Waiting for the supplier"),
                _(
                    "You asked for a change. The supplier edits the contract next; you then "
                    "confirm the new version."
                ),
            )
        if party not in confirmed:
            if party == "supplier" and order.buyer is None:
                text = _(
                    "Confirm contract version %(n)s. %(email)s is invited to sign up and finds "
                    "the order waiting in their portal."
                ) % {"n": n, "email": order.buyer_email}
            elif party == "buyer":
                text = _("Review contract version %(n)s, then confirm it or ask for a change.") % {
                    "n": n
                }
            else:
                text = _("Review contract version %(n)s, then confirm it or edit it.") % {"n": n}
            if confirmed:
                other_confirmed = (
                    _("The supplier has confirmed it.")
                    if party == "buyer"
                    else _("The buyer has confirmed it.")
                )
                text = f"{other_confirmed} {text}"
            return NextStep(_("Your turn: confirm the contract"), text, yours=True, tone="primary")
        if party == "supplier" and order.buyer is None:
            return NextStep(
                _("Waiting for the buyer to sign up"),
                _(
                    "You confirmed version %(n)s. We invited %(email)s to sign up; they confirm "
                    "it next."
                )
                % {"n": n, "email": order.buyer_email},
            )
        return NextStep(
            _("Waiting for the supplier") if party == "buyer" else _("Waiting for the buyer"),
            (
                _("You confirmed version %(n)s. The supplier confirms it next.")
                if party == "buyer"
                else _("You confirmed version %(n)s. The buyer confirms it next.")
            )
            % {"n": n},
        )
    if order.status == Status.CONFIRMED:
        up_front = 0 < version.deposit_percent < 100
        if party == "buyer":
            if up_front:
                text = _(
                    "Both parties confirmed version %(n)s. Pay the deposit of %(amount)s into "
                    "escrow; the balance of %(balance)s is due before shipment."
                ) % {
                    "n": n,
                    "amount": money(version.deposit_amount),
                    "balance": money(version.balance_amount),
                }
            else:
                text = _(
                    "Both parties confirmed version %(n)s. Pay %(amount)s into escrow; Pactline "
                    "holds it until the contract is met."
                ) % {"n": n, "amount": money(version.total_amount)}
            return NextStep(_("Your turn: pay into escrow"), text, yours=True, tone="primary")
        return NextStep(
            _("Waiting for the buyer's payment"),
            _(
                "Both parties confirmed version %(n)s. The buyer pays into escrow next; you are "
                "told when the money is there."
            )
            % {"n": n},
        )
    if order.status == Status.DEPOSIT_PAID:
        balance = money(version.balance_amount)
        if party == "buyer":
            return NextStep(
                _("Your turn: pay the balance"),
                _(
                    "The deposit is in escrow. Pay the balance of %(balance)s before shipment: "
                    "the supplier ships once the order is paid in full."
                )
                % {"balance": balance},
                yours=True,
                tone="primary",
            )
        if not order.production_started_at:
            return NextStep(
                _("Your turn: start production"),
                _(
                    "The deposit is in escrow. Start production; the buyer pays the balance of "
                    "%(balance)s before you ship."
                )
                % {"balance": balance},
                yours=True,
                tone="primary",
            )
        return NextStep(
            _("Waiting for the buyer's balance"),
            _("Production started. The buyer pays the balance of %(balance)s before shipment.")
            % {"balance": balance},
        )
    if order.status == Status.FUNDED:
        when = ship_by_text(version, order)
        if party == "supplier":
            return NextStep(
                _("Your turn: ship the order"),
                _(
                    "The order is paid into escrow in full. Ship it %(when)s and enter the "
                    "carrier, the tracking number and the shipping documents."
                )
                % {"when": when},
                yours=True,
                tone="primary",
            )
        return NextStep(
            _("Waiting for the shipment"),
            _("The order is paid into escrow in full. The supplier ships it %(when)s.")
            % {"when": when},
        )
    if order.status == Status.OVERDUE:
        decide_by = local_datetime(order.decision_due_at)
        if party == "buyer":
            return NextStep(
                _("Your decision: the shipment is overdue"),
                _(
                    "The supplier did not ship by %(ship_by)s. Take a full refund of the escrow "
                    "now, or give the supplier more time. If you decide nothing by %(when)s, the "
                    "escrow is refunded to you in full automatically."
                )
                % {"ship_by": local_date(order.ship_by), "when": decide_by},
                yours=True,
                tone="warning",
            )
        return NextStep(
            _("Overdue: the buyer decides"),
            _(
                "The order was not shipped by %(ship_by)s. The buyer may take a full refund or "
                "give you more time; without a decision by %(when)s, the escrow is refunded to "
                "the buyer in full. Write to the buyer below if you need more time."
            )
            % {"ship_by": local_date(order.ship_by), "when": decide_by},
            tone="warning",
        )
    if order.status == Status.SHIPPED:
        if party == "buyer":
            return NextStep(
                _("Your turn: confirm receipt"),
                _(
                    "Shipped with %(carrier)s, tracking number %(tracking)s. When the goods have "
                    "arrived as the contract says, confirm receipt: the escrow is then released "
                    "to the supplier."
                )
                % {"carrier": order.carrier, "tracking": order.tracking_number},
                yours=True,
                tone="primary",
            )
        return NextStep(
            _("Waiting for the buyer to confirm receipt"),
            _(
                "Shipped with %(carrier)s, tracking number %(tracking)s. Record the delivery when "
                "it arrives; the escrow is released when the buyer confirms receipt."
            )
            % {"carrier": order.carrier, "tracking": order.tracking_number},
        )
    if order.status == Status.DISPUTED:
        return NextStep(
            _("A dispute is open"),
            _("The escrow is frozen until a mediator decides the dispute."),
            tone="warning",
        )
    if order.status == Status.COMPLETED:
        return NextStep(
            _("Completed"),
            _("The escrow was released to the supplier."),
            tone="success",
        )
    if order.status == Status.REFUNDED:
        return NextStep(_("Refunded"), _("The money in escrow went back to the buyer."))
    if order.pay_by and order.cancelled_at and order.cancelled_at > order.pay_by:
        return NextStep(
            _("Expired"),
            _(
                "No deposit reached escrow by %(when)s, so the order expired. Anything that had "
                "arrived went back to the buyer."
            )
            % {"when": local_datetime(order.pay_by)},
        )
    return NextStep(
        _("Cancelled"),
        _("This order was cancelled before any money was paid. Reason: %(reason)s")
        % {"reason": order.cancel_reason},
    )


def order_rows(*, user, status=None, limit=None):
    """(order, next step) pairs of `user`'s orders, newest first: for lists and portal homes."""
    orders = selectors.orders_with_turn_for(user=user)
    if status:
        orders = orders.filter(status=status)
    if limit:
        orders = orders[:limit]
    return _rows(orders, user)


def _rows(orders, user):
    return [
        (
            order,
            order_next_step(
                order, order.party(user), change_requested_at=order.change_requested_at
            ),
        )
        for order in orders
    ]


def _errors_to_form(form, error: OrderError):
    """Puts the service's errors on the form's fields; the rest above the form. Returns the
    messages that belong to the contract lines."""
    line_errors = []
    for field, field_messages in (error.errors or {error.field: [error.message]}).items():
        for message in field_messages:
            if field == "lines":
                line_errors.append(message)
            else:
                form.add_error(field if field in form.fields else None, message)
    return line_errors


def _to_detail(order):
    return redirect("order_detail", pk=order.pk)


# --- the list and the portal entry points -----------------------------------------------------


@login_required
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    orders = selectors.orders_with_turn_for(user=request.user)
    if status:
        orders = orders.filter(status=status)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/order_list.html",
        {"form": form, "page": page, "rows": _rows(page.object_list, request.user)},
    )


def _quote(product, quantity):
    price = catalog_selectors.product_unit_price(product, quantity) if quantity else None
    if price is None:
        return None
    return {"quantity": quantity, "unit_price": price, "total": price * quantity}


@buyer_only
def order_start(request, product_pk):
    """A buyer orders a product of a Trade Assurance supplier."""
    product = get_object_or_404(
        catalog_selectors.products_public().select_related("supplier__company"), pk=product_pk
    )
    if not services.supplier_is_eligible(product.supplier):
        messages.error(request, SupplierNotEligible.default_message)
        return redirect(product)
    tiers = list(product.price_tiers.all())
    if request.htmx and request.method == "GET":
        # The price and total as the buyer types the quantity.
        try:
            quantity = int(request.GET.get("quantity", ""))
        except ValueError:
            quantity = None
        return render(
            request,
            "orders/_quote.html",
            {"product": product, "quote": _quote(product, quantity)},
        )
    form = StartOrderForm(
        request.POST or None, product=product, initial=StartOrderForm.initial_for(product)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        quantity = data["quantity"]
        line = services.LineInput(
            product_title=product.title,
            specification=data["specification"],
            quantity=quantity,
            unit_price=catalog_selectors.product_unit_price(product, quantity),
            product=product,
        )
        try:
            order = services.order_start(
                buyer=request.user, terms=form.terms([line], currency=product.currency)
            )
        except OrderError as exc:
            for message in _errors_to_form(form, exc):
                form.add_error("quantity", message)
        else:
            messages.success(
                request,
                _(
                    "Order %(reference)s is started. %(supplier)s reviews the contract next; you "
                    "are told when it is your turn."
                )
                % {"reference": order.reference, "supplier": party_name(product.supplier)},
            )
            return _to_detail(order)
    quantity = form.cleaned_data.get("quantity") if form.is_bound else product.moq
    return render(
        request,
        "orders/order_start.html",
        {
            "product": product,
            "tiers": tiers,
            "form": form,
            "quote": _quote(product, quantity),
        },
    )


@supplier_only
def order_draft(request):
    """A supplier drafts an order for a buyer, by the buyer's email."""
    supplier = request.user
    products = catalog_selectors.products_for_supplier(supplier=supplier).filter(is_active=True)
    form = DraftOrderForm(
        request.POST or None, request.FILES or None, initial={"deposit_percent": 30}
    )
    lines = line_formset(request.POST or None, products=products, extra=2)
    line_errors = []
    if request.method == "POST":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        currency = form.cleaned_data.get("currency")
        line_inputs = lines.lines(currency) if lines_ok and currency else None
        if form_ok and line_inputs is not None:
            try:
                order = services.order_draft_for_buyer(
                    supplier=supplier,
                    buyer_email=form.cleaned_data["buyer_email"],
                    terms=form.terms(line_inputs),
                )
            except OrderError as exc:
                line_errors = _errors_to_form(form, exc)
            else:
                if order.buyer is None:
                    text = _(
                        "Order %(reference)s is drafted. %(email)s has no Pactline account yet: "
                        "we emailed an invitation to sign up, and the order waits for them."
                    )
                else:
                    text = _(
                        "Order %(reference)s is drafted and waiting in %(email)s's buyer portal "
                        "for review."
                    )
                messages.success(
                    request, text % {"reference": order.reference, "email": order.buyer_email}
                )
                return _to_detail(order)
    return render(
        request,
        "orders/order_draft.html",
        {
            "form": form,
            "lines": lines,
            "line_errors": line_errors,
            "eligible": services.supplier_is_eligible(supplier),
            "has_products": products.exists(),
        },
    )


# --- the order page ----------------------------------------------------------------------------


def _actions(order, party, version):
    return selectors.order_actions_for(order=order, party=party, version=version)


def _pay_url(order):
    # The escrow pages add the payment page; until then the banner says what to pay.
    try:
        return reverse("order_pay", args=[order.pk])
    except NoReverseMatch:
        return None


def _current(order):
    """The current version from the prefetched versions (with lines and confirmations)."""
    versions = list(order.versions.all())
    current = next((v for v in versions if v.pk == order.current_version_id), None)
    return current, versions


RULE_TEXTS = {
    "orders.ship_by_reminder": _lazy("Automatic reminder: the ship-by date is close."),
    "orders.overdue": _lazy("Automatic: nothing was shipped by the ship-by date."),
    "orders.overdue_refund": _lazy(
        "Automatic refund: the shipment was overdue and the buyer decided nothing in time."
    ),
    "orders.release_reminder": _lazy("Automatic reminder: the receiving time ends soon."),
    "orders.auto_release": _lazy(
        "Automatic release: the receiving time ended with no dispute and no receipt confirmed."
    ),
    "orders.unpaid_expiry": _lazy("Automatic: no deposit was paid in time."),
}


def _event_details(event, order, names):
    params = event.parameters or {}
    details = []
    if event.type == event.Type.CONFIRMED and "covered_amount" in params:
        details.append(
            _("Covered by Trade Assurance: %(covered)s of %(total)s")
            % {
                "covered": format_money(params["covered_amount"], order.currency),
                "total": format_money(
                    params.get("total_amount", order.total_amount), order.currency
                ),
            }
        )
    elif "version" in params:
        details.append(_("Version %(n)s") % {"n": params["version"]})
    if params.get("email"):
        details.append(params["email"])
    if params.get("rule"):
        # The clock acted: say which rule, in the reader's language (the English reason stays
        # in the event for the audit trail).
        details.append(RULE_TEXTS.get(params["rule"], params["rule"]))
    elif params.get("reason"):
        details.append(_("Reason: %(reason)s") % {"reason": params["reason"]})
    if params.get("carrier"):
        details.append(
            _("%(carrier)s, tracking number %(tracking)s")
            % {"carrier": params["carrier"], "tracking": params.get("tracking_number", "")}
        )
    compare = None
    if event.type == event.Type.CONTRACT_EDITED and params.get("version", 0) > 1:
        compare = (
            reverse("order_versions_compare", args=[order.pk])
            + f"?old={params['version'] - 1}&new={params['version']}"
        )
    actor = names.get(event.user_id) if event.user_id else _("Pactline")
    return {
        "event": event,
        "actor": actor or _("Pactline staff"),
        "details": details,
        "compare": compare,
    }


def _detail_page(request, order, *, status=200, **forms):
    party = order.party(request.user)
    version, versions = _current(order)
    thread = list(order.messages.all())
    change_requests = [m.created_at for m in thread if m.kind == OrderMessage.Kind.CHANGE_REQUEST]
    names = {order.supplier_id: party_name(order.supplier)}
    if order.buyer is not None:
        names[order.buyer_id] = party_name(order.buyer)
    for message in thread:
        message.sender_name = names.get(message.sender_id, message.sender.email)
        message.attachment_name = (message.attachment.name or "").rsplit("/", 1)[-1]
    for each in versions:
        each.author_name = names.get(each.created_by_id) or each.created_by.email
    actions = _actions(order, party, version)
    deadline = selectors.order_deadline_for(order=order)
    confirmations = {c.party: c for c in version.confirmations.all()} if version else {}
    numbers = [v.number for v in versions]
    escrow = escrow_selectors.escrow_summary_for(order=order)
    payments = list(escrow_selectors.payments_for(order=order))
    context = {
        "order": order,
        "party": party,
        "version": version,
        "versions": versions,
        "buyer_name": _buyer_name(order),
        "supplier_name": names[order.supplier_id],
        "step": order_next_step(
            order,
            party,
            version=version,
            change_requested_at=max(change_requests) if change_requests else None,
        ),
        "actions": actions,
        "deadline": deadline,
        **dispute_selectors.dispute_panel_for(order=order, user=request.user),
        "receipt_extension_days": settings.PACTLINE_RECEIPT_EXTENSION_DAYS,
        "ship_by_form": forms.get("ship_by_form")
        or ShipByExtendForm(
            initial={"ship_by_date": timezone.localdate(order.ship_by) if order.ship_by else None}
        ),
        "pay_url": _pay_url(order) if actions.pay else None,
        # The escrow card: what was paid in, is held, released and refunded, and the payments.
        "escrow": escrow,
        "payments": payments,
        "pending_payment": next((p for p in payments if p.status == p.Status.PENDING), None),
        "refunds": _refunds(order),
        "refund_form": forms.get("refund_form") or refund_form_for(order, party, held=escrow.held),
        "buyer_confirmation": confirmations.get("buyer"),
        "supplier_confirmation": confirmations.get("supplier"),
        "ship_by": ship_by_text(version, order),
        "coverage": selectors.coverage_for(order=order)
        if order.status not in (Status.CANCELLED,)
        else None,
        "thread": thread,
        "timeline": [_event_details(e, order, names) for e in order.events.all()],
        "documents": list(order.shipping_documents.all()),
        "confirm_form": ConfirmForm(initial={"version_number": version.number})
        if version
        else None,
        "change_form": forms.get("change_form") or ChangeRequestForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "message_form": forms.get("message_form") or MessageForm(),
        "ship_form": forms.get("ship_form") or ShipForm(),
        "documents_formset": forms.get("documents_formset")
        or ShippingDocumentFormSet(prefix="documents"),
        "compare_form": CompareForm(
            numbers=numbers, initial={"old": numbers[-2], "new": numbers[-1]}
        )
        if len(numbers) > 1
        else None,
    }
    return render(request, "orders/order_detail.html", context, status=status)


def _order(request, pk):
    return selectors.order_get_for(user=request.user, pk=pk)


def _refunds(order):
    refunds = list(escrow_selectors.refunds_for(order=order))
    for refund in refunds:
        refund.answerable = escrow_selectors.refund_sandbox_answerable(refund)
        refund.goes_elsewhere = escrow_selectors.refund_goes_elsewhere(refund)
        refund.given_account = (
            escrow_selectors.refund_account_current(refund=refund)
            if refund.goes_elsewhere
            else None
        )
    return refunds


@login_required
def order_detail(request, pk):
    return _detail_page(request, _order(request, pk))


def _step(request, order, run, success):
    """Runs a one-button step; a refusal becomes a message on the order page."""
    try:
        result = run()
    except OrderError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, success(result) if callable(success) else success)
    return _to_detail(order)


def _form_step(request, order, *, form, form_name, allowed, run, success, extra_forms=None):
    """Runs a step that has a form: bad input is shown on the form (the order page again, with
    the form filled in), a refusal of the service as a message."""
    extra_forms = extra_forms or {}
    if form.is_valid() and all(f.is_valid() for f in extra_forms.values()):
        try:
            run(form.cleaned_data)
        except OrderError as exc:
            if exc.errors and allowed:
                for message in _errors_to_form(form, exc):
                    form.add_error(None, message)
                return _detail_page(request, order, **{form_name: form}, **extra_forms)
            messages.error(request, exc.text)
        else:
            messages.success(request, success)
        return _to_detail(order)
    if not allowed:
        # The form is not on the page now: say why instead of showing errors nobody sees.
        messages.error(request, OutOfTurn().text)
        return _to_detail(order)
    messages.error(request, _("Check the form below: something is missing."))
    return _detail_page(request, order, **{form_name: form}, **extra_forms)


@login_required
@require_POST
def order_confirm(request, pk):
    order = _order(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and review the contract before confirming."))
        return _to_detail(order)
    number = form.cleaned_data["version_number"]

    def success(updated):
        if updated.status == Status.CONFIRMED:
            return _("Both parties confirmed version %(n)s: the contract is agreed.") % {
                "n": number
            }
        return _("You confirmed version %(n)s. The other party confirms it next.") % {"n": number}

    return _step(
        request,
        order,
        lambda: services.contract_confirm(
            order=order, acting_user=request.user, version_number=number
        ),
        success,
    )


def _allowed(order, request, name):
    version, _versions = _current(order)
    return getattr(_actions(order, order.party(request.user), version), name)


@login_required
@require_POST
def order_change_request(request, pk):
    order = _order(request, pk)
    return _form_step(
        request,
        order,
        form=ChangeRequestForm(request.POST),
        form_name="change_form",
        allowed=_allowed(order, request, "change_request"),
        run=lambda data: services.order_change_request(
            order=order, acting_user=request.user, text=data["body"]
        ),
        success=_("Your request is sent. The supplier edits the contract next."),
    )


@login_required
@require_POST
def order_cancel(request, pk):
    order = _order(request, pk)
    return _form_step(
        request,
        order,
        form=CancelForm(request.POST),
        form_name="cancel_form",
        allowed=_allowed(order, request, "cancel"),
        run=lambda data: services.order_cancel(
            order=order, acting_user=request.user, reason=data["reason"]
        ),
        success=_("The order is cancelled."),
    )


@login_required
@require_POST
def order_start_production(request, pk):
    order = _order(request, pk)
    return _step(
        request,
        order,
        lambda: services.order_start_production(order=order, acting_user=request.user),
        _("Production is marked as started; the buyer is told."),
    )


@login_required
@require_POST
def order_ship(request, pk):
    order = _order(request, pk)
    documents = ShippingDocumentFormSet(request.POST, request.FILES, prefix="documents")
    return _form_step(
        request,
        order,
        form=ShipForm(request.POST),
        form_name="ship_form",
        allowed=_allowed(order, request, "ship"),
        run=lambda data: services.order_ship(
            order=order,
            acting_user=request.user,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            documents=documents.documents(),
        ),
        success=_("The order is marked as shipped; the buyer is told."),
        extra_forms={"documents_formset": documents},
    )


@login_required
@require_POST
def order_record_delivery(request, pk):
    order = _order(request, pk)
    return _step(
        request,
        order,
        lambda: services.order_record_delivery(order=order, acting_user=request.user),
        _("The delivery is recorded."),
    )


@login_required
@require_POST
def order_confirm_receipt(request, pk):
    order = _order(request, pk)
    return _step(
        request,
        order,
        lambda: services.order_confirm_receipt(order=order, acting_user=request.user),
        _("Thank you. The order is completed and the escrow is released to the supplier."),
    )


@login_required
@require_POST
def order_ship_by_extend(request, pk):
    order = _order(request, pk)
    return _form_step(
        request,
        order,
        form=ShipByExtendForm(request.POST),
        form_name="ship_by_form",
        allowed=_allowed(order, request, "extend_ship_by"),
        run=lambda data: services.order_ship_by_extend(
            order=order, acting_user=request.user, ship_by_date=data["ship_by_date"]
        ),
        success=_("The supplier has more time to ship and is told."),
    )


@login_required
@require_POST
def order_overdue_refund(request, pk):
    order = _order(request, pk)
    return _step(
        request,
        order,
        lambda: services.order_overdue_refund(order=order, acting_user=request.user),
        _("The escrow is refunded to you in full. The order is closed."),
    )


@login_required
@require_POST
def order_receipt_extend(request, pk):
    order = _order(request, pk)
    return _step(
        request,
        order,
        lambda: services.order_receipt_extend(order=order, acting_user=request.user),
        lambda result: (
            _("The receiving time now ends on %(when)s.")
            % {"when": local_datetime(result.release_due_at)}
        ),
    )


@login_required
@require_POST
def order_message_send(request, pk):
    order = _order(request, pk)
    return _form_step(
        request,
        order,
        form=MessageForm(request.POST, request.FILES),
        form_name="message_form",
        allowed=True,
        run=lambda data: services.order_message_send(
            order=order,
            acting_user=request.user,
            body=data["body"],
            attachment=data.get("attachment") or None,
        ),
        success=_("Message sent."),
    )


# --- the contract: edit and compare ------------------------------------------------------------


@login_required
def order_contract_edit(request, pk):
    """Either party writes the next version of the contract, before any money is paid."""
    order = _order(request, pk)
    if selectors.order_has_money_in(order):
        messages.error(request, ContractLocked.default_message)
        return _to_detail(order)
    if order.status not in CONTRACT_OPEN:
        messages.error(
            request,
            _("This order is %(status)s: its contract can no longer change.")
            % {"status": order.get_status_display().lower()},
        )
        return _to_detail(order)
    version, _versions = _current(order)
    if version is None:
        raise Http404
    is_supplier = order.party(request.user) == "supplier"
    form = ContractTermsForm(
        request.POST or None,
        request.FILES or None,
        initial=ContractTermsForm.initial_for(version),
        with_proforma=is_supplier,
        has_proforma=bool(version.proforma_invoice),
    )
    lines = line_formset(
        request.POST or None,
        products=_line_products(order, version),
        initial=BaseLineFormSet.initial_for(version),
        extra=1,
    )
    line_errors = []
    if request.method == "POST":
        form_ok, lines_ok = form.is_valid(), lines.is_valid()
        currency = form.cleaned_data.get("currency")
        line_inputs = lines.lines(currency) if lines_ok and currency else None
        if form_ok and line_inputs is not None:
            try:
                new = services.contract_edit(
                    order=order, acting_user=request.user, terms=form.terms(line_inputs)
                )
            except OrderError as exc:
                if not exc.errors:
                    messages.error(request, exc.text)
                    return _to_detail(order)
                line_errors = _errors_to_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Version %(n)s of the contract is saved. Both parties confirm it now.")
                    % {"n": new.number},
                )
                return _to_detail(order)
    return render(
        request,
        "orders/contract_edit.html",
        {
            "order": order,
            "version": version,
            "form": form,
            "lines": lines,
            "line_errors": line_errors,
            "confirmed_by": [c.get_party_display() for c in version.confirmations.all()],
        },
    )


def _version_rows(old, new, changed):
    def yes_no(value):
        return _("Yes") if value else _("No")

    def money(version):
        return format_money(version.total_amount, version.currency)

    def proforma(version):
        return _("Attached") if version.proforma_invoice else _("None")

    rows = [
        ("currency", _("Currency"), lambda v: v.currency),
        ("quality_standard", _("Quality standard"), lambda v: v.quality_standard),
        (
            "inspection_booked",
            _("Third-party inspection booked"),
            lambda v: yes_no(v.inspection_booked),
        ),
        ("ship_by", _("Ship"), ship_by_text),
        ("shipping_method", _("Shipping method"), lambda v: v.get_shipping_method_display()),
        ("incoterm", _("Incoterm"), lambda v: v.get_incoterm_display()),
        ("shipping_address", _("Ship to"), lambda v: v.shipping_address),
        ("deposit_percent", _("Deposit"), lambda v: f"{v.deposit_percent}%"),
        ("remarks", _("Remarks"), lambda v: v.remarks or "—"),
        ("proforma_invoice", _("Proforma invoice"), proforma),
        ("total", _("Total"), money),
    ]
    changed = set(changed)
    if changed & {"ship_by_date", "ship_within_days"}:
        changed.add("ship_by")
    if old.total_amount != new.total_amount or old.currency != new.currency:
        changed.add("total")
    return [
        {"label": label, "old": value(old), "new": value(new), "changed": name in changed}
        for name, label, value in rows
    ]


@login_required
def order_versions_compare(request, pk):
    order = _order(request, pk)
    _version, versions = _current(order)
    numbers = [v.number for v in versions]
    if not numbers:
        raise Http404
    default = {"old": numbers[-2] if len(numbers) > 1 else numbers[0], "new": numbers[-1]}
    form = CompareForm(request.GET if "old" in request.GET else default, numbers=numbers)
    if not form.is_valid():
        raise Http404
    comparison = selectors.versions_compare(
        order=order, old_number=form.cleaned_data["old"], new_number=form.cleaned_data["new"]
    )
    return render(
        request,
        "orders/versions_compare.html",
        {
            "order": order,
            "form": form,
            "comparison": comparison,
            "rows": _version_rows(comparison.old, comparison.new, comparison.changed_fields),
            "lines_changed": "lines" in comparison.changed_fields,
        },
    )


# --- private files -----------------------------------------------------------------------------


@login_required
def order_proforma(request, pk, number):
    order = get_object_or_404(selectors.orders_for_files(user=request.user), pk=pk)
    version = get_object_or_404(
        ContractVersion.objects.filter(order=order).exclude(proforma_invoice=""), number=number
    )
    return private_file_response(
        version.proforma_invoice, download_name=f"{order.reference}-v{number}-proforma.pdf"
    )


@login_required
def order_message_attachment(request, pk, message_pk):
    order = get_object_or_404(selectors.orders_for_files(user=request.user), pk=pk)
    message = get_object_or_404(
        OrderMessage.objects.filter(order=order).exclude(attachment=""), pk=message_pk
    )
    return private_file_response(message.attachment)


@login_required
def order_shipping_document(request, pk, document_pk):
    order = get_object_or_404(selectors.orders_for_files(user=request.user), pk=pk)
    document = get_object_or_404(ShippingDocument.objects.filter(order=order), pk=document_pk)
    return private_file_response(document.file)
