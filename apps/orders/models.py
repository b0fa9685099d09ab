"""Trade Assurance orders: the data the rest of Pactline reads (storefront figures, coverage).

The state list is the whole lifecycle of ARCHITECTURE.md; transitions and the services that run
them arrive with the orders issue. Every state change writes an OrderEvent, which is the order
timeline, the audit trail and the source of supplier metrics.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from apps.core.money import CURRENCY_CHOICES


class Order(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        DEPOSIT_PAID = "deposit_paid", _("Deposit paid")
        FUNDED = "funded", _("Funded")
        SHIPPED = "shipped", _("Shipped")
        DISPUTED = "disputed", _("Disputed")
        COMPLETED = "completed", _("Completed")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_as_buyer"
    )
    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_as_supplier"
    )
    status = FSMField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    total_amount = models.BigIntegerField(_("total (minor units)"), default=0)
    ship_by = models.DateTimeField(_("ship by"), null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["supplier", "status", "completed_at"]),
            models.Index(fields=["supplier", "ship_by"]),
            models.Index(fields=["buyer", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_amount__gte=0), name="orders_order_total_not_negative"
            ),
        ]

    def __str__(self):
        return f"PL-{self.pk:06d}" if self.pk else "PL-new"


class OrderEvent(models.Model):
    """One thing that happened to an order (Saleor-style). Never edited."""

    class Type(models.TextChoices):
        CREATED = "created", _("Order created")
        CONTRACT_EDITED = "contract_edited", _("Contract edited")
        CONFIRMED = "confirmed", _("Contract confirmed")
        CANCELLED = "cancelled", _("Order cancelled")
        DEPOSIT_PAID = "deposit_paid", _("Deposit paid")
        FUNDED = "funded", _("Balance paid")
        PRODUCTION_STARTED = "production_started", _("Production started")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivery recorded")
        RECEIPT_CONFIRMED = "receipt_confirmed", _("Receipt confirmed")
        COMPLETED = "completed", _("Completed, escrow released")
        REFUNDED = "refunded", _("Refunded")
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


class OrderMessage(models.Model):
    """A message between the buyer and the supplier on an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.order} message from {self.sender}"
