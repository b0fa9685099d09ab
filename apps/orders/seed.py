"""Demo orders: a history of completed orders (so storefront figures and Trade Assurance Amounts
have rows to come from) and live orders in every state between the demo buyers and suppliers.
Each part is created once."""

import datetime as dt

from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.selectors import product_unit_price
from apps.orders import services
from apps.orders.models import (
    ContractConfirmation,
    ContractLine,
    ContractVersion,
    Order,
    OrderEvent,
    OrderMessage,
)

# (supplier email, days ago completed, total in minor units, currency, shipped late?, disputed?)
HISTORY = [
    ("supplier@demo.pactline.test", 20, 3_750_000, "USD", False, False),
    ("supplier@demo.pactline.test", 35, 2_580_000, "USD", False, False),
    ("supplier@demo.pactline.test", 52, 7_200_000, "USD", False, True),
    ("supplier@demo.pactline.test", 70, 1_635_000, "EUR", False, False),
    ("supplier@demo.pactline.test", 95, 5_940_000, "USD", True, False),
    ("supplier@demo.pactline.test", 120, 2_190_000, "USD", False, False),
    ("supplier@demo.pactline.test", 150, 9_300_000, "USD", False, False),
    ("supplier@demo.pactline.test", 170, 4_400_000, "USD", False, False),
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
        version = ContractVersion.objects.create(
            order=order,
            number=1,
            created_by=supplier,
            created_at=funded - dt.timedelta(days=3),
            currency=currency,
            total_amount=total,
            quality_standard="AQL 2.5, general inspection level II",
            ship_by_date=ship_by.date(),
            shipping_method="sea",
            incoterm="FOB",
            shipping_address=buyer.company.company_name,
            deposit_percent=30,
        )
        ContractLine.objects.create(
            version=version,
            position=1,
            product_title="Assorted goods",
            specification="As sampled",
            quantity=total // 100,
            unit_price=100,
        )
        Order.objects.filter(pk=order.pk).update(current_version=version)
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


def _terms(product, quantity, **overrides):
    quantity = max(quantity, product.moq)
    values = {
        "lines": [
            services.LineInput(
                product_title=product.title,
                specification="; ".join(
                    f"{s['name']}: {s['value']}" for s in product.specifications_list()
                )
                or "As listed",
                quantity=quantity,
                unit_price=product_unit_price(product, quantity),
                product=product,
            )
        ],
        "currency": product.currency,
        "quality_standard": "AQL 2.5, general inspection level II; specifications as listed",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Noordzee Imports B.V., Havenweg 1, 3089 JR Rotterdam, Netherlands",
        "deposit_percent": 30,
        "ship_by_date": timezone.localdate() + dt.timedelta(days=45),
    }
    values.update(overrides)
    return services.ContractTerms(**values)


def _moved(order, status, events_and_fields, now):
    """Puts a confirmed demo order into a paid state the way the escrow issue will: the status,
    its timestamps and its events (the ledger entries arrive with escrow). The contract steps
    made today move to two days before the first payment, so the timeline reads in order."""
    first_paid = now - dt.timedelta(days=max(days for _type, _attr, days in events_and_fields))
    agreed = first_paid - dt.timedelta(days=2)
    order.events.all().update(created_at=agreed)
    order.versions.all().update(created_at=agreed - dt.timedelta(hours=4))
    ContractConfirmation.objects.filter(version__order=order).update(confirmed_at=agreed)
    Order.objects.filter(pk=order.pk).update(
        created_at=agreed - dt.timedelta(hours=4), confirmed_at=agreed
    )
    fields = {"status": status}
    for event_type, attribute, days_ago in events_and_fields:
        at = now - dt.timedelta(days=days_ago)
        if attribute:
            fields[attribute] = at
        OrderEvent.objects.create(order=order, type=event_type, created_at=at, to_status=status)
    Order.objects.filter(pk=order.pk).update(**fields)


def run_live(*, stdout):
    from apps.catalog.models import Product

    if Order.objects.filter(current_version__isnull=False, created_by__isnull=False).exists():
        stdout.write("live demo orders already there")
        return
    now = timezone.now()
    buyer, buyer2 = (User.objects.get(email=email) for email in BUYERS)
    supplier = User.objects.get(email="supplier@demo.pactline.test")
    supplier2 = User.objects.get(email="supplier2@demo.pactline.test")
    products = {
        s.pk: list(
            Product.objects.filter(supplier=s, is_active=True, currency="USD").order_by("pk")[:8]
        )
        for s in (supplier, supplier2)
    }
    p1, p2 = products[supplier.pk], products[supplier2.pk]

    def draft(product, quantity, for_buyer, **overrides):
        return services.order_draft_for_buyer(
            supplier=product.supplier,
            buyer_email=for_buyer.email,
            terms=_terms(product, quantity, **overrides),
        )

    def confirmed(product, quantity, for_buyer, **overrides):
        order = draft(product, quantity, for_buyer, **overrides)
        services.contract_confirm(order=order, acting_user=for_buyer, version_number=1)
        return services.contract_confirm(
            order=order, acting_user=product.supplier, version_number=1
        )

    # Draft by the supplier, waiting for the buyer.
    draft(p1[0], 1, buyer)
    # Draft where the buyer asked for a change and the supplier made version 2.
    changed = draft(p1[1], 1, buyer)
    services.contract_confirm(order=changed, acting_user=buyer, version_number=1)
    services.order_change_request(
        order=changed, acting_user=buyer, text="Could you do 2,500 pieces with a 20% deposit?"
    )
    services.contract_edit(
        order=changed, acting_user=supplier, terms=_terms(p1[1], 2500, deposit_percent=20)
    )
    # Started by a buyer from a product, waiting for the supplier.
    services.order_start(
        buyer=buyer2,
        terms=_terms(
            p2[0],
            3000,
            shipping_address="Prairie Home Goods, 200 W Madison St, Chicago IL 60606, USA",
            incoterm="CIF",
        ),
    )
    # Waiting for a buyer who has no account yet.
    services.order_draft_for_buyer(
        supplier=supplier2, buyer_email="new.importer@example.com", terms=_terms(p2[1], 1)
    )
    # Confirmed, waiting for the deposit.
    confirmed(p1[2], 1, buyer)
    # Deposit paid, in production.
    order = confirmed(p1[3], 1, buyer2, ship_by_date=None, ship_within_days=30)
    _moved(
        order,
        Order.Status.DEPOSIT_PAID,
        [
            (OrderEvent.Type.DEPOSIT_PAID, "deposit_paid_at", 6),
            (OrderEvent.Type.PRODUCTION_STARTED, "production_started_at", 5),
        ],
        now,
    )
    Order.objects.filter(pk=order.pk).update(ship_by=now + dt.timedelta(days=24))
    # Funded, to ship.
    order = confirmed(p2[2], 1, buyer)
    _moved(
        order,
        Order.Status.FUNDED,
        [
            (OrderEvent.Type.DEPOSIT_PAID, "deposit_paid_at", 12),
            (OrderEvent.Type.FUNDED, "funded_at", 2),
        ],
        now,
    )
    # Shipped and delivered, waiting for the buyer's receipt.
    order = confirmed(p1[4], 1, buyer)
    _moved(
        order,
        Order.Status.SHIPPED,
        [
            (OrderEvent.Type.DEPOSIT_PAID, "deposit_paid_at", 40),
            (OrderEvent.Type.FUNDED, "funded_at", 20),
            (OrderEvent.Type.SHIPPED, "shipped_at", 18),
            (OrderEvent.Type.DELIVERED, "delivered_at", 2),
        ],
        now,
    )
    Order.objects.filter(pk=order.pk).update(carrier="Maersk", tracking_number="MSKU7788123")
    # Disputed.
    order = confirmed(p2[3], 1, buyer2)
    _moved(
        order,
        Order.Status.DISPUTED,
        [
            (OrderEvent.Type.DEPOSIT_PAID, "deposit_paid_at", 50),
            (OrderEvent.Type.FUNDED, "funded_at", 30),
            (OrderEvent.Type.SHIPPED, "shipped_at", 25),
            (OrderEvent.Type.DISPUTE_OPENED, None, 3),
        ],
        now,
    )
    # Refunded after a missed ship-by date.
    order = confirmed(p1[5], 1, buyer2)
    _moved(
        order,
        Order.Status.REFUNDED,
        [
            (OrderEvent.Type.DEPOSIT_PAID, "deposit_paid_at", 70),
            (OrderEvent.Type.FUNDED, "funded_at", 60),
            (OrderEvent.Type.REFUNDED, None, 5),
        ],
        now,
    )
    # Cancelled before any money.
    order = draft(p2[4], 1, buyer)
    services.order_cancel(
        order=order, acting_user=buyer, reason="Ordered from a local stockist instead."
    )
    # A message thread on the shipped order, with one message that asks for payment outside.
    shipped = Order.objects.filter(status=Order.Status.SHIPPED, supplier=supplier).first()
    services.order_message_send(
        order=shipped, acting_user=buyer, body="The container arrived. We will inspect this week."
    )
    services.order_message_send(
        order=shipped,
        acting_user=supplier,
        body="Thank you. Next time you can pay us directly to our bank account to save fees.",
    )
    live = Order.objects.filter(created_by__isnull=False).count()
    stdout.write(f"created {live} live demo orders in every state")
