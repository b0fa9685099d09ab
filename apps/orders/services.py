"""Every change to an order. Each entry point runs in one transaction, locks the order row
(select_for_update) before it reads the state, checks who acts, runs the transition, writes the
OrderEvent and notifies the other party through the outbox, so a step either happens whole or
not at all. Payment steps are the escrow services'; they use `apply_transition` and the same
event and notification helpers."""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.notifications import notification_send
from apps.core.money import CURRENCIES, from_usd_minor, to_usd_minor
from apps.core.sql import row_get
from apps.orders import events
from apps.orders.exceptions import (
    ContractLocked,
    InvalidContract,
    NotAParty,
    OutOfTurn,
    StaleVersion,
    SupplierNotEligible,
    WrongParty,
)
from apps.orders.models import (
    ContractConfirmation,
    ContractLine,
    ContractVersion,
    Order,
    OrderEvent,
    OrderMessage,
    ShippingDocument,
)
from apps.orders.selectors import order_has_money_in
from apps.suppliers.models import SupplierProfile

Status = Order.Status

# --- contract input -------------------------------------------------------------------------


@dataclass
class LineInput:
    product_title: str
    specification: str
    quantity: int
    unit_price: int  # minor units of the contract's currency
    product: object = None  # a catalog Product, when the line is one


@dataclass
class ContractTerms:
    lines: list
    currency: str
    quality_standard: str
    shipping_method: str
    incoterm: str
    shipping_address: str
    deposit_percent: int
    inspection_booked: bool = False
    ship_by_date: dt.date | None = None
    ship_within_days: int | None = None
    remarks: str = ""
    proforma_invoice: object = None  # an uploaded PDF; None keeps the previous version's
    errors: dict = field(default_factory=dict, repr=False)


COMPARED_FIELDS = [
    "currency",
    "quality_standard",
    "inspection_booked",
    "ship_by_date",
    "ship_within_days",
    "shipping_method",
    "incoterm",
    "shipping_address",
    "deposit_percent",
    "remarks",
]


def _terms_check(terms: ContractTerms, *, supplier):
    """Every rule of a contract; raises InvalidContract listing each broken one by field."""
    errors = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if terms.currency not in CURRENCIES:
        add("currency", _("Choose a currency."))
    if not terms.lines:
        add("lines", _("A contract needs at least one product line."))
    for n, line in enumerate(terms.lines, start=1):
        if not line.product_title.strip():
            add("lines", _("Line %(n)s: name the product.") % {"n": n})
        if not line.specification.strip():
            add("lines", _("Line %(n)s: write the agreed specification.") % {"n": n})
        if line.quantity is None or line.quantity < 1:
            add("lines", _("Line %(n)s: the quantity must be at least 1.") % {"n": n})
        if line.unit_price is None or line.unit_price < 0:
            add("lines", _("Line %(n)s: the unit price cannot be negative.") % {"n": n})
        product = line.product
        if product is not None:
            if product.supplier_id != supplier.pk:
                add("lines", _("Line %(n)s: the product is not this supplier's.") % {"n": n})
            elif line.quantity is not None and line.quantity < product.moq:
                add(
                    "lines",
                    _("Line %(n)s: the minimum order quantity is %(moq)s.")
                    % {"n": n, "moq": product.moq},
                )
            if product.currency != terms.currency:
                add(
                    "lines",
                    _("Line %(n)s: the product is priced in %(currency)s.")
                    % {"n": n, "currency": product.currency},
                )
    if not terms.quality_standard.strip():
        add("quality_standard", _("Write a measurable quality standard."))
    if (terms.ship_by_date is None) == (terms.ship_within_days is None):
        add("ship_by_date", _("Give either a ship-by date or a number of days after the deposit."))
    today = timezone.localdate()
    if terms.ship_by_date is not None and terms.ship_by_date < today:
        add("ship_by_date", _("The ship-by date has passed."))
    latest = today + dt.timedelta(days=settings.PACTLINE_ORDER_MAX_SHIP_BY_DAYS)
    if terms.ship_by_date is not None and terms.ship_by_date > latest:
        add(
            "ship_by_date",
            _("Choose a ship-by date within %(days)s days.")
            % {"days": settings.PACTLINE_ORDER_MAX_SHIP_BY_DAYS},
        )
    if terms.ship_within_days is not None and not 1 <= terms.ship_within_days <= 365:
        add("ship_within_days", _("Choose between 1 and 365 days."))
    if terms.shipping_method not in ContractVersion.ShippingMethod.values:
        add("shipping_method", _("Choose a shipping method."))
    if terms.incoterm not in ContractVersion.Incoterm.values:
        add("incoterm", _("Choose an Incoterm."))
    if not terms.shipping_address.strip():
        add("shipping_address", _("Give the address to ship to."))
    if terms.deposit_percent is None or not 0 <= terms.deposit_percent <= 100:
        add("deposit_percent", _("The deposit is a percentage from 0 to 100."))
    if terms.proforma_invoice:
        try:
            ContractVersion._meta.get_field("proforma_invoice").run_validators(
                terms.proforma_invoice
            )
        except ValidationError as exc:
            errors.setdefault("proforma_invoice", []).extend(exc.messages)
    if errors:
        raise InvalidContract(errors=errors)


def _version_create(order, terms, acting_user, *, previous=None) -> ContractVersion:
    version = ContractVersion(
        order=order,
        number=(previous.number + 1) if previous else 1,
        created_by=acting_user,
        currency=terms.currency,
        total_amount=sum(line.quantity * line.unit_price for line in terms.lines),
        quality_standard=terms.quality_standard.strip(),
        inspection_booked=terms.inspection_booked,
        ship_by_date=terms.ship_by_date,
        ship_within_days=terms.ship_within_days,
        shipping_method=terms.shipping_method,
        incoterm=terms.incoterm,
        shipping_address=terms.shipping_address.strip(),
        deposit_percent=terms.deposit_percent,
        remarks=terms.remarks.strip(),
    )
    if terms.proforma_invoice:
        version.proforma_invoice = terms.proforma_invoice
    elif previous is not None and previous.proforma_invoice:
        version.proforma_invoice = previous.proforma_invoice.name
    version.save()
    ContractLine.objects.bulk_create(
        ContractLine(
            version=version,
            position=n,
            product=line.product,
            product_title=line.product_title.strip(),
            specification=line.specification.strip(),
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for n, line in enumerate(terms.lines, start=1)
    )
    order.current_version = version
    order.currency = version.currency
    order.total_amount = version.total_amount
    return version


# --- shared helpers -------------------------------------------------------------------------


def _locked(order) -> Order:
    """The order row afresh, locked until the transaction ends."""
    locked = row_get(Order, '"id" = %s', [order.pk], for_update=True)
    if locked is None:
        raise Order.DoesNotExist(f"order {order.pk} is gone")
    return locked


def _party(order, user, *, allowed=("buyer", "supplier")):
    party = order.party(user)
    if party is None:
        raise NotAParty
    if party not in allowed:
        raise WrongParty
    return party


def _require_status(order, *statuses, message=None):
    if order.status not in statuses:
        raise OutOfTurn(
            message
            or _("This order is %(status)s; that step is not possible now.")
            % {"status": order.get_status_display().lower()}
        )


def supplier_is_eligible(supplier, at=None):
    profile = SupplierProfile.objects.filter(user=supplier).first()
    return profile is not None and profile.is_trade_assurance_eligible(at)


def apply_transition(order, transition, *, acting_user, event_type, now, parameters=None):
    """Runs `transition` (a method name of Order) and writes its event. The caller holds the
    order row lock and saves the order."""
    from_status = order.status
    getattr(order, transition)()
    return events.order_event_write(
        order=order,
        type=event_type,
        user=acting_user,
        from_status=from_status,
        to_status=order.status,
        parameters=parameters,
        at=now,
    )


def notify(order, recipient, kind, *, context=None, template="orders/email/order_update"):
    """Tells `recipient` about a step on the order, in its own language, after commit."""
    if recipient is None:
        return None
    return notification_send(
        user=recipient,
        kind=f"order_{kind}",
        template=template,
        context={"order": order, "kind": kind, **(context or {})},
        link=reverse("order_detail", args=[order.pk]),
    )


def _other_party(order, acting_user):
    return order.buyer if acting_user.pk == order.supplier_id else order.supplier


# --- starting an order ----------------------------------------------------------------------


@transaction.atomic
def order_start(*, buyer, terms: ContractTerms, now=None) -> Order:
    """A buyer starts a Trade Assurance order from products of one supplier (the lines'
    products). The draft waits for the supplier to review, edit or confirm."""
    now = now or timezone.now()
    if buyer.role != User.Role.BUYER:
        raise WrongParty(_("Only buyer accounts can start an order."))
    products = [line.product for line in terms.lines if line.product is not None]
    if not products or len(products) != len(terms.lines):
        raise InvalidContract(errors={"lines": [_("Start an order from a product.")]})
    supplier = products[0].supplier
    if any(p.supplier_id != supplier.pk for p in products):
        raise InvalidContract(errors={"lines": [_("One order has one supplier.")]})
    if any(not p.is_active for p in products):
        raise InvalidContract(errors={"lines": [_("This product is no longer offered.")]})
    if not supplier_is_eligible(supplier, now):
        raise SupplierNotEligible
    _terms_check(terms, supplier=supplier)
    order = Order.objects.create(
        buyer=buyer, supplier=supplier, created_by=buyer, currency=terms.currency
    )
    _version_create(order, terms, buyer)
    order.save()
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.CREATED,
        user=buyer,
        to_status=order.status,
        parameters={"version": 1},
        at=now,
    )
    notify(order, supplier, "created_by_buyer")
    return order


@transaction.atomic
def order_draft_for_buyer(*, supplier, buyer_email, terms: ContractTerms, now=None) -> Order:
    """A supplier drafts a Trade Assurance order for a buyer by email. A buyer with an account
    finds it in the portal; anyone else is invited to sign up and finds it waiting after
    verifying that email address."""
    now = now or timezone.now()
    if supplier.role != User.Role.SUPPLIER:
        raise WrongParty(_("Only supplier accounts can draft an order for a buyer."))
    if not supplier_is_eligible(supplier, now):
        raise SupplierNotEligible
    email = buyer_email.strip().lower()
    account = User.objects.filter(email__iexact=email, is_active=True).first()
    if account is not None and account.role != User.Role.BUYER:
        raise InvalidContract(
            errors={"buyer_email": [_("This address belongs to an account that cannot buy.")]}
        )
    _terms_check(terms, supplier=supplier)
    order = Order.objects.create(
        buyer=account,
        buyer_email=email,
        supplier=supplier,
        created_by=supplier,
        currency=terms.currency,
    )
    _version_create(order, terms, supplier)
    order.save()
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.CREATED,
        user=supplier,
        to_status=order.status,
        parameters={"version": 1, "buyer_email": email},
        at=now,
    )
    if account is not None:
        notify(order, account, "drafted_for_you")
    else:
        events.order_event_write(
            order=order,
            type=OrderEvent.Type.INVITED,
            user=supplier,
            parameters={"email": email},
            at=now,
        )
        transaction.on_commit(lambda: _send_invitation(order.pk, email))
    return order


def _send_invitation(order_id, email):
    order = Order.objects.select_related("supplier__company").get(pk=order_id)
    context = {
        "order": order,
        "signup_url": f"{settings.PACTLINE_SITE_URL}{reverse('account_signup')}?as=buyer",
    }
    send_mail(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + " ".join(render_to_string("orders/email/invitation_subject.txt", context).split()),
        render_to_string("orders/email/invitation_body.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [email],
    )


@transaction.atomic
def order_invitations_claim(*, user, email) -> int:
    """Gives a buyer the drafts that wait for `email` once the address is verified."""
    if user.role != User.Role.BUYER:
        return 0
    waiting = Order.objects.select_for_update().filter(
        buyer__isnull=True, buyer_email__iexact=email, status=Status.DRAFT
    )
    claimed = 0
    for order in waiting:
        order.buyer = user
        order.save(update_fields=["buyer", "updated_at"])
        notify(order, user, "drafted_for_you")
        claimed += 1
    return claimed


# --- the contract ---------------------------------------------------------------------------


@transaction.atomic
def contract_edit(*, order, acting_user, terms: ContractTerms, now=None) -> ContractVersion:
    """Writes a new contract version. It has no confirmations: both parties confirm it again.
    Refused once money is paid (ContractLocked)."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user)
    if order_has_money_in(order):
        raise ContractLocked
    _require_status(order, Status.DRAFT, Status.CONFIRMED)
    _terms_check(terms, supplier=order.supplier)
    previous = order.current_version
    version = _version_create(order, terms, acting_user, previous=previous)
    from_status = order.status
    if order.status == Status.CONFIRMED:
        order.reopen()
        order.confirmed_at = None
        order.covered_amount = order.covered_usd = 0
        order.ship_by = order.ship_by_original = order.pay_by = None
    order.save()
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.CONTRACT_EDITED,
        user=acting_user,
        from_status=from_status,
        to_status=order.status,
        parameters={"version": version.number, "changed": version_changes(previous, version)},
        at=now,
    )
    notify(order, _other_party(order, acting_user), "contract_edited", context={"version": version})
    return version


def version_changes(old, new):
    """The names of the terms that differ between two versions, 'lines' included."""
    if old is None:
        return []
    changed = [name for name in COMPARED_FIELDS if getattr(old, name) != getattr(new, name)]
    old_lines = [
        (line.product_title, line.specification, line.quantity, line.unit_price)
        for line in old.lines.all()
    ]
    new_lines = [
        (line.product_title, line.specification, line.quantity, line.unit_price)
        for line in new.lines.all()
    ]
    if old_lines != new_lines:
        changed.append("lines")
    if (old.proforma_invoice.name or "") != (new.proforma_invoice.name or ""):
        changed.append("proforma_invoice")
    return changed


@transaction.atomic
def contract_confirm(*, order, acting_user, version_number, now=None) -> Order:
    """The acting party confirms contract version `version_number`, which must be the current
    one (StaleVersion otherwise). When both parties have confirmed it, the order is confirmed
    and covered up to the supplier's available Trade Assurance Amount."""
    now = now or timezone.now()
    order = _locked(order)
    party = _party(order, acting_user)
    _require_status(
        order,
        Status.DRAFT,
        message=_("This contract is already confirmed by both parties.")
        if order.status == Status.CONFIRMED
        else None,
    )
    version = order.current_version
    if version.number != version_number:
        raise StaleVersion
    if version.confirmations.filter(party=party).exists():
        raise OutOfTurn(_("You have already confirmed version %(n)s.") % {"n": version.number})
    ContractConfirmation.objects.create(
        version=version, party=party, user=acting_user, confirmed_at=now
    )
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.CONTRACT_CONFIRMED_BY_PARTY,
        user=acting_user,
        parameters={"version": version.number, "party": party},
        at=now,
    )
    if version.confirmations.count() < 2:
        notify(
            order,
            _other_party(order, acting_user),
            "confirmed_by_other",
            context={"version": version},
        )
        order.save(update_fields=["updated_at"])
        return order
    if not supplier_is_eligible(order.supplier, now):
        raise SupplierNotEligible
    _cover(order, now)
    order.confirmed_at = now
    order.pay_by = now + dt.timedelta(days=settings.PACTLINE_UNPAID_EXPIRY_DAYS)
    if version.ship_by_date is not None:
        order.ship_by = order.ship_by_original = end_of_day(version.ship_by_date, order.supplier)
    apply_transition(
        order,
        "confirm",
        acting_user=acting_user,
        event_type=OrderEvent.Type.CONFIRMED,
        now=now,
        parameters={
            "version": version.number,
            "covered_amount": order.covered_amount,
            "total_amount": order.total_amount,
        },
    )
    order.save()
    for recipient in (order.buyer, order.supplier):
        notify(order, recipient, "confirmed")
    return order


def end_of_day(date, user):
    """The last second of `date` in `user`'s time zone: 'ship by 3 May' means by the end of it."""
    zone = zoneinfo.ZoneInfo(user.timezone)
    return dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=zone)


def _cover(order, now):
    """Fixes the order's coverage: up to the supplier's available Trade Assurance Amount.
    Locks the supplier's profile row so two orders confirmed at once cannot both use the same
    available amount."""
    from apps.orders.selectors import coverage_available_usd

    SupplierProfile.objects.select_for_update().get(user=order.supplier)
    available = coverage_available_usd(supplier=order.supplier, exclude=order, at=now)
    total_usd = to_usd_minor(order.total_amount, order.currency)
    order.covered_usd = min(total_usd, available)
    order.covered_amount = (
        order.total_amount
        if order.covered_usd == total_usd
        else min(order.total_amount, from_usd_minor(order.covered_usd, order.currency))
    )


@transaction.atomic
def order_change_request(*, order, acting_user, text, now=None) -> OrderMessage:
    """The buyer asks the supplier to change the contract (a message the supplier must act on)."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("buyer",))
    if order_has_money_in(order):
        raise ContractLocked
    _require_status(order, Status.DRAFT, Status.CONFIRMED)
    if not text.strip():
        raise InvalidContract(errors={"body": [_("Say what should change.")]})
    message = _message_create(
        order, acting_user, text, kind=OrderMessage.Kind.CHANGE_REQUEST, now=now
    )
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.CHANGE_REQUESTED,
        user=acting_user,
        parameters={"message": message.pk},
        at=now,
    )
    notify(order, order.supplier, "change_requested", context={"message": message})
    return message


@transaction.atomic
def order_cancel(*, order, acting_user, reason, now=None) -> Order:
    """Either party cancels, with a reason, before any money is paid."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user)
    if order_has_money_in(order):
        raise OutOfTurn(
            _("Money has been paid on this order: it can no longer be cancelled, only refunded.")
        )
    _require_status(order, Status.DRAFT, Status.CONFIRMED)
    if not reason.strip():
        raise InvalidContract(errors={"reason": [_("Say why you cancel.")]}, field="reason")
    order.cancelled_at = now
    order.cancel_reason = reason.strip()
    apply_transition(
        order,
        "cancel",
        acting_user=acting_user,
        event_type=OrderEvent.Type.CANCELLED,
        now=now,
        parameters={"reason": order.cancel_reason},
    )
    order.save()
    notify(order, _other_party(order, acting_user), "cancelled")
    return order


# --- production, shipment, receipt ------------------------------------------------------------


@transaction.atomic
def order_start_production(*, order, acting_user, now=None) -> Order:
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("supplier",))
    _require_status(order, Status.DEPOSIT_PAID, Status.FUNDED)
    if order.production_started_at:
        raise OutOfTurn(_("Production is already marked as started."))
    order.production_started_at = now
    order.save(update_fields=["production_started_at", "updated_at"])
    events.order_event_write(
        order=order, type=OrderEvent.Type.PRODUCTION_STARTED, user=acting_user, at=now
    )
    notify(order, order.buyer, "production_started")
    return order


@transaction.atomic
def order_ship(*, order, acting_user, carrier, tracking_number, documents=(), now=None) -> Order:
    """The supplier ships a funded order with carrier, tracking number and shipping documents
    (each a dict of file and description)."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("supplier",))
    _require_status(
        order,
        Status.FUNDED,
        message=_("The buyer pays the balance before shipment: this order is not funded yet.")
        if order.status in (Status.CONFIRMED, Status.DEPOSIT_PAID)
        else None,
    )
    errors = {}
    if not carrier.strip():
        errors["carrier"] = [_("Name the carrier.")]
    if not tracking_number.strip():
        errors["tracking_number"] = [_("Give the tracking number.")]
    for document in documents:
        try:
            ShippingDocument._meta.get_field("file").run_validators(document["file"])
        except ValidationError as exc:
            errors.setdefault("documents", []).extend(exc.messages)
    if errors:
        raise InvalidContract(errors=errors)
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    order.shipped_at = now
    order.release_due_at = release_due(order)
    apply_transition(
        order,
        "ship",
        acting_user=acting_user,
        event_type=OrderEvent.Type.SHIPPED,
        now=now,
        parameters={
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "on_time": order.ship_by is None or now <= order.ship_by,
        },
    )
    order.save()
    for document in documents:
        ShippingDocument.objects.create(
            order=order,
            file=document["file"],
            description=document.get("description", ""),
            uploaded_at=now,
        )
    notify(order, order.buyer, "shipped")
    return order


@transaction.atomic
def order_record_delivery(*, order, acting_user, now=None) -> Order:
    """Either party records that the shipment arrived; the buyer's inspection period runs from
    here (the clock issue enforces it)."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user)
    _require_status(order, Status.SHIPPED)
    if order.delivered_at:
        raise OutOfTurn(_("Delivery is already recorded."))
    order.delivered_at = now
    order.release_due_at = release_due(order)
    order.release_reminded_at = None
    order.save(
        update_fields=["delivered_at", "release_due_at", "release_reminded_at", "updated_at"]
    )
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.DELIVERED,
        user=acting_user,
        parameters={"release_due_at": order.release_due_at.isoformat()},
        at=now,
    )
    notify(order, _other_party(order, acting_user), "delivered")
    return order


@transaction.atomic
def order_confirm_receipt(*, order, acting_user, now=None) -> Order:
    """The buyer confirms the goods arrived as contracted: the order completes and everything
    held in its escrow is released to the supplier, in this transaction."""
    from apps.escrow.services import escrow_release  # escrow builds on orders

    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("buyer",))
    _require_status(order, Status.SHIPPED)
    events.order_event_write(
        order=order, type=OrderEvent.Type.RECEIPT_CONFIRMED, user=acting_user, at=now
    )
    order.delivered_at = order.delivered_at or now
    order.completed_at = now
    apply_transition(
        order, "complete", acting_user=acting_user, event_type=OrderEvent.Type.COMPLETED, now=now
    )
    escrow_release(order=order, acting_user=acting_user, now=now)
    order.save()
    notify(order, order.supplier, "completed")
    return order


# --- deadlines ------------------------------------------------------------------------------
# The clock (apps/orders/clock.py) acts when a deadline has passed; a deadline is the last
# moment at which the party may still act. The numbers are settings (docs/policies.md).


def release_due(order):
    """When a shipped order completes by itself: the inspection period after recorded delivery,
    or a fixed time after shipment when no delivery is recorded, plus granted extensions."""
    if order.delivered_at:
        due = order.delivered_at + dt.timedelta(days=settings.PACTLINE_INSPECTION_DAYS)
    else:
        due = order.shipped_at + dt.timedelta(days=settings.PACTLINE_UNDELIVERED_RELEASE_DAYS)
    extensions = int(order.receipt_extended_by_buyer) + int(order.receipt_extended_by_supplier)
    return due + dt.timedelta(days=extensions * settings.PACTLINE_RECEIPT_EXTENSION_DAYS)


def ship_by_after_late_balance(order, now):
    """The buyer paid the balance after the ship-by date had passed. The supplier ships only a
    funded order, so it was not late: it gets PACTLINE_LATE_BALANCE_SHIP_DAYS from now, and
    extensions are counted from the new date. Called with the order row locked."""
    if order.ship_by is None or now <= order.ship_by:
        return None
    grace = dt.timedelta(days=settings.PACTLINE_LATE_BALANCE_SHIP_DAYS)
    today = timezone.localdate(now, zoneinfo.ZoneInfo(order.supplier.timezone))
    moved_to = end_of_day(today + grace, order.supplier)
    previous = order.ship_by
    order.ship_by = order.ship_by_original = moved_to
    order.ship_by_reminded_at = None
    return events.order_event_write(
        order=order,
        type=OrderEvent.Type.SHIP_BY_MOVED,
        parameters={"from": previous.isoformat(), "to": moved_to.isoformat()},
        at=now,
    )


@transaction.atomic
def order_ship_by_extend(*, order, acting_user, ship_by_date, now=None) -> Order:
    """The buyer gives the supplier until the end of `ship_by_date` (the supplier's day) to
    ship. All extensions together stay within PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS of the
    contract's date. On an overdue order this is the buyer's decision: the order waits for
    shipment again, and the automatic refund is off."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("buyer",))
    _require_status(order, Status.DEPOSIT_PAID, Status.FUNDED, Status.OVERDUE)
    if order.status == Status.OVERDUE and now > order.decision_due_at:
        raise OutOfTurn(_("The time to decide has passed: the escrow is being refunded."))
    if ship_by_date is None:
        raise InvalidContract(errors={"ship_by_date": [_("Choose the new ship-by date.")]})
    new_ship_by = end_of_day(ship_by_date, order.supplier)
    latest = order.ship_by_latest or order.ship_by + dt.timedelta(
        days=settings.PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS
    )
    if new_ship_by <= max(order.ship_by, now):
        raise InvalidContract(
            errors={"ship_by_date": [_("Choose a date after the current ship-by date.")]}
        )
    if new_ship_by > latest:
        latest_date = timezone.localtime(latest, zoneinfo.ZoneInfo(order.supplier.timezone))
        raise InvalidContract(
            errors={
                "ship_by_date": [
                    _(
                        "Extensions may add at most %(days)s days to the contract's ship-by "
                        "date: choose %(date)s or earlier."
                    )
                    % {
                        "days": settings.PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS,
                        "date": latest_date.date().isoformat(),
                    }
                ]
            }
        )
    previous = order.ship_by
    order.ship_by = new_ship_by
    order.ship_by_reminded_at = None
    parameters = {
        "from": previous.isoformat(),
        "to": new_ship_by.isoformat(),
        "days_past_contract": (new_ship_by - order.ship_by_original).days,
    }
    if order.status == Status.OVERDUE:
        order.overdue_at = order.decision_due_at = None
        apply_transition(
            order,
            "extend_overdue",
            acting_user=acting_user,
            event_type=OrderEvent.Type.SHIP_BY_EXTENDED,
            now=now,
            parameters=parameters,
        )
    else:
        events.order_event_write(
            order=order,
            type=OrderEvent.Type.SHIP_BY_EXTENDED,
            user=acting_user,
            parameters=parameters,
            at=now,
        )
    order.save()
    notify(order, order.supplier, "ship_by_extended", template="orders/email/deadline")
    return order


@transaction.atomic
def order_overdue_refund(*, order, acting_user, now=None) -> Order:
    """The buyer of an overdue order takes the full refund: everything in escrow goes back to
    the buyer in this transaction, and the order ends refunded."""
    from apps.escrow.services import escrow_refund_in_full  # escrow builds on orders

    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user, allowed=("buyer",))
    _require_status(order, Status.OVERDUE)
    escrow_refund_in_full(
        order=order,
        acting_user=acting_user,
        parameters={"reason": "shipment overdue: the buyer took the refund"},
        now=now,
    )
    order.save()
    notify(order, order.supplier, "overdue_refunded", template="orders/email/deadline")
    return order


@transaction.atomic
def order_receipt_extend(*, order, acting_user, now=None) -> Order:
    """Either party, once, adds PACTLINE_RECEIPT_EXTENSION_DAYS to the time before a shipped
    order completes by itself (goods held at customs, a late inspection)."""
    now = now or timezone.now()
    order = _locked(order)
    party = _party(order, acting_user)
    _require_status(order, Status.SHIPPED)
    flag = f"receipt_extended_by_{party}"
    if getattr(order, flag):
        raise OutOfTurn(_("You have already extended the receiving time once."))
    if now > (order.release_due_at or release_due(order)):
        raise OutOfTurn(_("The receiving time has ended: the escrow is being released."))
    previous = order.release_due_at
    setattr(order, flag, True)
    order.release_due_at = release_due(order)
    order.release_reminded_at = None
    order.save()
    events.order_event_write(
        order=order,
        type=OrderEvent.Type.RECEIPT_EXTENDED,
        user=acting_user,
        parameters={
            "party": party,
            "from": previous.isoformat(),
            "to": order.release_due_at.isoformat(),
        },
        at=now,
    )
    notify(
        order,
        _other_party(order, acting_user),
        "receipt_extended",
        template="orders/email/deadline",
    )
    return order


# --- messages -------------------------------------------------------------------------------

OFF_PLATFORM_PATTERNS = [
    re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b"),  # IBAN
    re.compile(r"\b(iban|swift|bic|routing number|sort code|account (no|number))\b", re.I),
    re.compile(r"\bbank (account|details|transfer)\b", re.I),
    re.compile(r"\b(pay|paid|payment|transfer)\b.{0,30}\b(outside|directly|off)\b", re.I),
    re.compile(r"\b(western union|moneygram|paypal|wise\.com|alipay|wechat pay)\b", re.I),
]


def looks_like_off_platform_payment(text):
    return any(pattern.search(text) for pattern in OFF_PLATFORM_PATTERNS)


def _message_create(order, sender, body, *, kind=OrderMessage.Kind.MESSAGE, attachment=None, now):
    message = OrderMessage(
        order=order,
        sender=sender,
        kind=kind,
        body=body.strip(),
        payment_warning=sender.pk == order.supplier_id and looks_like_off_platform_payment(body),
        created_at=now,
    )
    if attachment:
        message.attachment = attachment
    message.full_clean()
    message.save()
    return message


@transaction.atomic
def order_message_send(*, order, acting_user, body, attachment=None, now=None) -> OrderMessage:
    """A message to the other party, with an optional PDF/JPEG/PNG attachment. A supplier's
    message that looks like a request to pay outside Pactline is flagged for the buyer."""
    now = now or timezone.now()
    order = _locked(order)
    _party(order, acting_user)
    if not body.strip():
        raise InvalidContract(errors={"body": [_("Write a message.")]})
    try:
        message = _message_create(order, acting_user, body, attachment=attachment, now=now)
    except ValidationError as exc:
        raise InvalidContract(errors=exc.message_dict) from exc
    notify(order, _other_party(order, acting_user), "message", context={"message": message})
    return message
