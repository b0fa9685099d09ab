"""Escrow pages: the buyer pays an order into escrow (and sees a pending payment's instructions),
the supplier refunds the buyer, sees its balance and asks for payouts, and both parties read the
statement of their own ledger lines.

Thin, like the order pages: orders come from the scoped selectors (someone else's order is a
404), money moves only through apps.escrow.services, and a refusal (an OrderError) becomes a form
error or a message, never a 500. Changes are POST only."""

import csv

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import TransitionNotAllowed

from apps.accounts.decorators import role_required
from apps.accounts.models import User
from apps.core.dates import local_date, local_datetime
from apps.core.money import format_money, to_major
from apps.escrow import selectors, services
from apps.escrow.bank import iban_countries
from apps.escrow.filters import StatementFilter, zone_of
from apps.escrow.forms import (
    GoldPurchaseForm,
    PaymentForm,
    PayoutAccountForm,
    PayoutRequestForm,
    RefundAccountForm,
    purposes_due,
    refund_form_for,
)
from apps.escrow.models import GoldPurchase, LedgerAccount, Payment, Payout, Refund
from apps.escrow.providers.sandbox import signed_event
from apps.orders import selectors as order_selectors
from apps.orders.exceptions import OrderError, OutOfTurn
from apps.orders.models import Order

# The order page belongs to the orders app; the refund form lives on it, so a refused refund
# shows that page again with the form's errors.
from apps.orders.views import _detail_page

Status = Order.Status
buyer_only = role_required(User.Role.BUYER)
supplier_only = role_required(User.Role.SUPPLIER)
STATEMENT_LINES_PER_PAGE = 50
PAYOUTS_PER_PAGE = 25
PAYOUT_ACCOUNTS_SHOWN = 10  # the last few accounts the current one replaced
SANDBOX = "sandbox"

INSTRUCTION_LABELS = {
    "beneficiary": gettext_lazy("Beneficiary"),
    "iban": gettext_lazy("IBAN"),
    "bic": gettext_lazy("BIC (SWIFT)"),
    "payment_reference": gettext_lazy("Payment reference"),
    "boleto_number": gettext_lazy("Boleto number"),
}


def _to_detail(order):
    return redirect("order_detail", pk=order.pk)


def _to_payment(payment):
    return redirect("order_payment", pk=payment.order_id, payment_pk=payment.pk)


def _put_on_form(form, error: OrderError):
    """The service's refusal on the form: on its field when the form has one, else above it."""
    for field, field_messages in (error.errors or {error.field: [error.message]}).items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _bank_account_saved(request, form, save):
    """A posted bank account form (PayoutAccountForm, RefundAccountForm) saved through
    save(password=..., holder_name=..., ...), a service that checks the password: the account,
    or None with the reason on the form. Wrong passwords count against allauth's
    reauthentication limit; the typed details stay on the form either way."""
    if request.method != "POST" or not form.is_valid():
        return None
    if not ratelimit.consume(request, action="reauthenticate", user=request.user):
        form.add_error(
            None, _("Too many attempts to confirm your password. Wait a minute and try again.")
        )
        return None
    names = ["password", "holder_name", "country", "iban", "account_number", "bic"]
    try:
        return save(**{name: form.cleaned_data[name] for name in names})
    except OrderError as exc:
        _put_on_form(form, exc)
        return None


def _not_payable_reason(order):
    """Why nothing can be paid on `order` now, in the words the payment service uses."""
    if order.status == Status.DRAFT:
        return _("Both parties confirm the contract before anything is paid.")
    if order.status in (Status.CANCELLED, Status.COMPLETED, Status.REFUNDED):
        return _("This order is %(status)s: it takes no more payments.") % {
            "status": order.get_status_display().lower()
        }
    return _("This order is paid in full.")


# --- paying into escrow --------------------------------------------------------------------------


@buyer_only
def order_pay(request, pk):
    """The buyer chooses what to pay (what is due now) and how. Card and Pay Later are in escrow
    at once; the other methods show the payment instructions and wait for the money."""
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    if request.method == "GET":
        pending = selectors.payments_for(order=order).filter(status=Payment.Status.PENDING).first()
        if pending is not None:
            messages.info(
                request, _("A payment for this order is on its way: this is what to do for it.")
            )
            return _to_payment(pending)
        if not purposes_due(order):
            messages.error(request, _not_payable_reason(order))
            return _to_detail(order)
    form = PaymentForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_start(
                order=order,
                acting_user=request.user,
                purpose=form.cleaned_data["purpose"],
                method=form.cleaned_data["method"],
            )
        except OrderError as exc:
            _put_on_form(form, exc)
        else:
            # payment_start confirms a captured payment on a copy it locked; read it again.
            payment.refresh_from_db()
            amount = format_money(payment.amount, payment.currency)
            if payment.status == Payment.Status.CONFIRMED:
                messages.success(
                    request,
                    _(
                        "%(amount)s is paid into escrow by %(method)s. Pactline holds it until "
                        "the contract is met."
                    )
                    % {"amount": amount, "method": payment.get_method_display()},
                )
                return _to_detail(order)
            messages.success(
                request,
                _(
                    "Your payment of %(amount)s is registered. Make it as shown below; the order "
                    "moves on when the money arrives in escrow."
                )
                % {"amount": amount},
            )
            return _to_payment(payment)
    return render(
        request,
        "escrow/order_pay.html",
        {"order": order, "form": form, "due": purposes_due(order)},
    )


def _instruction_rows(payment):
    """(label, value) in the order a bank form asks for them; PostgreSQL's jsonb keeps no order."""
    instructions = payment.instructions or {}
    known = [key for key in INSTRUCTION_LABELS if key in instructions]
    others = sorted(key for key in instructions if key not in INSTRUCTION_LABELS)
    return [
        (INSTRUCTION_LABELS.get(key) or key.replace("_", " ").capitalize(), instructions[key])
        for key in known + others
    ]


def sandbox_simulatable(payment):
    """A payment into escrow or a Gold purchase, from the sandbox provider, still waiting."""
    return payment.provider == SANDBOX and payment.status == Payment.Status.PENDING


def sandbox_transfer_simulate(*, payment, now=None):
    """DEMO AID. The sandbox provider's signed "transfer received" event for what `payment` (a
    Payment or a GoldPurchase) still lacks, run through apps.escrow.services.webhook_receive
    exactly as the webhook endpoint would (signature, one event id, the ledger). Returns the
    webhook outcome."""
    now = now or timezone.now()
    payment.refresh_from_db()
    body, signature = signed_event(
        "payment.transfer_received",
        {
            "reference": payment.provider_reference,
            "amount": payment.amount - payment.received_amount,
        },
        timestamp=int(now.timestamp()),
    )
    return services.webhook_receive(
        provider_name=SANDBOX, body=body, signature_header=signature, now=now
    )


@login_required
def order_payment(request, pk, payment_pk):
    """One payment of an order: what it is for, its status and, while pending, how to pay it."""
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    payment = get_object_or_404(selectors.payments_for(order=order), pk=payment_pk)
    party = order.party(request.user)
    return render(
        request,
        "escrow/order_payment.html",
        {
            "order": order,
            "payment": payment,
            "party": party,
            "instructions": _instruction_rows(payment),
            "remaining": payment.amount - payment.received_amount,
            "can_simulate": party == "buyer" and sandbox_simulatable(payment),
        },
    )


@buyer_only
@require_POST
def order_payment_simulate(request, pk, payment_pk):
    """Sandbox only: the buyer makes the pending transfer 'arrive' (staff do it in the admin)."""
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    payment = get_object_or_404(selectors.payments_for(order=order), pk=payment_pk)
    if not sandbox_simulatable(payment):
        messages.error(request, _("Only a sandbox payment that is still pending can be simulated."))
        return _to_payment(payment)
    sandbox_transfer_simulate(payment=payment)
    payment.refresh_from_db()
    if payment.status != Payment.Status.CONFIRMED:
        messages.error(request, _("The simulated transfer did not complete this payment."))
        return _to_payment(payment)
    messages.success(
        request,
        _("Sandbox: the transfer of %(amount)s arrived and is held in escrow.")
        % {"amount": format_money(payment.amount, payment.currency)},
    )
    return _to_detail(order)


# --- refunds -------------------------------------------------------------------------------------

# What the buyer's sandbox bank may answer to a refund by bank transfer, as the provider's
# webhook event says it.
SANDBOX_REFUND_OUTCOMES = {"refunded": "refund.succeeded", "failed": "refund.failed"}
SANDBOX_REFUND_FAILURE = "Sandbox: the account the transfer came from is closed"


def sandbox_refund_simulate(*, refund, outcome, now=None):
    """DEMO AID. The buyer's sandbox bank takes (or refuses) `refund`."""
    return _sandbox_bank_answer(
        SANDBOX_REFUND_OUTCOMES[outcome],
        refund.provider_reference,
        reason=SANDBOX_REFUND_FAILURE if outcome == "failed" else "",
        now=now,
    )


@buyer_only
@require_POST
def order_refund_simulate(request, pk, refund_pk):
    """Sandbox only: the buyer has its bank take, or refuse, a refund on its way (a real
    provider sends the webhook)."""
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    refund = get_object_or_404(selectors.refunds_for(order=order), pk=refund_pk)
    outcome = request.POST.get("outcome")
    if outcome not in SANDBOX_REFUND_OUTCOMES or not selectors.refund_sandbox_answerable(refund):
        messages.error(
            request, _("Only a sandbox refund that the bank has not answered can be simulated.")
        )
        return _to_detail(order)
    sandbox_refund_simulate(refund=refund, outcome=outcome)
    refund.refresh_from_db()
    amount = format_money(refund.amount, refund.currency)
    if refund.status == Refund.Status.REFUNDED:
        messages.success(
            request, _("Sandbox: your bank received the refund of %(amount)s.") % {"amount": amount}
        )
    else:
        messages.warning(
            request,
            _(
                "Sandbox: your bank refused the refund of %(amount)s. Pactline holds it for you "
                "and sends it again."
            )
            % {"amount": amount},
        )
    return _to_detail(order)


@buyer_only
def order_refund_account(request, pk, refund_pk):
    """The buyer gives a bank account for a refund its bank or card did not take, confirmed
    with its password (wrong ones count against allauth's reauthentication limit); staff then
    send the refund there."""
    # A buyer sees only its own orders, so the refund is its own.
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    refund = get_object_or_404(selectors.refunds_for(order=order), pk=refund_pk)
    current = selectors.refund_account_current(refund=refund)
    if not selectors.refund_goes_elsewhere(refund):
        messages.error(
            request,
            _("Only a refund that was not delivered and not yet sent again goes elsewhere."),
        )
        return _to_detail(order)
    initial = {"holder_name": current.holder_name, "country": current.country} if current else {}
    form = RefundAccountForm(request.POST or None, initial=initial)
    account = _bank_account_saved(
        request,
        form,
        lambda **details: services.refund_account_give(
            refund=refund, buyer=request.user, **details
        ),
    )
    if account is not None:
        messages.success(
            request,
            _(
                "Thank you: our team sends the refund of %(amount)s to %(account)s. We emailed "
                "you about it."
            )
            % {"amount": format_money(refund.amount, refund.currency), "account": account.masked},
        )
        return _to_detail(order)
    return render(
        request,
        "escrow/order_refund_account.html",
        {
            "order": order,
            "refund": refund,
            "account": current,
            "form": form,
            "iban_countries": " ".join(iban_countries()),
        },
    )


@login_required
@require_POST
def order_refund(request, pk):
    """The supplier refunds the buyer: everything held, or part of it once shipped (the rest is
    then released and the order completes)."""
    order = order_selectors.order_get_for(user=request.user, pk=pk)
    held = selectors.escrow_summary_for(order=order).held
    form = refund_form_for(order, order.party(request.user), held=held, data=request.POST)
    if form is None:
        messages.error(
            request,
            _("Only the supplier refunds the buyer, while money is held in escrow."),
        )
        return _to_detail(order)
    if not form.is_valid():
        messages.error(request, _("Nothing was refunded: check the refund form."))
        return _detail_page(request, order, refund_form=form)
    try:
        entry = services.escrow_refund(
            order=order,
            acting_user=request.user,
            amount=form.cleaned_data.get("amount"),
            reason=form.cleaned_data["reason"],
        )
    except TransitionNotAllowed:
        # The order's state machine refused the step the service asked for (today: a full
        # refund of a shipped order); nothing was written, and the supplier gets a message.
        messages.error(request, OutOfTurn().text)
        return _to_detail(order)
    except OrderError as exc:
        field = exc.field if exc.field in form.fields else None
        if field is None or exc.errors:
            messages.error(request, exc.text)
            return _to_detail(order)
        form.add_error(field, exc.message)
        return _detail_page(request, order, refund_form=form)
    refunded = sum(
        posting.amount
        for posting in entry.postings.select_related("account")
        if posting.account.kind == LedgerAccount.Kind.BUYER_FUNDING
    )
    order.refresh_from_db()
    if order.status == Status.REFUNDED:
        text = _("%(amount)s is refunded to the buyer; the order is refunded.")
    else:
        text = _(
            "%(amount)s is refunded to the buyer and the rest of the escrow released to you; "
            "the order is completed."
        )
    messages.success(request, text % {"amount": format_money(refunded, order.currency)})
    return _to_detail(order)


# --- the supplier's balance and payouts --------------------------------------------------------


@supplier_only
def supplier_payouts(request):
    """Per currency: available (may be paid out), held in escrow on open orders, paid out; a
    payout request; the payouts so far with their status."""
    supplier = request.user
    balances = selectors.supplier_balances_for(supplier=supplier)
    form = PayoutRequestForm(request.POST or None, balances=balances)
    if request.method == "POST" and form.is_valid():
        try:
            payout = services.payout_request(
                supplier=supplier,
                amount=form.cleaned_data["amount_minor"],
                currency=form.cleaned_data["currency"],
            )
        except OrderError as exc:
            _put_on_form(form, exc)
        else:
            messages.success(
                request,
                _("Payout of %(amount)s requested. It reaches your bank account once it is paid.")
                % {"amount": format_money(payout.amount, payout.currency)},
            )
            return redirect("supplier_payouts")
    page = Paginator(selectors.payouts_for(supplier=supplier), PAYOUTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for payout in page.object_list:
        payout.can_simulate = sandbox_payout_simulatable(payout)
    account = selectors.payout_account_current(supplier=supplier)
    return render(
        request,
        "escrow/supplier_payouts.html",
        {
            "balances": balances,
            "form": form,
            "can_request": any(b.available > 0 for b in balances),
            "page": page,
            "account": account,
            "account_held": account is not None and account.payouts_from > timezone.now(),
        },
    )


@supplier_only
def supplier_payout_account(request):
    """The bank account payouts go to: the current one (masked) and the earlier ones, and the
    form that sets a new one, confirmed with the password. Wrong passwords count against
    allauth's reauthentication limit; the typed details stay on the form either way."""
    supplier = request.user
    current = selectors.payout_account_current(supplier=supplier)
    # A change starts from the current holder and country; the number is typed anew.
    initial = {"holder_name": current.holder_name, "country": current.country} if current else {}
    form = PayoutAccountForm(request.POST or None, initial=initial)
    account = _bank_account_saved(
        request,
        form,
        lambda **details: services.payout_account_set(supplier=supplier, **details),
    )
    if account is not None:
        text = _("Payouts now go to %(account)s.") % {"account": account.masked}
        if account.holder_waiting:
            text = _(
                "Your payout bank account is now %(account)s. Its holder is not your company "
                "name, so Pactline checks it before payouts go there; we email you when it is "
                "done."
            ) % {"account": account.masked}
        elif account.payouts_from > timezone.now():
            text = _(
                "Your payout bank account is changed to %(account)s. Payouts to it start "
                "on %(start)s: a safety wait after a change. We emailed you about it."
            ) % {"account": account.masked, "start": local_datetime(account.payouts_from)}
        messages.success(request, text)
        return redirect("supplier_payouts")
    earlier = supplier.payout_accounts.filter(replaced_at__isnull=False)
    # A bank that refused the last payout may have closed the account: say so where it is set.
    last_payout = current.payouts.order_by("-created_at", "-pk").first() if current else None
    return render(
        request,
        "escrow/supplier_payout_account.html",
        {
            "form": form,
            "account": current,
            "account_held": current is not None and current.payouts_from > timezone.now(),
            "earlier": earlier[:PAYOUT_ACCOUNTS_SHOWN],
            "refused": last_payout
            if last_payout and last_payout.status == Payout.Status.FAILED
            else None,
            "iban_countries": " ".join(iban_countries()),
        },
    )


# What the sandbox bank may answer to a payout, as the provider's webhook event says it.
SANDBOX_PAYOUT_OUTCOMES = {"paid": "payout.paid", "failed": "payout.failed"}
SANDBOX_PAYOUT_FAILURE = "Sandbox: the beneficiary account is closed"


def sandbox_payout_simulatable(payout):
    """A payout through the sandbox provider that its bank has not answered yet."""
    return bool(payout.provider == SANDBOX and payout.provider_reference) and payout.status in (
        Payout.Status.REQUESTED,
        Payout.Status.PROCESSING,
    )


def _sandbox_bank_answer(event_type, reference, *, reason="", now=None):
    """DEMO AID. The sandbox provider's signed event `event_type` about the transfer
    `reference` (with the bank's `reason` when it refused it), run through
    apps.escrow.services.webhook_receive exactly as the webhook endpoint would."""
    now = now or timezone.now()
    data = {"reference": reference}
    if reason:
        data["reason"] = reason
    body, signature = signed_event(event_type, data, timestamp=int(now.timestamp()))
    return services.webhook_receive(
        provider_name=SANDBOX, body=body, signature_header=signature, now=now
    )


def sandbox_payout_simulate(*, payout, outcome, now=None):
    """DEMO AID. The sandbox bank pays (or refuses) `payout`."""
    return _sandbox_bank_answer(
        SANDBOX_PAYOUT_OUTCOMES[outcome],
        payout.provider_reference,
        reason=SANDBOX_PAYOUT_FAILURE if outcome == "failed" else "",
        now=now,
    )


@supplier_only
@require_POST
def supplier_payout_simulate(request, pk):
    """Sandbox only: the supplier has the sandbox bank pay out, or refuse, a payout (staff move
    payouts in the admin; a real provider sends its webhook)."""
    payout = get_object_or_404(selectors.payouts_for(supplier=request.user), pk=pk)
    outcome = request.POST.get("outcome")
    if outcome not in SANDBOX_PAYOUT_OUTCOMES or not sandbox_payout_simulatable(payout):
        messages.error(
            request, _("Only a sandbox payout that the bank has not answered can be simulated.")
        )
        return redirect("supplier_payouts")
    sandbox_payout_simulate(payout=payout, outcome=outcome)
    payout.refresh_from_db()
    amount = format_money(payout.amount, payout.currency)
    if payout.status == Payout.Status.PAID:
        messages.success(request, _("Sandbox: the bank paid out %(amount)s.") % {"amount": amount})
    elif payout.status != Payout.Status.FAILED:
        messages.error(request, _("The simulated answer did not change this payout."))
    else:
        messages.warning(
            request,
            _("Sandbox: the bank refused the payout; %(amount)s is back in your balance.")
            % {"amount": amount},
        )
    return redirect("supplier_payouts")


# --- statements ----------------------------------------------------------------------------------


# Staff read the whole ledger in the admin.
statement_reader = role_required(User.Role.BUYER, User.Role.SUPPLIER)


def _statement_filter(request):
    return StatementFilter(
        request.GET or None,
        queryset=selectors.statement_lines_for(user=request.user),
        request=request,
    )


@statement_reader
def statements(request):
    """The viewer's own ledger lines, newest first: a buyer's payments and refunds, a supplier's
    releases and payouts; for a period and a currency if asked, and as a CSV download."""
    filterset = _statement_filter(request)
    page = Paginator(filterset.qs, STATEMENT_LINES_PER_PAGE).get_page(request.GET.get("page"))
    for line in page.object_list:
        line.magnitude = abs(line.amount)
    return render(
        request,
        "escrow/statements.html",
        {"page": page, "form": filterset.form, "filtered": filterset.is_filtered},
    )


# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value):
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    """csv.writer's file: hands each written row back instead of storing it."""

    def write(self, value):
        return value


def _statement_file_name(data):
    parts = ["pactline-statement"]
    if data.get("date_from"):
        parts.append(f"from-{data['date_from']:%Y-%m-%d}")
    if data.get("date_to"):
        parts.append(f"to-{data['date_to']:%Y-%m-%d}")
    if data.get("currency"):
        parts.append(data["currency"])
    return "-".join(parts) + ".csv"


@statement_reader
def statements_csv(request):
    """The statement the page shows (the same filters, every line, newest first) as a CSV file
    for a spreadsheet or the bookkeeping: times in the viewer's time zone, amounts in major
    units. Where the language writes decimals with a comma (Dutch), the columns are separated
    by semicolons, as spreadsheets there expect."""
    filterset = _statement_filter(request)
    if filterset.is_bound and not filterset.form.is_valid():
        # The page shows what is wrong with the period.
        return redirect(reverse("statements") + "?" + request.GET.urlencode())
    zone = zone_of(request.user)
    language = translation.get_language()
    decimal_separator = get_format("DECIMAL_SEPARATOR")
    writer = csv.writer(_Echo(), delimiter=";" if decimal_separator == "," else ",")
    header = [
        _("Date (%(time_zone)s)") % {"time_zone": zone.key},
        _("Type"),
        _("Description"),
        _("Order"),
        _("Account"),
        _("Currency"),
        _("Amount"),
        _("Ledger entry"),
    ]
    lines = filterset.qs

    def rows():
        # Streamed after the view returns: the viewer's language and time zone are fixed here.
        with translation.override(language):
            yield "\ufeff" + writer.writerow(header)  # the BOM: spreadsheets then read UTF-8
            for line in lines.iterator(chunk_size=500):
                entry = line.entry
                amount = str(to_major(line.amount, line.currency))
                yield writer.writerow(
                    [
                        timezone.localtime(entry.created_at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                        _text_cell(entry.get_kind_display()),
                        _text_cell(entry.description),
                        entry.order.reference if entry.order_id else "",
                        _text_cell(line.account.get_kind_display()),
                        line.currency,
                        amount.replace(".", decimal_separator),
                        entry.pk,
                    ]
                )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    file_name = _statement_file_name(filterset.form.cleaned_data if filterset.is_bound else {})
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    patch_cache_control(response, private=True, no_store=True)  # bank data: no copies kept
    return response


# --- Gold membership ---------------------------------------------------------------------------


@supplier_only
def supplier_gold(request):
    """A year of Gold: the price, the current membership and when it can be renewed, buying it
    by card or bank transfer, and the purchases so far (a pending one with its instructions)."""
    from apps.suppliers.selectors import supplier_profile_for

    supplier = request.user
    form = GoldPurchaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            purchase = services.gold_purchase_start(
                supplier=supplier, method=form.cleaned_data["method"]
            )
        except OrderError as exc:
            _put_on_form(form, exc)
        else:
            amount = format_money(purchase.amount, purchase.currency)
            if purchase.status == GoldPurchase.Status.PAID:
                messages.success(
                    request,
                    _("%(amount)s paid by card: your Gold membership runs until %(until)s.")
                    % {
                        "amount": amount,
                        "until": local_date(purchase.membership.ends_at),
                    },
                )
            else:
                messages.success(
                    request,
                    _(
                        "Your payment of %(amount)s is registered. Transfer it as shown below; "
                        "your year of Gold starts when the money arrives."
                    )
                    % {"amount": amount},
                )
            return redirect("supplier_gold")
    profile = supplier_profile_for(user=supplier)
    purchases = list(selectors.gold_purchases_for(supplier=supplier)[:20])
    pending = next((p for p in purchases if p.status == GoldPurchase.Status.PENDING), None)
    opens = services.gold_renewal_opens(profile.gold_until)
    price, currency = services.gold_price()
    return render(
        request,
        "escrow/supplier_gold.html",
        {
            "form": form,
            "profile": profile,
            "is_gold": profile.gold_until is not None and profile.gold_until > timezone.now(),
            "price": price,
            "currency": currency,
            "renewal_opens": opens if opens and opens > timezone.now() else None,
            "pending": pending,
            "instructions": _instruction_rows(pending) if pending else [],
            "remaining": pending.amount - pending.received_amount if pending else 0,
            "can_simulate": pending is not None and sandbox_simulatable(pending),
            "purchases": purchases,
        },
    )


@supplier_only
@require_POST
def supplier_gold_simulate(request, pk):
    """Sandbox only: the supplier makes its pending Gold transfer 'arrive'."""
    purchase = get_object_or_404(selectors.gold_purchases_for(supplier=request.user), pk=pk)
    if not sandbox_simulatable(purchase):
        messages.error(request, _("Only a sandbox payment that is still pending can be simulated."))
        return redirect("supplier_gold")
    sandbox_transfer_simulate(payment=purchase)
    purchase.refresh_from_db()
    if purchase.status != GoldPurchase.Status.PAID:
        messages.error(request, _("The simulated transfer did not complete this payment."))
    else:
        messages.success(
            request,
            _("Sandbox: the transfer arrived. Your Gold membership runs until %(until)s.")
            % {"until": local_date(purchase.membership.ends_at)},
        )
    return redirect("supplier_gold")


@supplier_only
@require_POST
def supplier_gold_cancel(request, pk):
    """The supplier drops a pending bank transfer for Gold it has not made."""
    purchase = get_object_or_404(selectors.gold_purchases_for(supplier=request.user), pk=pk)
    try:
        services.gold_purchase_cancel(purchase=purchase, acting_user=request.user)
    except OrderError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(
            request,
            _(
                "The transfer (reference %(reference)s) is cancelled. If you send it anyway, it is "
                "returned to you."
            )
            % {"reference": purchase.provider_reference},
        )
    return redirect("supplier_gold")
