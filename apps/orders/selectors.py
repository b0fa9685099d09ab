"""Reads over orders, scoped to who asks, and the supplier figures computed from real rows
(orders, events, messages) on every call; callers cache those."""

import datetime as dt
from dataclasses import dataclass, fields

from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.money import from_usd_minor, to_usd_minor
from apps.core.sql import row_get
from apps.orders.models import ContractLine, ContractVersion, Order, OrderEvent, OrderMessage
from apps.suppliers.models import SupplierProfile

# Orders whose coverage is in use: confirmed and not yet finished.
COVERAGE_IN_USE_STATES = (
    Order.Status.CONFIRMED,
    Order.Status.DEPOSIT_PAID,
    Order.Status.FUNDED,
    Order.Status.OVERDUE,
    Order.Status.SHIPPED,
    Order.Status.DISPUTED,
)


def orders_for(*, user):
    """The orders `user` takes part in, as buyer or as supplier; nobody else's."""
    return (
        Order.objects.filter(Q(buyer=user) | Q(supplier=user))
        .select_related(
            "buyer", "buyer__company", "supplier", "supplier__company", "current_version"
        )
        .order_by("-created_at", "-pk")
    )


def order_get_for(*, user, pk):
    """One order of `user`'s, with its contract and history; 404 for anyone else's."""
    lines = Prefetch("lines", queryset=ContractLine.objects.select_related("product"))
    return get_object_or_404(
        orders_for(user=user).prefetch_related(
            Prefetch("current_version__lines", queryset=ContractLine.objects.all()),
            Prefetch(
                "versions",
                queryset=ContractVersion.objects.prefetch_related(lines, "confirmations"),
            ),
            Prefetch("events", queryset=OrderEvent.objects.select_related("user")),
            Prefetch("messages", queryset=OrderMessage.objects.select_related("sender")),
            "shipping_documents",
        ),
        pk=pk,
    )


def order_access_get_for(*, user, pk):
    """One order of `user`'s, its own row only; 404 for anyone else's. For steps whose service
    locks and re-reads the order anyway: this scoped read is the access check."""
    where = '"id" = %s AND ("buyer_id" = %s OR "supplier_id" = %s)'
    order = row_get(Order, where, [pk, user.pk, user.pk])
    if order is None:
        raise Http404("No Order matches the given query.")
    return order


def order_detail_get_for(*, user, pk):
    """One order of `user`'s with what its API detail shows (parties, the current contract
    version with its lines and confirmations, the timeline, shipping documents); 404 for
    anyone else's."""
    return get_object_or_404(
        orders_for(user=user).prefetch_related(
            "current_version__lines",
            "current_version__confirmations",
            "events",
            "shipping_documents",
        ),
        pk=pk,
    )


def order_has_money_in(order, *, held=None) -> bool:
    """Money has reached this order: a paid state, or escrow holding part of a payment that is
    still arriving (a T/T in several transfers). Either way the contract is frozen. `held`, the
    order's escrow balance when the caller has already read it (the order document's escrow
    sums), saves the query."""
    if order.is_paid_into:
        return True
    if held is not None:
        return held > 0
    from apps.escrow.models import LedgerAccount  # escrow builds on orders

    return LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.ESCROW, order=order, balance__gt=0
    ).exists()


def coverage_available_usd(*, supplier, exclude=None, at=None) -> int:
    """The part of the supplier's Trade Assurance Amount its open orders do not use yet, in US
    cents; 0 for a supplier that cannot take Trade Assurance orders."""
    profile = SupplierProfile.objects.filter(user=supplier).first()
    if profile is None or not profile.is_trade_assurance_eligible(at or timezone.now()):
        return 0
    in_use = Order.objects.filter(supplier=supplier, status__in=COVERAGE_IN_USE_STATES)
    if exclude is not None:
        in_use = in_use.exclude(pk=exclude.pk)
    used = in_use.aggregate(total=Sum("covered_usd"))["total"] or 0
    return max(0, profile.ta_amount - used)


@dataclass(frozen=True)
class CoverageView:
    """What the buyer sees before paying: the covered amount (fixed at confirmation, or what it
    would be now) and whether the order is bigger than that."""

    covered_amount: int
    total_amount: int
    currency: str
    fixed: bool

    @property
    def exceeds(self):
        return self.covered_amount < self.total_amount

    @property
    def uncovered_amount(self):
        return self.total_amount - self.covered_amount


def coverage_for(*, order, at=None) -> CoverageView:
    if order.confirmed_at is not None:
        covered, fixed = order.covered_amount, True
    else:
        available = coverage_available_usd(supplier=order.supplier, exclude=order, at=at)
        total_usd = to_usd_minor(order.total_amount, order.currency)
        covered = (
            order.total_amount
            if available >= total_usd
            else min(order.total_amount, from_usd_minor(available, order.currency))
        )
        fixed = False
    return CoverageView(
        covered_amount=covered,
        total_amount=order.total_amount,
        currency=order.currency,
        fixed=fixed,
    )


@dataclass(frozen=True)
class VersionComparison:
    old: ContractVersion
    new: ContractVersion
    changed_fields: list
    lines: list  # [(old_line or None, new_line or None, changed: bool)]


def _line_key(line):
    if line is None:
        return None
    return (line.product_title, line.specification, line.quantity, line.unit_price)


def versions_compare(*, order, old_number, new_number) -> VersionComparison:
    """Two versions of the order's contract side by side, with what changed."""
    from apps.orders.services import version_changes

    versions = {v.number: v for v in order.versions.all()}
    old, new = versions.get(old_number), versions.get(new_number)
    if old is None or new is None:
        from django.http import Http404

        raise Http404
    old_lines, new_lines = list(old.lines.all()), list(new.lines.all())
    rows = []
    for n in range(max(len(old_lines), len(new_lines))):
        a = old_lines[n] if n < len(old_lines) else None
        b = new_lines[n] if n < len(new_lines) else None
        rows.append((a, b, _line_key(a) != _line_key(b)))
    return VersionComparison(old=old, new=new, changed_fields=version_changes(old, new), lines=rows)


# States in which the supplier has been paid into escrow in full and owes a shipment.
SHIPMENT_OWED_STATES = (
    Order.Status.FUNDED,
    Order.Status.OVERDUE,
    Order.Status.SHIPPED,
    Order.Status.DISPUTED,
    Order.Status.COMPLETED,
    Order.Status.REFUNDED,
)
# A dispute decided with money back to the buyer counts as lost by the supplier.
DISPUTE_OUTCOMES_LOST = ("refund", "partial_refund", "return_and_refund")


@dataclass(frozen=True)
class CompletedOrders:
    count: int
    value_usd_minor: int
    value_by_currency: dict


def supplier_completed_orders(*, supplier, since, until) -> CompletedOrders:
    """Orders completed (escrow released) in [since, until)."""
    rows = (
        Order.objects.filter(
            supplier=supplier,
            status=Order.Status.COMPLETED,
            completed_at__gte=since,
            completed_at__lt=until,
        )
        .values("currency")
        .annotate(total=Sum("total_amount"), n=Count("id"))
        .order_by("currency")
    )
    by_currency = {row["currency"]: row["total"] for row in rows}
    return CompletedOrders(
        count=sum(row["n"] for row in rows),
        value_usd_minor=sum(to_usd_minor(total, cur) for cur, total in by_currency.items()),
        value_by_currency=by_currency,
    )


@dataclass(frozen=True)
class Punctuality:
    shipments_due: int
    on_time: int

    @property
    def rate(self):
        return self.on_time / self.shipments_due if self.shipments_due else None


def supplier_shipment_punctuality(*, supplier, since, until) -> Punctuality:
    """Of the funded orders whose ship-by date fell in [since, until): how many shipped by it.

    An order never shipped (refunded for late shipment, or still unshipped) counts as late; an
    order whose balance was never paid is not the supplier's to ship and does not count."""
    due = Order.objects.filter(
        supplier=supplier,
        ship_by__gte=since,
        ship_by__lt=until,
        status__in=SHIPMENT_OWED_STATES,
    )
    counts = due.aggregate(
        total=Count("id"), on_time=Count("id", filter=Q(shipped_at__lte=F("ship_by")))
    )
    return Punctuality(shipments_due=counts["total"], on_time=counts["on_time"])


@dataclass(frozen=True)
class DisputeRecord:
    orders_funded: int
    disputed_orders: int
    disputes_lost: int

    @property
    def rate(self):
        return self.disputed_orders / self.orders_funded if self.orders_funded else None


def supplier_disputes(*, supplier, since, until) -> DisputeRecord:
    events = OrderEvent.objects.filter(
        order__supplier=supplier, created_at__gte=since, created_at__lt=until
    )
    disputed = events.filter(type=OrderEvent.Type.DISPUTE_OPENED).values("order").distinct().count()
    lost = events.filter(
        type=OrderEvent.Type.DISPUTE_RESOLVED, parameters__outcome__in=DISPUTE_OUTCOMES_LOST
    ).count()
    funded = Order.objects.filter(
        supplier=supplier, funded_at__gte=since, funded_at__lt=until
    ).count()
    return DisputeRecord(orders_funded=funded, disputed_orders=disputed, disputes_lost=lost)


@dataclass(frozen=True)
class Responsiveness:
    buyer_messages: int
    answered_in_time: int
    average_response: dt.timedelta | None

    @property
    def rate(self):
        return self.answered_in_time / self.buyer_messages if self.buyer_messages else None


def supplier_responsiveness(*, supplier, since, until, target) -> Responsiveness:
    """Buyer messages on the supplier's orders sent in [since, until): the share the supplier
    answered within `target`, and the average time to the first answer.

    A message still inside its `target` window with no answer yet is not counted either way."""
    first_reply = (
        OrderMessage.objects.filter(
            order=OuterRef("order"), sender=supplier, created_at__gt=OuterRef("created_at")
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    rows = (
        OrderMessage.objects.filter(
            order__supplier=supplier,
            sender=F("order__buyer"),
            created_at__gte=since,
            created_at__lt=until,
        )
        .annotate(replied_at=Subquery(first_reply))
        .values_list("created_at", "replied_at")
    )
    considered = answered = 0
    delays = []
    for sent_at, replied_at in rows:
        if replied_at is not None:
            delays.append(replied_at - sent_at)
        elif until - sent_at < target:
            continue  # still within the window: not yet late
        considered += 1
        if replied_at is not None and replied_at - sent_at <= target:
            answered += 1
    average = sum(delays, dt.timedelta()) / len(delays) if delays else None
    return Responsiveness(
        buyer_messages=considered, answered_in_time=answered, average_response=average
    )


@dataclass(frozen=True)
class OrderActions:
    """The steps one party may take on an order now, by the rules the services apply. Pages
    show buttons and the API lists names from it; the service still decides on every call."""

    confirm: bool = False
    edit_contract: bool = False
    change_request: bool = False
    cancel: bool = False
    start_production: bool = False
    ship: bool = False
    record_delivery: bool = False
    confirm_receipt: bool = False
    pay: bool = False
    extend_ship_by: bool = False
    overdue_refund: bool = False
    extend_receipt: bool = False
    send_message: bool = False

    def names(self):
        return [f.name for f in fields(self) if getattr(self, f.name)]

    def __bool__(self):
        return any(getattr(self, f.name) for f in fields(self) if f.name != "send_message")


def order_actions_for(*, order, party, version, now=None, held=None) -> OrderActions:
    """`party` is 'buyer', 'supplier' or None; `version` the current contract version with its
    confirmations (prefetched by order_get_for); `held` as for order_has_money_in."""
    if party is None:
        return OrderActions()
    now = now or timezone.now()
    status = order.status
    open_contract = status in (Order.Status.DRAFT, Order.Status.CONFIRMED) and (
        status == Order.Status.DRAFT or not order_has_money_in(order, held=held)
    )
    confirmed = {c.party for c in version.confirmations.all()} if version else set()
    return OrderActions(
        confirm=status == Order.Status.DRAFT and version is not None and party not in confirmed,
        edit_contract=open_contract,
        change_request=open_contract and party == "buyer",
        cancel=open_contract,
        start_production=party == "supplier"
        and status in (Order.Status.DEPOSIT_PAID, Order.Status.FUNDED)
        and order.production_started_at is None,
        ship=party == "supplier" and status == Order.Status.FUNDED,
        record_delivery=status == Order.Status.SHIPPED and order.delivered_at is None,
        confirm_receipt=party == "buyer" and status == Order.Status.SHIPPED,
        pay=party == "buyer" and status in (Order.Status.CONFIRMED, Order.Status.DEPOSIT_PAID),
        extend_ship_by=party == "buyer"
        and order.ship_by is not None
        and (
            status in (Order.Status.DEPOSIT_PAID, Order.Status.FUNDED)
            or (
                status == Order.Status.OVERDUE
                and order.decision_due_at is not None
                and now <= order.decision_due_at
            )
        )
        and order.ship_by_latest is not None
        and order.ship_by < order.ship_by_latest,
        overdue_refund=party == "buyer" and status == Order.Status.OVERDUE,
        extend_receipt=status == Order.Status.SHIPPED
        and not getattr(order, f"receipt_extended_by_{party}")
        and order.release_due_at is not None
        and now <= order.release_due_at,
        send_message=True,
    )


@dataclass(frozen=True)
class Deadline:
    """The deadline an order is running against now, for one party: when, and what happens
    when it passes (pages count down to it; the clock acts on it)."""

    kind: str  # pay_by | ship_by | decision | release
    at: dt.datetime
    consequence: str

    @property
    def passed(self):
        return timezone.now() > self.at


def order_deadline_for(*, order) -> Deadline | None:
    """The active deadline of `order`, or None when no rule is waiting on it."""
    status = order.status
    if status == Order.Status.CONFIRMED and order.pay_by:
        return Deadline(
            "pay_by",
            order.pay_by,
            _("If no deposit reaches escrow by then, the order expires and both parties are told."),
        )
    if status == Order.Status.DEPOSIT_PAID and order.ship_by:
        return Deadline(
            "ship_by",
            order.ship_by,
            _(
                "The buyer pays the balance before shipment. Once the order is paid in full and "
                "the date passes with nothing shipped, the buyer may take a full refund."
            ),
        )
    if status == Order.Status.FUNDED and order.ship_by:
        return Deadline(
            "ship_by",
            order.ship_by,
            _(
                "If nothing is shipped by then, the order becomes overdue: the buyer may take a "
                "full refund or give the supplier more time."
            ),
        )
    if status == Order.Status.OVERDUE:
        return Deadline(
            "decision",
            order.decision_due_at,
            _(
                "The buyer takes a full refund or gives the supplier more time. With no decision "
                "by then, the escrow is refunded to the buyer in full automatically."
            ),
        )
    if status == Order.Status.SHIPPED and order.release_due_at:
        if order.delivered_at:
            text = _(
                "The inspection period ends then. Unless the buyer confirms receipt or opens a "
                "dispute before, the order completes and the escrow is released to the supplier."
            )
        else:
            text = _(
                "No delivery is recorded yet. Unless receipt is confirmed or a dispute is opened "
                "before then, the order completes and the escrow is released to the supplier. "
                "Recording the delivery starts the inspection period instead."
            )
        return Deadline("release", order.release_due_at, text)
    return None


def orders_with_turn_for(*, user):
    """The user's orders with what deciding whose turn it is needs, for lists: the current
    version's confirmations and the time of the latest change request."""
    latest_change_request = (
        OrderMessage.objects.filter(order=OuterRef("pk"), kind=OrderMessage.Kind.CHANGE_REQUEST)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        orders_for(user=user)
        .prefetch_related("current_version__confirmations")
        .annotate(change_requested_at=Subquery(latest_change_request))
    )


def orders_for_files(*, user):
    """Whose order files `user` may open: the two parties', and staff (mediators) every order's."""
    if user.is_staff:
        return Order.objects.all()
    return orders_for(user=user)


def suppliers_with_activity(*, since, until) -> list:
    """Suppliers with an order event in [since, until): whose storefront figures may have
    moved. Reads the event table's created_at index."""
    return list(
        OrderEvent.objects.filter(created_at__gte=since, created_at__lt=until)
        .order_by()  # the default ordering would make DISTINCT count each event
        .values_list("order__supplier_id", flat=True)
        .distinct()
    )
