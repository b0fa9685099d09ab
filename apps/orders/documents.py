"""The order as the API shows it (GET /api/v1/orders/{id}/ and the answer of every step that
returns the order), read in one statement and written out by hand.

OrderDetailSerializer (apps/orders/serializers.py) stays the definition of this document: the
OpenAPI schema is generated from it, and tests/orders/test_documents.py checks that
order_document() gives exactly what the serializer gives for orders in every state, for both
parties and in both languages. Both exist because the serializer, fed by five prefetching
queries and the escrow summary's query, cost about 10 ms a read here; this costs about 1 ms.

The rules the document shows (what the caller may do next, the running deadline, the coverage)
are not repeated here: they are the selectors' functions, called on the Order loaded below."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from apps.core.sql import columns, instance
from apps.escrow.selectors import ESCROW_GROUPS_SQL, escrow_summary_from_groups
from apps.orders import selectors
from apps.orders.models import ContractConfirmation, ContractVersion, Order, OrderEvent
from apps.orders.serializers import ACTIONS

_ORDER_COLUMNS, _ORDER_WIDTH = columns(Order, "o"), len(Order._meta.concrete_fields)
_VERSION_COLUMNS = columns(ContractVersion, "v")
_VERSION_WIDTH = len(ContractVersion._meta.concrete_fields)
_EVENT_LABELS = dict(OrderEvent.Type.choices)


# Parties with their company, the current version, each list as a JSON array of rows in the
# serializer's order, and the order's escrow sums (escrow_summary_for's). Only column names
# from the models are written into it; the values are parameters.
_SQL = f"""
SELECT {_ORDER_COLUMNS},
       bc."company_name", bc."country", sc."company_name", sc."country",
       {_VERSION_COLUMNS},
       (SELECT coalesce(json_agg(json_build_array(l."position", l."product_id",
                 l."product_title", l."specification", l."quantity", l."unit_price")
                 ORDER BY l."position", l."id"), '[]')
          FROM "orders_contractline" l WHERE l."version_id" = o."current_version_id"),
       (SELECT coalesce(json_agg(json_build_array(c."party", c."user_id", c."confirmed_at")
                 ORDER BY c."id"), '[]')
          FROM "orders_contractconfirmation" c WHERE c."version_id" = o."current_version_id"),
       (SELECT coalesce(json_agg(json_build_array(e."type", e."user_id", e."from_status",
                 e."to_status", e."parameters", e."created_at")
                 ORDER BY e."created_at", e."id"), '[]')
          FROM "orders_orderevent" e WHERE e."order_id" = o."id"),
       (SELECT coalesce(json_agg(json_build_array(d."id", d."description", d."file",
                 d."uploaded_at") ORDER BY d."id"), '[]')
          FROM "orders_shippingdocument" d WHERE d."order_id" = o."id"),
       (SELECT coalesce(json_agg(json_build_array(g.ek, g.ak, g.ao, g.ab, g.plus, g.minus)),
                 '[]') FROM ({ESCROW_GROUPS_SQL.replace("%s", 'o."id"')}) g)
  FROM "orders_order" o
  LEFT JOIN "accounts_companyprofile" bc ON bc."user_id" = o."buyer_id"
  LEFT JOIN "accounts_companyprofile" sc ON sc."user_id" = o."supplier_id"
  LEFT JOIN "orders_contractversion" v ON v."id" = o."current_version_id"
 WHERE o."id" = %s"""  # noqa: S608
_SCOPED_SQL = _SQL + ' AND (o."buyer_id" = %s OR o."supplier_id" = %s)'


@dataclass
class OrderDetail:
    """What order_document() shows: the order (a real Order, for the selectors' rules), its
    current version (with its confirmations, for the same), and the rest as rows."""

    order: Order
    version: ContractVersion | None
    buyer_company: tuple | None  # (company_name, country code)
    supplier_company: tuple | None
    lines: list = field(default_factory=list)
    confirmations: list = field(default_factory=list)
    events: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    escrow_groups: list = field(default_factory=list)


def order_detail_load(*, pk, user=None):
    """The order `pk` with what its document shows, in one statement; with `user`, only if
    they are its buyer or its supplier (Http404 otherwise, as for an order that does not
    exist). Without `user` (staff answering a refund), any order."""
    sql, params = (_SQL, [pk]) if user is None else (_SCOPED_SQL, [pk, user.pk, user.pk])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404("No Order matches the given query.")
    n = _ORDER_WIDTH
    order = instance(Order, row[:n])
    buyer_company = (row[n], row[n + 1]) if row[n] is not None else None
    supplier_company = (row[n + 2], row[n + 3]) if row[n + 2] is not None else None
    n += 4
    version_row = row[n : n + _VERSION_WIDTH]
    n += _VERSION_WIDTH
    lines, confirmations, events, documents, groups = row[n : n + 5]
    version = None
    if order.current_version_id is not None:
        version = instance(ContractVersion, version_row)
        rows = [
            ContractConfirmation(version=version, party=party, user_id=user_id)
            for party, user_id, _at in confirmations
        ]
        _prefetched(version, "confirmations", rows)
        order.current_version = version
    return OrderDetail(
        order=order,
        version=version,
        buyer_company=buyer_company,
        supplier_company=supplier_company,
        lines=lines,
        confirmations=confirmations,
        events=events,
        documents=documents,
        escrow_groups=groups,
    )


def _prefetched(instance, name, rows):
    """Makes instance.<name>.all() answer `rows` without a query, as prefetch_related would."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {name: queryset}


# --- writing it out, as the serializer's fields do -----------------------------------------------


def _datetime(value):
    """DRF's DateTimeField: ISO 8601 in the active time zone, UTC as 'Z'."""
    if not value:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value):
    return value.isoformat() if value else None


def _party(user_id, company):
    if user_id is None:
        return None
    name, country = company or ("", "")
    return {"id": user_id, "company_name": name, "country": country}


def _version(version, lines, confirmations):
    return {
        "number": version.number,
        "created_by_id": version.created_by_id,
        "created_at": _datetime(version.created_at),
        "currency": version.currency,
        "total_amount": version.total_amount,
        "deposit_percent": version.deposit_percent,
        "deposit_amount": version.deposit_amount,
        "balance_amount": version.balance_amount,
        "quality_standard": version.quality_standard,
        "inspection_booked": version.inspection_booked,
        "ship_by_date": _date(version.ship_by_date),
        "ship_within_days": version.ship_within_days,
        "shipping_method": version.shipping_method,
        "incoterm": version.incoterm,
        "shipping_address": version.shipping_address,
        "remarks": version.remarks,
        "has_proforma_invoice": bool(version.proforma_invoice),
        "lines": [
            {
                "position": position,
                "product_id": product_id,
                "product_title": title,
                "specification": specification,
                "quantity": quantity,
                "unit_price": unit_price,
                "line_total": quantity * unit_price,
            }
            for position, product_id, title, specification, quantity, unit_price in lines
        ],
        "confirmations": [
            {"party": party, "user_id": user_id, "confirmed_at": _datetime(at)}
            for party, user_id, at in confirmations
        ],
    }


def order_document(detail: OrderDetail, *, user) -> dict:
    """The order as OrderDetailSerializer writes it, for `user` (their party, their next
    steps), in the active language and time zone."""
    order, version = detail.order, detail.version
    party = order.party(user)
    by_party = {p: at for p, _user_id, at in detail.confirmations}
    deadline = selectors.order_deadline_for(order=order)
    coverage = selectors.coverage_for(order=order)
    escrow = escrow_summary_from_groups(order, detail.escrow_groups)
    allowed = selectors.order_actions_for(
        order=order, party=party, version=version, held=escrow.held
    )
    return {
        "id": order.pk,
        "reference": order.reference,
        "status": order.status,
        "party": party,
        "buyer": _party(order.buyer_id, detail.buyer_company),
        "buyer_email": order.buyer_email,
        "supplier": _party(order.supplier_id, detail.supplier_company),
        "currency": order.currency,
        "total_amount": order.total_amount,
        "version": version.number if version else None,
        "ship_by": _datetime(order.ship_by),
        "created_at": _datetime(order.created_at),
        "updated_at": _datetime(order.updated_at),
        "deadline": (
            {
                "kind": deadline.kind,
                "at": _datetime(deadline.at),
                "consequence": str(deadline.consequence),
            }
            if deadline
            else None
        ),
        "deadlines": {
            "pay_by": _datetime(order.pay_by),
            "ship_by": _datetime(order.ship_by),
            "ship_by_latest": _datetime(order.ship_by_latest),
            "overdue_at": _datetime(order.overdue_at),
            "decision_due_at": _datetime(order.decision_due_at),
            "release_due_at": _datetime(order.release_due_at),
            "receipt_extended_by_buyer": order.receipt_extended_by_buyer,
            "receipt_extended_by_supplier": order.receipt_extended_by_supplier,
        },
        "coverage": {
            "covered_amount": coverage.covered_amount,
            "uncovered_amount": coverage.uncovered_amount,
            "total_amount": coverage.total_amount,
            "currency": coverage.currency,
            "exceeds": coverage.exceeds,
            "fixed": coverage.fixed,
        },
        "escrow": {
            "currency": escrow.currency,
            "paid_in": escrow.paid_in,
            "held": escrow.held,
            "released": escrow.released,
            "refunded": escrow.refunded,
        },
        "contract": _version(version, detail.lines, detail.confirmations) if version else None,
        "confirmations": {
            "version": version.number if version else None,
            **{
                p: {"confirmed": p in by_party, "confirmed_at": _datetime(by_party.get(p))}
                for p in ("buyer", "supplier")
            },
        },
        "confirmed_at": _datetime(order.confirmed_at),
        "deposit_paid_at": _datetime(order.deposit_paid_at),
        "funded_at": _datetime(order.funded_at),
        "production_started_at": _datetime(order.production_started_at),
        "shipment": {
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "shipped_at": _datetime(order.shipped_at),
            "delivered_at": _datetime(order.delivered_at),
            "documents": [
                {
                    "id": pk,
                    "description": description,
                    "file_name": name.rsplit("/", 1)[-1],
                    "uploaded_at": _datetime(uploaded_at),
                }
                for pk, description, name, uploaded_at in detail.documents
            ],
        },
        "completed_at": _datetime(order.completed_at),
        "cancelled_at": _datetime(order.cancelled_at),
        "cancel_reason": order.cancel_reason,
        "allowed_actions": [name for name, _label in ACTIONS if getattr(allowed, name)],
        "timeline": [
            {
                "type": kind,
                "label": str(_EVENT_LABELS.get(kind, kind)),
                "user_id": user_id,
                "from_status": from_status,
                "to_status": to_status,
                "parameters": parameters,
                "created_at": _datetime(created_at),
            }
            for kind, user_id, from_status, to_status, parameters, created_at in detail.events
        ],
    }


def order_detail_data(*, pk, request, scoped=True) -> dict:
    """Order `pk` as the API answers it to request.user; 404 unless they take part in it (or,
    with scoped=False, for staff, any order). On PostgreSQL from the one statement above; on
    the demo's SQLite, which lacks its JSON functions, through the serializer."""
    user = request.user
    if connection.vendor == "postgresql":
        return order_document(order_detail_load(pk=pk, user=user if scoped else None), user=user)
    from apps.orders.serializers import OrderDetailSerializer

    if scoped:
        order = selectors.order_detail_get_for(user=user, pk=pk)
    else:
        order = get_object_or_404(Order.objects.all(), pk=pk)
    return OrderDetailSerializer(order, context={"request": request}).data
