"""Demo order history, so storefront figures and Trade Assurance Amounts have real rows to come
from. Created once; the orders issue adds live orders in every state."""

import datetime as dt

from django.utils import timezone

from apps.accounts.models import User
from apps.orders.models import Order, OrderEvent, OrderMessage

# (supplier email, days ago completed, total in minor units, currency, shipped late?, disputed?)
HISTORY = [
    ("supplier@demo.pactline.test", 20, 1_250_000, "USD", False, False),
    ("supplier@demo.pactline.test", 35, 860_000, "USD", False, False),
    ("supplier@demo.pactline.test", 52, 2_400_000, "USD", False, True),
    ("supplier@demo.pactline.test", 70, 545_000, "EUR", False, False),
    ("supplier@demo.pactline.test", 95, 1_980_000, "USD", True, False),
    ("supplier@demo.pactline.test", 120, 730_000, "USD", False, False),
    ("supplier@demo.pactline.test", 150, 3_100_000, "USD", False, False),
    ("supplier2@demo.pactline.test", 40, 420_000, "USD", False, False),
    ("supplier2@demo.pactline.test", 110, 980_000, "EUR", False, False),
    ("supplier2@demo.pactline.test", 200, 315_000, "USD", True, False),
]
BUYERS = ["buyer@demo.pactline.test", "buyer2@demo.pactline.test"]


def run(*, stdout):
    suppliers = {u.email: u for u in User.objects.filter(email__in={h[0] for h in HISTORY})}
    buyers = list(User.objects.filter(email__in=BUYERS).order_by("email"))
    if Order.objects.filter(
        supplier__in=suppliers.values(), status=Order.Status.COMPLETED
    ).exists():
        stdout.write("order history already there")
        return
    now = timezone.now()
    for n, (email, days_ago, total, currency, late, disputed) in enumerate(HISTORY):
        supplier, buyer = suppliers[email], buyers[n % len(buyers)]
        completed = now - dt.timedelta(days=days_ago)
        shipped = completed - dt.timedelta(days=18)
        ship_by = shipped - dt.timedelta(days=2) if late else shipped + dt.timedelta(days=3)
        funded = ship_by - dt.timedelta(days=30)
        order = Order.objects.create(
            buyer=buyer,
            supplier=supplier,
            status=Order.Status.COMPLETED,
            currency=currency,
            total_amount=total,
            ship_by=ship_by,
            confirmed_at=funded - dt.timedelta(days=2),
            funded_at=funded,
            shipped_at=shipped,
            delivered_at=shipped + dt.timedelta(days=14),
            completed_at=completed,
        )
        events = [
            (OrderEvent.Type.FUNDED, funded, buyer, "deposit_paid", "funded", {}),
            (OrderEvent.Type.SHIPPED, shipped, supplier, "funded", "shipped", {}),
            (OrderEvent.Type.COMPLETED, completed, buyer, "shipped", "completed", {}),
        ]
        if disputed:
            opened = shipped + dt.timedelta(days=15)
            events += [
                (OrderEvent.Type.DISPUTE_OPENED, opened, buyer, "shipped", "disputed", {}),
                (
                    OrderEvent.Type.DISPUTE_RESOLVED,
                    opened + dt.timedelta(days=2),
                    None,
                    "disputed",
                    "completed",
                    {"outcome": "release"},
                ),
            ]
        OrderEvent.objects.bulk_create(
            OrderEvent(
                order=order,
                type=kind,
                created_at=at,
                user=user,
                from_status=src,
                to_status=dst,
                parameters=params,
            )
            for kind, at, user, src, dst, params in events
        )
    # A recent conversation, answered quickly, for the response figures.
    recent = Order.objects.filter(supplier=suppliers["supplier@demo.pactline.test"]).order_by(
        "-completed_at"
    )[0]
    asked = now - dt.timedelta(days=6)
    OrderMessage.objects.bulk_create(
        [
            OrderMessage(
                order=recent,
                sender=recent.buyer,
                body="Can you send photos of the packing?",
                created_at=asked,
            ),
            OrderMessage(
                order=recent,
                sender=recent.supplier,
                body="Yes, photos attached in an hour.",
                created_at=asked + dt.timedelta(hours=3),
            ),
            OrderMessage(
                order=recent,
                sender=recent.buyer,
                body="Thanks, all good.",
                created_at=asked + dt.timedelta(days=1),
            ),
            OrderMessage(
                order=recent,
                sender=recent.supplier,
                body="Glad to hear it.",
                created_at=asked + dt.timedelta(days=1, hours=5),
            ),
        ]
    )
    stdout.write(f"created {len(HISTORY)} completed demo orders")
