"""Shapes of the escrow API. Money is an integer in the minor unit of its ISO 4217 currency (1250
USD is US$ 12.50; 1250 JPY is ¥1,250). Input serializers check types and sizes; whether a
payment, refund or payout may be made is the services' call (apps/escrow/services.py), so the
portal and the API refuse the same things with the same messages.

This module does not import apps.orders.serializers: the order detail shows the escrow summary
from here, so the import goes one way only."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from apps.core.money import CURRENCY_CHOICES
from apps.escrow.models import (
    GoldPurchase,
    LedgerAccount,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    RefundAccount,
)

MINOR_UNITS = "Integer, in the minor unit of `currency` (ISO 4217): 1250 USD is US$ 12.50."
MAX_AMOUNT = 9_223_372_036_854_775_807  # the amount columns' bound


def money(help_text=MINOR_UNITS, **kwargs):
    return serializers.IntegerField(help_text=help_text, **kwargs)


class StatusField(serializers.ChoiceField):
    """A `status` whose values the schema lists inline rather than as an enum component: a
    second `status` enum component makes drf-spectacular rename the orders' StatusEnum to a
    hashed name and warn, which fails `check --deploy`. (An ENUM_NAME_OVERRIDES entry in the
    settings would let these be plain ChoiceFields.)"""


class StatusFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StatusField

    def map_serializer_field(self, auto_schema, direction):
        values = list(self.target.choices)
        # Wrapped in allOf so the enum post-processing leaves it where it is.
        schema = {"allOf": [{"type": "string", "enum": values}]}
        if self.target.help_text:
            schema["description"] = str(self.target.help_text)
        return schema


# --- an order's escrow ------------------------------------------------------------------------


class EscrowSummarySerializer(serializers.Serializer):
    """The order's escrow at a glance, in minor units of the order's currency."""

    currency = serializers.CharField(help_text="ISO 4217 code.")
    paid_in = money("Paid in by the buyer and kept (overpayments returned are not counted).")
    held = money("In escrow now.")
    released = money("Released to the supplier.")
    refunded = money("Refunded to the buyer.")


class PaymentSerializer(serializers.ModelSerializer):
    """A payment into the order's escrow. Card and Pay Later are received at once; T/T,
    e-Check and Boleto stay `pending` until the money arrives (a T/T may come in parts)."""

    reference = serializers.CharField(
        source="provider_reference", help_text="Quote it on a bank transfer."
    )
    amount = money("What this payment is for. " + MINOR_UNITS)
    received_amount = money("Received so far. " + MINOR_UNITS)
    instructions = serializers.DictField(
        help_text="What the buyer does to pay: bank details for T/T and e-Check, the Boleto "
        "number. Empty for card and Pay Later."
    )

    status = StatusField(
        choices=Payment.Status.choices,
        help_text="pending: waiting for the money; confirmed: received in full; failed.",
        read_only=True,
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "method",
            "status",
            "amount",
            "received_amount",
            "currency",
            "reference",
            "instructions",
            "created_at",
            "confirmed_at",
        ]


class RefundSentSerializer(serializers.ModelSerializer):
    """Money sent back to the buyer through the payment provider, to the payment it came from."""

    amount = money()
    reference = serializers.CharField(
        source="provider_reference",
        read_only=True,
        help_text="The payment provider's reference for the money sent back.",
    )
    payment = serializers.IntegerField(
        source="payment_id", read_only=True, help_text="The payment it goes back to."
    )
    retry_of = serializers.IntegerField(
        source="retry_of_id",
        read_only=True,
        allow_null=True,
        help_text="The undelivered refund this one sends again, if any.",
    )
    status = StatusField(
        choices=Refund.Status.choices,
        help_text="processing: a bank transfer on its way back; refunded: delivered (card and "
        "Pay Later at once); failed: not delivered, Pactline holds it for the buyer and sends "
        "it again.",
        read_only=True,
    )
    failure_reason = serializers.CharField(
        read_only=True, help_text="Why the bank refused a failed refund, when it said."
    )
    destination = serializers.CharField(
        read_only=True,
        help_text="A refund sent again to a bank account the buyer gave: that account, masked, "
        "with its holder. Empty when it goes back to the payment.",
    )

    class Meta:
        model = Refund
        fields = [
            "id",
            "payment",
            "destination",
            "method",
            "amount",
            "currency",
            "status",
            "reference",
            "failure_reason",
            "retry_of",
            "created_at",
            "refunded_at",
            "failed_at",
        ]


class OrderMoneyStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="order.pk")
    reference = serializers.CharField(source="order.reference")
    status = serializers.CharField(
        source="order.status", help_text="The order's state after the payment."
    )
    escrow = EscrowSummarySerializer()


class PaymentStartedSerializer(serializers.Serializer):
    """A payment just made, and where the order stands."""

    payment = PaymentSerializer()
    order = OrderMoneyStateSerializer()


class PaymentStartSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=Payment.Purpose.choices,
        help_text="`deposit` first (when the contract has one), then `balance`; or `full`.",
    )
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    amount = money(
        "Optional: the amount you mean to pay. Refused unless it is exactly what is due; left "
        "out, what is due is paid. " + MINOR_UNITS,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_AMOUNT,
    )


class RefundSerializer(serializers.Serializer):
    amount = money(
        "Left out: everything held, and the order is refunded. Less than that once the goods "
        "are shipped: that part goes back to the buyer and the rest is released to the "
        "supplier. " + MINOR_UNITS,
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_AMOUNT,
    )
    reason = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="Why the buyer is refunded; both see it."
    )


# --- the caller's money -------------------------------------------------------------------------


class StatementLineSerializer(serializers.Serializer):
    """One line of the caller's statement: a posting on one of the caller's own accounts."""

    id = serializers.IntegerField(source="pk")
    date = serializers.DateTimeField(source="entry.created_at")
    kind = serializers.ChoiceField(choices=LedgerEntry.Kind.choices, source="entry.kind")
    description = serializers.CharField(source="entry.description")
    order_id = serializers.IntegerField(source="entry.order_id", allow_null=True)
    order_reference = serializers.SerializerMethodField()
    account_kind = serializers.ChoiceField(
        choices=LedgerAccount.Kind.choices,
        source="account.kind",
        help_text="buyer_funding: what you paid in (-) and got back (+); supplier_payable: your "
        "available balance; payouts: what went to your bank account.",
    )
    amount = money("Signed: + adds to that account, - takes from it. " + MINOR_UNITS)
    currency = serializers.CharField(help_text="ISO 4217 code.")

    def get_order_reference(self, posting) -> str | None:
        order = posting.entry.order
        return order.reference if order else None


class BalanceSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code.")
    available = money("Released to you and not paid out: you can ask for a payout. " + MINOR_UNITS)
    held = money("In escrow on your open orders. " + MINOR_UNITS)
    paid_out = money("Paid out to your bank account so far. " + MINOR_UNITS)


class PayoutSerializer(serializers.ModelSerializer):
    amount = money()
    status = StatusField(
        choices=Payout.Status.choices,
        help_text="requested, processing, paid; failed: the money is back in your available "
        "balance.",
        read_only=True,
    )

    reference = serializers.CharField(
        source="provider_reference",
        allow_null=True,
        read_only=True,
        help_text="The payment provider's reference for the transfer to your bank account.",
    )
    failure_reason = serializers.CharField(
        read_only=True, help_text="Why the bank refused a failed payout, when it said."
    )
    destination = serializers.CharField(
        read_only=True,
        help_text="The bank account it goes to, masked, with its holder, as it stood when the "
        "payout was asked for. Empty on payouts from before accounts were recorded.",
    )

    class Meta:
        model = Payout
        fields = [
            "id",
            "amount",
            "currency",
            "status",
            "reference",
            "destination",
            "failure_reason",
            "created_at",
            "updated_at",
        ]


class PayoutRequestSerializer(serializers.Serializer):
    amount = money(min_value=1, max_value=MAX_AMOUNT)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, help_text="ISO 4217 code.")


def masked_account():
    """A bank account's number as the API shows it again: masked (BankAccountDetails.masked)."""
    return serializers.CharField(
        source="masked",
        read_only=True,
        help_text="The IBAN or account number, masked: country and check digits of an IBAN "
        "and the last four characters.",
    )


class PayoutAccountSerializer(serializers.ModelSerializer):
    """The bank account payouts go to, as the supplier may see it again: the number masked."""

    account = masked_account()
    payouts_from = serializers.DateTimeField(
        read_only=True,
        help_text="Payouts to this account are possible from then on: at once for the first "
        "account, after PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS for a changed one.",
    )

    class Meta:
        model = PayoutAccount
        fields = [
            "account",
            "holder_name",
            "holder_check",
            "holder_refusal_reason",
            "country",
            "bic",
            "bank_name",
            "created_at",
            "payouts_from",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "holder_check": {
                "help_text": "`matches`: the holder is the supplier's company name; `waiting`: "
                "it is not, and payouts wait until Pactline staff have checked the account "
                "(409 until then); `approved`: checked; `refused`: staff found the holder is "
                "not the supplier (409 until the account is changed)."
            },
            "holder_refusal_reason": {"help_text": "Why staff refused the holder, if they did."},
        }


class RefundAccountSerializer(serializers.ModelSerializer):
    """A bank account the buyer gave for a refund that was not delivered, number masked."""

    account = masked_account()
    refund = serializers.IntegerField(source="refund_id", read_only=True)

    class Meta:
        model = RefundAccount
        fields = ["refund", "account", "holder_name", "country", "bic", "bank_name", "created_at"]
        read_only_fields = fields


class PayoutAccountSetSerializer(serializers.Serializer):
    """The details as typed; apps.escrow.bank checks them (400 with messages by field)."""

    holder_name = serializers.CharField(max_length=200, help_text="The name the account is in.")
    country = serializers.CharField(
        max_length=2, help_text="ISO 3166-1 alpha-2 code of the bank's country."
    )
    iban = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required where the bank's country uses IBANs; spaces allowed.",
    )
    account_number = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required where the bank's country has no IBANs.",
    )
    bic = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="BIC (SWIFT code): required with an account number; with an IBAN, looked up "
        "when left out.",
    )
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        help_text="The account's password, to confirm the change (400 on `password` if wrong).",
    )


class GoldPurchaseSerializer(serializers.ModelSerializer):
    """A year of Gold bought through the payment provider. Card is paid at once; a T/T stays
    `pending` until the money arrives (it may come in parts)."""

    reference = serializers.CharField(
        source="provider_reference", help_text="Quote it on a bank transfer."
    )
    amount = money("The price of a year of Gold. " + MINOR_UNITS)
    received_amount = money("Received so far. " + MINOR_UNITS)
    instructions = serializers.DictField(help_text="Bank details for a T/T. Empty for card.")
    status = StatusField(
        choices=GoldPurchase.Status.choices,
        help_text="pending: waiting for the money; paid: the year of Gold is added; failed.",
        read_only=True,
    )
    membership_starts_at = serializers.DateTimeField(
        source="membership.starts_at", read_only=True, allow_null=True, default=None
    )
    membership_ends_at = serializers.DateTimeField(
        source="membership.ends_at", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = GoldPurchase
        fields = [
            "id",
            "method",
            "status",
            "amount",
            "received_amount",
            "currency",
            "reference",
            "instructions",
            "membership_starts_at",
            "membership_ends_at",
            "created_at",
            "paid_at",
        ]


class GoldPurchaseStartSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=GoldPurchase.Method.choices,
        help_text="card: paid and added at once; tt: a bank transfer, added when it arrives.",
    )


# --- webhooks (documentation only: the body is read raw to check its signature) -----------------


class WebhookEventDataSerializer(serializers.Serializer):
    reference = serializers.CharField(
        help_text="The reference of the payment (or Gold purchase), or of the payout."
    )
    amount = money(
        "payment.transfer_received: the amount that arrived. " + MINOR_UNITS, required=False
    )
    reason = serializers.CharField(
        required=False, help_text="payout.failed: why the bank refused or returned the payout."
    )


class WebhookEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The provider's event id; a replay is a duplicate.")
    type = serializers.ChoiceField(
        choices=[
            "payment.transfer_received",
            "payment.succeeded",
            "payment.failed",
            "payout.processing",
            "payout.paid",
            "payout.failed",
        ],
        help_text="Other types are acknowledged and ignored. payout.failed after payout.paid "
        "is the bank sending the money back: it returns to the supplier's balance.",
    )
    data = WebhookEventDataSerializer()


class WebhookOutcomeSerializer(serializers.Serializer):
    status = StatusField(
        choices=["processed", "duplicate", "ignored"],
        help_text="duplicate: this event id was applied before and changed nothing now; "
        "ignored: not about a payment or payout we know, or a payout event that its status "
        "no longer allows (paid after failed).",
    )
