"""Orders at each stage a claim can start from, and small files for evidence."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.disputes import services
from apps.disputes.models import Case, Outcome
from apps.escrow import services as escrow_services
from apps.orders import services as order_services
from tests.escrow.helpers import confirmed_order

TOTAL = 600_000  # the helper contract: 500 × US$12.00
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test\n"


def photo(name="defect.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name="report.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def funded_order(**overrides):
    order = confirmed_order(**overrides)
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card"
    )
    order.refresh_from_db()
    return order


def shipped_order(**overrides):
    order = funded_order(**overrides)
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSK123"
    )
    order.refresh_from_db()
    return order


def completed_order(*, at=None, **overrides):
    order = shipped_order(**overrides)
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer, now=at)
    order.refresh_from_db()
    return order


def open_claim(order, *, now=None, outcome=Outcome.PARTIAL_REFUND, amount=120_000, **kwargs):
    values = {
        "reason": Case.Reason.QUALITY,
        "requested_outcome": outcome,
        "requested_amount": amount,
        "description": "Colour temperature 4000 K instead of 2700 K on a third of the bulbs.",
        "line_ids": [order.current_version.lines.first().pk],
        "evidence": [services.EvidenceInput(file=photo())],
    }
    values.update(kwargs)
    return services.case_open(order=order, acting_user=order.buyer, now=now, **values)


def later(case, days=0, hours=0, seconds=0):
    return case.opened_at + dt.timedelta(days=days, hours=hours, seconds=seconds)


def now():
    return timezone.now()
