"""Forms of the escrow pages. They turn typed input into service input (a purpose and a method,
money in minor units); the money rules are the services', whose errors the views put back on
these fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.choices import BlankChoiceIterator
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from apps.core.money import format_money, parse_major
from apps.escrow.models import GoldPurchase, Payment
from apps.escrow.services import amount_due
from apps.orders.models import Order


def purposes_due(order):
    """[(purpose, amount)] the buyer may pay now, in minor units: the deposit or everything at
    once on a confirmed order, the balance once the deposit is in."""
    if order.status == Order.Status.DEPOSIT_PAID:
        candidates = [Payment.Purpose.BALANCE]
    elif order.status == Order.Status.CONFIRMED:
        deposit = order.current_version.deposit_amount if order.current_version else 0
        # A 0% deposit has nothing to pay first, and a 100% one is the full amount.
        candidates = [Payment.Purpose.FULL]
        if 0 < deposit < order.total_amount:
            candidates.insert(0, Payment.Purpose.DEPOSIT)
    else:
        return []
    due = [(purpose, amount_due(order, purpose)) for purpose in candidates]
    return [(purpose, amount) for purpose, amount in due if amount > 0]


class PaymentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("What to pay"), choices=Payment.Purpose.choices, widget=forms.RadioSelect
    )
    method = forms.ChoiceField(
        label=_("How to pay"),
        choices=Payment.Method.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Card and Pay Later are in escrow at once. A bank transfer (T/T), e-Check or Boleto "
            "is in escrow when the money arrives, usually in one to three business days."
        ),
    )

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        due = purposes_due(order)
        labels = dict(Payment.Purpose.choices)
        # Only what is due now is offered; any purpose is accepted, so that a stale or crafted
        # request gets the service's reason (a balance before the deposit...) rather than
        # "not a valid choice".
        self.fields["purpose"].widget.choices = [
            (
                purpose,
                _("%(purpose)s: %(amount)s")
                % {"purpose": labels[purpose], "amount": format_money(amount, order.currency)},
            )
            for purpose, amount in due
        ]
        if due:
            self.fields["purpose"].initial = due[0][0]
        self.fields["method"].initial = Payment.Method.CARD


# Where money is held and the supplier may give it back (the service has the last word).
REFUNDABLE_STATES = (
    Order.Status.DEPOSIT_PAID,
    Order.Status.FUNDED,
    Order.Status.OVERDUE,
    Order.Status.SHIPPED,
)
PARTIAL_REFUND_STATES = (Order.Status.SHIPPED,)


def refund_form_for(order, party, *, held, data=None):
    """The supplier's refund form for `order` now (`held`: what its escrow holds), or None when
    there is nothing to refund."""
    if party != "supplier" or order.status not in REFUNDABLE_STATES:
        return None
    return RefundForm(
        data,
        order=order,
        held=held,
        partial_allowed=order.status in PARTIAL_REFUND_STATES,
        prefix="refund",  # the order page has other forms with a reason
    )


class RefundForm(forms.Form):
    """The supplier refunds the buyer: everything held, or (once shipped) a part of it, the rest
    then released to the supplier."""

    amount = forms.CharField(
        label=_("Amount to refund"),
        required=False,
        max_length=30,
        help_text=_(
            "Leave it empty to refund everything held in escrow. A part only once the order is "
            "shipped: the rest is then released to you and the order completes."
        ),
    )
    reason = forms.CharField(
        label=_("Reason for the refund"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text=_("The buyer sees it on the order."),
    )

    def __init__(self, *args, order, held, partial_allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = order.currency
        self.held = held
        if not partial_allowed:
            # Before shipment the whole amount goes back or nothing does.
            del self.fields["amount"]

    def clean_amount(self):
        typed = self.cleaned_data.get("amount", "").strip()
        if not typed:
            return None
        amount = parse_major(typed, self.currency)
        if amount <= 0:
            raise ValidationError(_("Refund more than zero, or leave it empty to refund all."))
        # The service decides under a lock; this says the same in money the supplier reads.
        if amount > self.held:
            raise ValidationError(
                _("Only %(held)s is held in escrow.")
                % {"held": format_money(self.held, self.currency)}
            )
        return amount


class PayoutRequestForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=30)
    currency = forms.ChoiceField(label=_("Currency"))

    def __init__(self, *args, balances, **kwargs):
        super().__init__(*args, **kwargs)
        self.available = {b.currency: b.available for b in balances}
        self.fields["currency"].choices = [(c, c) for c in self.available]
        with_money = [c for c, amount in self.available.items() if amount > 0]
        if with_money:
            self.fields["currency"].initial = with_money[0]

    def clean(self):
        cleaned = super().clean()
        currency, typed = cleaned.get("currency"), cleaned.get("amount")
        if not currency or typed is None:
            return cleaned
        try:
            amount = parse_major(typed, currency)
        except ValidationError as exc:
            self.add_error("amount", exc)
            return cleaned
        available = self.available.get(currency, 0)
        # The service decides under a lock; this says the same in money the supplier reads.
        if amount <= 0:
            self.add_error("amount", _("Ask for more than zero."))
        elif amount > available:
            self.add_error(
                "amount",
                _("That is more than your available balance of %(available)s.")
                % {"available": format_money(available, currency)},
            )
        cleaned["amount_minor"] = amount
        return cleaned


class PayoutAccountForm(forms.Form):
    """The bank account payouts go to. apps.escrow.bank checks the details (the service's
    messages land on these fields); the password confirms that it is the supplier asking."""

    holder_name = forms.CharField(
        label=_("Account holder"),
        max_length=200,
        help_text=_("The name the bank account is held in, usually your company's."),
    )
    country = LazyTypedChoiceField(
        label=_("Bank country"),
        choices=BlankChoiceIterator(countries, [("", _("Choose the bank's country"))]),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=60,
        required=False,
        help_text=_("Where the bank's country uses IBANs (Europe, Türkiye and others)."),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=60,
        required=False,
        help_text=_("Where the bank's country has no IBANs (China, India, the US and others)."),
    )
    bic = forms.CharField(
        label=_("BIC (SWIFT code)"),
        max_length=20,
        required=False,
        help_text=_("Needed with an account number; with an IBAN only if we cannot find it."),
    )
    password = forms.CharField(
        label=_("Your Pactline password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you changing where your money goes."),
    )


class RefundAccountForm(PayoutAccountForm):
    """A bank account the buyer gives for a refund its bank or card did not take."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder_name"].help_text = _(
            "The name the bank account is held in: yours or your company's."
        )
        self.fields["password"].help_text = _(
            "To confirm that it is you choosing where your refund goes."
        )


class GoldPurchaseForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How to pay"),
        choices=GoldPurchase.Method.choices,
        widget=forms.RadioSelect,
        initial=GoldPurchase.Method.CARD,
        help_text=_(
            "By card, your year of Gold starts at once. A bank transfer (T/T) starts it when the "
            "money arrives, usually in one to three business days."
        ),
    )


class HolderRefusalForm(forms.Form):
    """Staff refuse the holder of a payout account (admin): the supplier reads the reason."""

    reason = forms.CharField(
        label=_("Why the holder is not the supplier"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The supplier reads this in the email and on its payout account page."),
    )
