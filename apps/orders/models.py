"""Trade Assurance orders and their purchase contracts.

An order carries a contract in numbered, immutable versions. Both parties confirm the same
version; any edit makes a new version, which has no confirmations. Once money is paid the
contract is frozen. The order's state machine (django-fsm-2, protected) is the lifecycle of
ARCHITECTURE.md; transitions run only inside services (apps/orders/services.py, and the escrow
services for payments), and every one writes an OrderEvent: the timeline, the audit trail and
the source of supplier metrics.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.money import CURRENCY_CHOICES
from apps.core.uploads import DOCUMENT_KINDS, FileKindValidator, private_storage


class Order(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        DEPOSIT_PAID = "deposit_paid", _("Deposit paid")
        FUNDED = "funded", _("Funded")
        OVERDUE = "overdue", _("Overdue")
        SHIPPED = "shipped", _("Shipped")
        DISPUTED = "disputed", _("Disputed")
        COMPLETED = "completed", _("Completed")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    # Null while a draft waits for someone without an account: buyer_email says who.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders_as_buyer",
        null=True,
        blank=True,
    )
    buyer_email = models.EmailField(_("buyer's email"), blank=True)
    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_as_supplier"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # A copy of the current contract version's total, for lists and figures.
    total_amount = models.BigIntegerField(_("total (minor units)"), default=0)
    current_version = models.ForeignKey(
        "ContractVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Coverage, fixed at confirmation: in the order's currency and in US cents.
    covered_amount = models.BigIntegerField(_("covered by Trade Assurance"), default=0)
    covered_usd = models.BigIntegerField(default=0)
    ship_by = models.DateTimeField(_("ship by"), null=True, blank=True)
    # The clock's deadlines (apps/orders/clock.py). Each is read by a sweep through a partial
    # index, so finding what is due costs the due rows, not the table.
    ship_by_original = models.DateTimeField(null=True, blank=True)  # extensions are capped from it
    ship_by_reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField(_("buyer decides by"), null=True, blank=True)
    pay_by = models.DateTimeField(_("pay the deposit by"), null=True, blank=True)
    release_due_at = models.DateTimeField(_("inspection ends"), null=True, blank=True)
    release_reminded_at = models.DateTimeField(null=True, blank=True)
    receipt_extended_by_buyer = models.BooleanField(default=False)
    receipt_extended_by_supplier = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    deposit_paid_at = models.DateTimeField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    production_started_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["supplier", "status", "completed_at"]),
            models.Index(fields=["supplier", "ship_by"]),
            models.Index(fields=["buyer", "-created_at"]),
            models.Index(
                fields=["ship_by"],
                name="orders_ship_by_reminder_due",
                condition=models.Q(
                    status__in=["deposit_paid", "funded"], ship_by_reminded_at__isnull=True
                ),
            ),
            models.Index(
                fields=["ship_by"], name="orders_overdue_due", condition=models.Q(status="funded")
            ),
            models.Index(
                fields=["decision_due_at"],
                name="orders_decision_due",
                condition=models.Q(status="overdue"),
            ),
            models.Index(
                fields=["release_due_at"],
                name="orders_release_due",
                condition=models.Q(status="shipped"),
            ),
            models.Index(
                fields=["pay_by"], name="orders_unpaid_due", condition=models.Q(status="confirmed")
            ),
            models.Index(fields=["supplier", "-created_at"]),
            models.Index(
                fields=["buyer_email"],
                condition=models.Q(buyer__isnull=True),
                name="orders_waiting_for_signup",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_amount__gte=0), name="orders_order_total_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(buyer__isnull=False) | models.Q(status="draft"),
                name="orders_order_buyer_once_past_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(covered_amount__gte=0)
                & models.Q(covered_amount__lte=models.F("total_amount")),
                name="orders_order_covered_within_total",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        return f"PL-{self.pk:06d}" if self.pk else "PL-new"

    def party(self, user):
        """'buyer', 'supplier' or None: how `user` takes part in this order."""
        if user.pk == self.supplier_id:
            return "supplier"
        if self.buyer_id is not None and user.pk == self.buyer_id:
            return "buyer"
        return None

    @property
    def ship_by_latest(self):
        """The furthest the buyer's extensions may push the ship-by date."""
        if self.ship_by_original is None:
            return None
        return self.ship_by_original + dt.timedelta(
            days=settings.PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS
        )

    @property
    def is_paid_into(self):
        """Money has been paid: the contract is frozen from here on."""
        return self.status not in (self.Status.DRAFT, self.Status.CONFIRMED, self.Status.CANCELLED)

    # --- transitions: state only; services around them lock, check, move money, write events.

    @transition(status, source=Status.DRAFT, target=Status.CONFIRMED)
    def confirm(self):
        pass

    @transition(status, source=Status.CONFIRMED, target=Status.DRAFT)
    def reopen(self):
        """An edit after both confirmed: the new version needs confirming again."""

    @transition(status, source=[Status.DRAFT, Status.CONFIRMED], target=Status.CANCELLED)
    def cancel(self):
        pass

    @transition(status, source=Status.CONFIRMED, target=Status.DEPOSIT_PAID)
    def pay_deposit(self):
        pass

    @transition(status, source=[Status.CONFIRMED, Status.DEPOSIT_PAID], target=Status.FUNDED)
    def pay_balance(self):
        """The rest arrived (or everything at once): the order is funded in full."""

    @transition(status, source=Status.FUNDED, target=Status.SHIPPED)
    def ship(self):
        pass

    @transition(status, source=Status.FUNDED, target=Status.OVERDUE)
    def mark_overdue(self):
        """Ship-by passed with nothing shipped: the buyer decides (refund or extension)."""

    @transition(status, source=Status.OVERDUE, target=Status.FUNDED)
    def extend_overdue(self):
        """The buyer granted an overdue order more time: it waits for shipment again."""

    @transition(status, source=Status.CONFIRMED, target=Status.CANCELLED)
    def expire(self):
        """No deposit arrived in time."""

    @transition(status, source=Status.SHIPPED, target=Status.COMPLETED)
    def complete(self):
        pass

    @transition(status, source=[Status.FUNDED, Status.SHIPPED], target=Status.DISPUTED)
    def open_dispute(self):
        pass

    @transition(status, source=Status.DISPUTED, target=Status.FUNDED)
    def resume_after_dispute(self):
        """A claim on an order not shipped yet ended without a refund: the escrow stays held
        and the supplier still owes the shipment (the ship-by clock runs again)."""

    @transition(status, source=Status.DISPUTED, target=Status.COMPLETED)
    def settle_dispute(self):
        """A dispute decided or settled with the (remaining) escrow released."""

    @transition(
        status,
        source=[
            Status.DEPOSIT_PAID,
            Status.FUNDED,
            Status.OVERDUE,
            Status.SHIPPED,
            Status.DISPUTED,
        ],
        target=Status.REFUNDED,
    )
    def refund(self):
        pass


class ContractVersion(models.Model):
    """One version of an order's purchase contract. Never edited: an edit is a new version."""

    class ShippingMethod(models.TextChoices):
        SEA = "sea", _("Sea freight")
        AIR = "air", _("Air freight")
        EXPRESS = "express", _("Express courier")
        RAIL = "rail", _("Rail freight")
        ROAD = "road", _("Road freight")

    class Incoterm(models.TextChoices):
        EXW = "EXW", _("EXW – Ex Works")
        FCA = "FCA", _("FCA – Free Carrier")
        FOB = "FOB", _("FOB – Free On Board")
        CFR = "CFR", _("CFR – Cost and Freight")
        CIF = "CIF", _("CIF – Cost, Insurance and Freight")
        CPT = "CPT", _("CPT – Carriage Paid To")
        CIP = "CIP", _("CIP – Carriage and Insurance Paid To")
        DAP = "DAP", _("DAP – Delivered At Place")
        DDP = "DDP", _("DDP – Delivered Duty Paid")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    total_amount = models.BigIntegerField(_("total"))
    quality_standard = models.TextField(
        _("quality standard"),
        help_text=_("Measurable: tolerances, defect rate allowed, test method, standard met."),
    )
    inspection_booked = models.BooleanField(_("third-party inspection booked"), default=False)
    ship_by_date = models.DateField(_("ship by (date)"), null=True, blank=True)
    ship_within_days = models.PositiveSmallIntegerField(
        _("ship within (days after the deposit)"), null=True, blank=True
    )
    shipping_method = models.CharField(
        _("shipping method"), max_length=16, choices=ShippingMethod.choices
    )
    incoterm = models.CharField(_("Incoterm"), max_length=3, choices=Incoterm.choices)
    shipping_address = models.TextField(_("ship to"))
    deposit_percent = models.PositiveSmallIntegerField(_("deposit (%)"))
    remarks = models.TextField(_("remarks"), blank=True)
    proforma_invoice = models.FileField(
        _("proforma invoice"),
        storage=private_storage,
        upload_to="orders/proforma/",
        validators=[FileKindValidator(("pdf",))],
        blank=True,
        max_length=255,
    )

    class Meta:
        ordering = ["order", "number"]
        verbose_name = _("contract version")
        verbose_name_plural = _("contract versions")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "number"], name="orders_version_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_percent__lte=100), name="orders_version_deposit_percent"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(ship_by_date__isnull=False, ship_within_days__isnull=True)
                    | models.Q(ship_by_date__isnull=True, ship_within_days__isnull=False)
                ),
                name="orders_version_one_ship_by_rule",
            ),
            models.CheckConstraint(
                condition=models.Q(total_amount__gte=0), name="orders_version_total_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.order} v{self.number}"

    @property
    def deposit_amount(self):
        """The deposit in minor units, rounded up so that deposit + balance = total exactly."""
        return -(-self.total_amount * self.deposit_percent // 100)

    @property
    def balance_amount(self):
        return self.total_amount - self.deposit_amount


class ContractLine(models.Model):
    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The product's title when the line was written: the contract keeps it if the listing changes.
    product_title = models.CharField(_("product"), max_length=200)
    specification = models.TextField(_("agreed specification"))
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price"))

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="orders_line_quantity"
            ),
            models.CheckConstraint(condition=models.Q(unit_price__gte=0), name="orders_line_price"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_title}"

    @property
    def line_total(self):
        return self.quantity * self.unit_price


class ContractConfirmation(models.Model):
    """A party's confirmation of one exact contract version."""

    class Party(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        SUPPLIER = "supplier", _("Supplier")

    version = models.ForeignKey(
        ContractVersion, on_delete=models.CASCADE, related_name="confirmations"
    )
    party = models.CharField(max_length=8, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "party"], name="orders_one_confirmation_per_party"
            )
        ]

    def __str__(self):
        return f"{self.version} confirmed by {self.party}"


class ShippingDocument(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipping_documents")
    file = models.FileField(
        _("document"),
        storage=private_storage,
        upload_to="orders/shipping/",
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        max_length=255,
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.description or self.file.name


class OrderEvent(models.Model):
    """One thing that happened to an order (Saleor-style). Never edited."""

    class Type(models.TextChoices):
        CREATED = "created", _("Order created")
        INVITED = "invited", _("Buyer invited to sign up")
        CONTRACT_EDITED = "contract_edited", _("Contract edited")
        CHANGE_REQUESTED = "change_requested", _("Change requested")
        CONTRACT_CONFIRMED_BY_PARTY = "party_confirmed", _("Contract version confirmed")
        CONFIRMED = "confirmed", _("Contract confirmed by both parties")
        CANCELLED = "cancelled", _("Order cancelled")
        DEPOSIT_PAID = "deposit_paid", _("Deposit paid")
        FUNDED = "funded", _("Balance paid")
        PRODUCTION_STARTED = "production_started", _("Production started")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivery recorded")
        RECEIPT_CONFIRMED = "receipt_confirmed", _("Receipt confirmed")
        COMPLETED = "completed", _("Completed, escrow released")
        REFUNDED = "refunded", _("Refunded")
        SHIP_BY_REMINDED = "ship_by_reminded", _("Supplier reminded of the ship-by date")
        SHIP_BY_EXTENDED = "ship_by_extended", _("Ship-by date extended")
        SHIP_BY_MOVED = "ship_by_moved", _("Ship-by date moved: balance paid late")
        OVERDUE = "overdue", _("Shipment overdue")
        RECEIPT_EXTENDED = "receipt_extended", _("Receiving time extended")
        RELEASE_REMINDED = "release_reminded", _("Buyer reminded: the inspection period ends soon")
        EXPIRED = "expired", _("Expired: no deposit paid")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["type", "created_at"])]

    def __str__(self):
        return f"{self.order} {self.type}"


def message_attachment_upload_to(instance, filename):
    return f"orders/messages/{instance.order_id}/{filename}"


class OrderMessage(models.Model):
    """A message between the buyer and the supplier on an order."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        CHANGE_REQUEST = "change_request", _("Change request")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    body = models.TextField(_("message"))
    attachment = models.FileField(
        _("attachment"),
        storage=private_storage,
        upload_to=message_attachment_upload_to,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        blank=True,
        max_length=255,
    )
    # Looks like an attempt to take payment off the platform: the buyer is warned.
    payment_warning = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order} message from {self.sender}"
