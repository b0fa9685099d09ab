"""The double-entry ledger, payments, webhooks and payouts.

Money moves only as ledger entries: one business event, a unique idempotency key, and postings
that sum to zero per currency (checked by the service and, on PostgreSQL, by a deferred
constraint trigger). Ledger rows are never updated or deleted; a correction is a new entry.
Account balances are cached on the account and change in the same transaction as the postings;
an order's escrow account may never go below zero (a database check).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.crypto import EncryptedTextField, digest
from apps.core.money import CURRENCY_CHOICES


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        BUYER_FUNDING = "buyer_funding", _("Buyer funding (external)")
        ESCROW = "escrow", _("Order escrow")
        SUPPLIER_PAYABLE = "supplier_payable", _("Supplier payable")
        SUPPLIER_RECEIVABLE = "supplier_receivable", _("Supplier receivable")
        PLATFORM_COVERAGE = "platform_coverage", _("Platform coverage")
        PAYOUTS = "payouts", _("Payouts (external)")
        SUPPLIER_FUNDING = "supplier_funding", _("Supplier funding (external)")
        PLATFORM_REVENUE = "platform_revenue", _("Platform revenue (membership fees)")
        # Money a buyer is owed back that its bank or card did not take: Pactline holds it
        # until staff send it again.
        REFUND_OWED = "refund_owed", _("Refunds owed to the buyer")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The sum of this account's postings, kept in the same transaction as they are written.
    balance = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            # One account per owner and currency: an order's, a user's, or Pactline's own.
            models.UniqueConstraint(
                fields=["kind", "currency", "order"],
                condition=Q(order__isnull=False, user__isnull=True),
                name="escrow_account_unique_per_order",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "user"],
                condition=Q(user__isnull=False, order__isnull=True),
                name="escrow_account_unique_per_user",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(user__isnull=True, order__isnull=True),
                name="escrow_account_unique_platform",
            ),
            models.CheckConstraint(
                condition=~Q(kind="escrow") | Q(balance__gte=0),
                name="escrow_order_escrow_never_negative",
            ),
        ]

    def __str__(self):
        owner = self.order or self.user or "Pactline"
        return f"{self.get_kind_display()} · {owner} · {self.currency}"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment into escrow")
        RELEASE = "release", _("Release to supplier")
        REFUND = "refund", _("Refund to buyer")
        SETTLEMENT = "settlement", _("Partial refund, rest released")
        OVERPAYMENT_RETURN = "overpayment_return", _("Overpayment returned")
        PAYOUT = "payout", _("Payout to supplier")
        PAYOUT_REVERSAL = "payout_reversal", _("Failed payout returned")
        COVERAGE_CLAIM = "coverage_claim", _("Claim paid from Trade Assurance coverage")
        RECEIVABLE = "receivable", _("Owed back by the supplier for a covered claim")
        NETTING = "netting", _("Amount owed taken from the balance")
        MEMBERSHIP = "membership", _("Gold membership fee")
        REFUND_FAILED = "refund_failed", _("Refund not delivered, held for the buyer")
        REFUND_RETRY = "refund_retry", _("Refund sent again")

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    description = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self):
        return f"{self.get_kind_display()} {self.idempotency_key}"


class LedgerPosting(models.Model):
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()  # minor units; + increases the account's balance
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)

    class Meta:
        ordering = ["entry", "pk"]
        indexes = [models.Index(fields=["account", "entry"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="escrow_posting_not_zero"),
        ]

    def __str__(self):
        return f"{self.account}: {self.amount}"


class Payment(FSMModelMixin, models.Model):
    """A payment the buyer makes into the order's escrow, through the payment provider."""

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        BALANCE = "balance", _("Balance")
        FULL = "full", _("Full amount")

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        TT = "tt", _("Bank transfer (T/T)")
        ECHECK = "echeck", _("e-Check")
        BOLETO = "boleto", _("Boleto")
        PAY_LATER = "pay_later", _("Pay Later")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the money")
        CONFIRMED = "confirmed", _("Received")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    amount = models.BigIntegerField()
    received_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = FSMField(max_length=10, choices=Status.choices, default=Status.PENDING, protected=True)
    provider = models.CharField(max_length=32, default="sandbox")
    provider_reference = models.CharField(max_length=64, unique=True)
    instructions = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_payment_positive"),
            models.CheckConstraint(
                condition=Q(received_amount__gte=0) & Q(received_amount__lte=models.F("amount")),
                name="escrow_payment_received_within_amount",
            ),
            models.UniqueConstraint(
                fields=["order", "purpose"],
                condition=Q(status="pending"),
                name="escrow_one_pending_payment_per_purpose",
            ),
        ]

    def __str__(self):
        return f"{self.provider_reference} {self.get_purpose_display()} {self.amount}"

    @transition(status, source=Status.PENDING, target=Status.CONFIRMED)
    def confirm(self):
        pass

    @transition(status, source=Status.PENDING, target=Status.FAILED)
    def fail(self):
        pass


class WebhookEvent(models.Model):
    """A provider notification, kept once by its event id: a replay changes nothing."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="escrow_webhook_once")
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"


class BankAccountDetails(models.Model):
    """A bank account as Pactline keeps it (apps.escrow.bank checks it): one of an IBAN, where
    the bank's country has them, or the national account number with the bank's BIC."""

    holder_name = models.CharField(_("account holder"), max_length=140)
    country = models.CharField(_("bank country"), max_length=2)
    # Both compact and upper case, and stored encrypted (apps/core/crypto.py): a copy of the
    # database does not give them away.
    iban = EncryptedTextField("IBAN", blank=True)
    account_number = EncryptedTextField(_("account number"), blank=True)
    # The number's keyed digest: staff find an account by its number, and the same account
    # given by another user is found, while the number itself stays unreadable.
    number_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    bic = models.CharField(_("BIC (SWIFT code)"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=140, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self):
        """The masked number and the holder: what a transfer keeps as its destination."""
        return f"{self.masked} \u00b7 {self.holder_name}"

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is None:
            self.number_digest = self.digests_now()["number_digest"]
        super().save(*args, **kwargs)

    @property
    def country_name(self):
        return countries.name(self.country) or self.country

    @property
    def masked(self):
        """The number as pages, emails and statements show it: enough to recognise, too little
        to use. An IBAN keeps its country, check digits and last four; a number its last four."""
        if self.iban:
            return f"{self.iban[:4]} \u2022\u2022\u2022\u2022 {self.iban[-4:]}"
        return f"\u2022\u2022\u2022\u2022 {self.account_number[-4:]}"

    def digests_now(self):
        """The digest fields as the first data key writes them (also manage.py
        data_keys_rotate's)."""
        return {"number_digest": digest(self.number)}

    @property
    def number(self):
        """The IBAN, or the account number where there is none."""
        return self.iban or self.account_number


IBAN_OR_NUMBER_WITH_BIC = (Q(iban="") & ~Q(account_number="") & ~Q(bic="")) | (
    ~Q(iban="") & Q(account_number="")
)


class PayoutAccount(BankAccountDetails):
    """The bank account a supplier's payouts go to. A row's details are never edited: a change
    writes a new row and marks the one before it replaced, so every payout's destination stays
    on record (the row records only that, and the staff check of its holder). After a change
    (not the first account) payouts wait until `payouts_from`, so that whoever took over a login
    cannot have the balance sent to an account of theirs before the supplier has read the email
    about it; an account not in the company's name waits for staff to check its holder."""

    class HolderCheck(models.TextChoices):
        MATCHES = "matches", _("The holder is the company")
        WAITING = "waiting", _("Waiting for Pactline to check the holder")
        APPROVED = "approved", _("Holder checked by Pactline")
        REFUSED = "refused", _("Holder refused by Pactline")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_accounts"
    )
    payouts_from = models.DateTimeField()
    replaced_at = models.DateTimeField(null=True, blank=True)
    # Payouts go to the company's own account: a holder that is not the supplier's company name
    # (apps.escrow.bank.holder_is_company) waits until staff have checked it. Approved without
    # a name: an account set before the check existed.
    holder_check = models.CharField(
        _("holder check"), max_length=8, choices=HolderCheck.choices, default=HolderCheck.WAITING
    )
    holder_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holder checked by"),
    )
    holder_checked_at = models.DateTimeField(_("holder checked at"), null=True, blank=True)
    holder_refusal_reason = models.CharField(
        _("why the holder was refused"), max_length=300, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payout bank account")
        verbose_name_plural = _("payout bank accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"],
                condition=Q(replaced_at__isnull=True),
                name="escrow_one_current_payout_account",
            ),
            models.CheckConstraint(
                condition=IBAN_OR_NUMBER_WITH_BIC,
                name="escrow_payout_account_iban_or_number_with_bic",
            ),
        ]

    @property
    def holder_waiting(self):
        """Payouts wait for staff to check that the holder is the supplier."""
        return self.holder_check == self.HolderCheck.WAITING

    @property
    def holder_refused(self):
        """Staff found the holder is not the supplier: no payouts until the account is changed."""
        return self.holder_check == self.HolderCheck.REFUSED


class Payout(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROCESSING = "processing", _("Processing")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed, money returned to your balance")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = FSMField(
        max_length=12, choices=Status.choices, default=Status.REQUESTED, protected=True
    )
    # The provider's transfer to the supplier's bank; its webhooks name it. Payouts made before
    # they went through the provider have none, and only staff move them on.
    provider = models.CharField(max_length=32, default="sandbox")
    provider_reference = models.CharField(max_length=64, unique=True, null=True, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    # Where it went, as the supplier's account stood when the payout was asked for (that row is
    # never edited); `destination` is its masked number and holder, kept with the payout.
    # Payouts made before accounts were recorded have neither.
    account = models.ForeignKey(
        PayoutAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="payouts"
    )
    destination = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Until the bank answers: when staff are next asked to chase the provider for it (the
    # clock's escrow.payout_chase, every PACTLINE_PAYOUT_CHASE_DAYS).
    chase_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_payout_positive")
        ]
        indexes = [
            models.Index(
                fields=["chase_at"],
                condition=Q(status__in=["requested", "processing"]),
                name="escrow_payout_chase_due",
            )
        ]

    def __str__(self):
        return f"Payout {self.pk} {self.amount} {self.currency}"

    @transition(status, source=Status.REQUESTED, target=Status.PROCESSING)
    def process(self):
        pass

    @transition(status, source=[Status.REQUESTED, Status.PROCESSING], target=Status.PAID)
    def mark_paid(self):
        pass

    @transition(status, source=[Status.REQUESTED, Status.PROCESSING], target=Status.FAILED)
    def mark_failed(self):
        pass

    @transition(status, source=Status.PAID, target=Status.FAILED)
    def mark_returned(self):
        """The bank sent a paid payout back (the provider says so days later)."""


class Refund(FSMModelMixin, models.Model):
    """Money going back to a buyer through the payment provider, to the payment it came from:
    a refund, a settlement's refunded part, an overpayment or a claim paid from coverage. Every
    ledger entry that credits a buyer's funding account sends its amount as one refund per
    payment it returns (the newest payments first). A card or Pay Later refund is done at once;
    a bank transfer is processing until the provider's webhook says the bank took it or refused
    it. Refused, the money comes back onto the books as owed to the buyer, and staff send it
    again (a new refund, `retry_of` the failed one)."""

    class Status(models.TextChoices):
        PROCESSING = "processing", _("On its way")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", _("Not delivered")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="refunds")
    retry_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="retry"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    method = models.CharField(max_length=10, choices=Payment.Method.choices)
    status = FSMField(
        max_length=12, choices=Status.choices, default=Status.PROCESSING, protected=True
    )
    provider = models.CharField(max_length=32, default="sandbox")
    provider_reference = models.CharField(max_length=64, unique=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    # A refund sent again to a bank account the buyer gave (RefundAccount, by bank transfer)
    # instead of back to the payment; `destination` is its masked number and holder.
    account = models.ForeignKey(
        "RefundAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    refunded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # While a transfer back is on its way, or refused and not yet sent again: when staff are
    # next reminded (the clock's escrow.refund_chase, every PACTLINE_REFUND_CHASE_DAYS).
    chase_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_refund_positive"),
        ]
        indexes = [
            models.Index(
                fields=["chase_at"],
                condition=Q(status__in=["processing", "failed"]),
                name="escrow_refund_chase_due",
            )
        ]

    def __str__(self):
        return f"{self.provider_reference} {self.amount} {self.currency}"

    @transition(status, source=Status.PROCESSING, target=Status.REFUNDED)
    def mark_refunded(self):
        pass

    @transition(status, source=[Status.PROCESSING, Status.REFUNDED], target=Status.FAILED)
    def mark_failed(self):
        """Refused by the bank; from refunded, the bank sent it back days later."""


class RefundAccount(BankAccountDetails):
    """A bank account the buyer gives for a refund its bank or card did not take (confirmed
    with its password): staff send that refund again there, by bank transfer. A row is never
    edited; giving other details writes a new row and marks this one replaced."""

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="accounts")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refund_accounts"
    )
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("refund bank account")
        verbose_name_plural = _("refund bank accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["refund"],
                condition=Q(replaced_at__isnull=True),
                name="escrow_one_current_refund_account",
            ),
            models.CheckConstraint(
                condition=IBAN_OR_NUMBER_WITH_BIC,
                name="escrow_refund_account_iban_or_number_with_bic",
            ),
        ]


class GoldPurchase(FSMModelMixin, models.Model):
    """A year of Gold membership a supplier buys through the payment provider. Card is captured
    at once; a bank transfer waits for the provider's webhook and may arrive in parts. Paid in
    full, it adds the year (apps.suppliers' GoldMembership, linked here) in the same
    transaction as the ledger entry."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        TT = "tt", _("Bank transfer (T/T)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the money")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gold_purchases"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    amount = models.BigIntegerField()
    received_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = FSMField(max_length=10, choices=Status.choices, default=Status.PENDING, protected=True)
    provider = models.CharField(max_length=32, default="sandbox")
    provider_reference = models.CharField(max_length=64, unique=True)
    instructions = models.JSONField(default=dict, blank=True)
    membership = models.OneToOneField(
        "suppliers.GoldMembership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchase",
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("Gold purchase")
        verbose_name_plural = _("Gold purchases")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_gold_purchase_positive"),
            models.CheckConstraint(
                condition=Q(received_amount__gte=0) & Q(received_amount__lte=models.F("amount")),
                name="escrow_gold_purchase_received_within_amount",
            ),
            models.UniqueConstraint(
                fields=["supplier"],
                condition=Q(status="pending"),
                name="escrow_one_pending_gold_purchase",
            ),
        ]

    def __str__(self):
        return f"{self.provider_reference} Gold {self.amount} {self.currency}"

    @transition(status, source=Status.PENDING, target=Status.PAID)
    def pay(self):
        pass

    @transition(status, source=Status.PENDING, target=Status.FAILED)
    def fail(self):
        pass

    @transition(status, source=Status.PENDING, target=Status.CANCELLED)
    def cancel(self):
        """The supplier dropped a transfer it had not made."""


class IdempotencyRecord(models.Model):
    """The first response to a money-moving API call with an Idempotency-Key (Stripe's rules)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="escrow_idempotency_key_once")
        ]

    def __str__(self):
        return self.key
