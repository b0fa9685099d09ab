"""Demo orders: a history of completed orders (so storefront figures and Trade Assurance Amounts
have rows to come from) and live orders in every state between the demo buyers and suppliers.
Each part is created once."""

import datetime as dt

from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.selectors import product_unit_price
from apps.orders import services
from apps.orders.models import (
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
        _history_ledger(order, buyer, funded, completed)
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


def _history_ledger(order, buyer, funded, completed):
    """The money of a completed history order: paid into escrow, then released."""
    from apps.escrow.models import LedgerAccount, LedgerEntry
    from apps.escrow.services import entry_post, escrow_release, ledger_account

    kinds = LedgerAccount.Kind
    escrow = ledger_account(kinds.ESCROW, order.currency, order=order)
    entry_post(
        key=f"seed-payment:{order.pk}",
        kind=LedgerEntry.Kind.PAYMENT,
        order=order,
        now=funded,
        description=f"{order.reference}: full amount by T/T",
        postings=[
            (ledger_account(kinds.BUYER_FUNDING, order.currency, user=buyer), -order.total_amount),
            (escrow, order.total_amount),
        ],
    )
    escrow_release(order=order, now=completed)


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

    def draft(product, quantity, for_buyer, at=None, **overrides):
        return services.order_draft_for_buyer(
            supplier=product.supplier,
            buyer_email=for_buyer.email,
            terms=_terms(product, quantity, **overrides),
            now=at,
        )

    def confirmed(product, quantity, for_buyer, at=None, **overrides):
        order = draft(product, quantity, for_buyer, at=at, **overrides)
        services.contract_confirm(order=order, acting_user=for_buyer, version_number=1, now=at)
        return services.contract_confirm(
            order=order, acting_user=product.supplier, version_number=1, now=at
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
    # Paid states, through the escrow services with back-dated times (card payments are
    # captured at once), so the ledger, events and timeline agree.
    from apps.escrow import services as escrow

    def days(n):
        return now - dt.timedelta(days=n)

    def paid(order, payer, *, deposit_days, balance_days=None):
        escrow.payment_start(
            order=order, acting_user=payer, purpose="deposit", method="card", now=days(deposit_days)
        )
        if balance_days is not None:
            escrow.payment_start(
                order=order,
                acting_user=payer,
                purpose="balance",
                method="card",
                now=days(balance_days),
            )

    # Confirmed, waiting for the deposit.
    confirmed(p1[2], 1, buyer)
    # Deposit paid, in production.
    order = confirmed(p1[3], 1, buyer2, at=days(8), ship_by_date=None, ship_within_days=30)
    paid(order, buyer2, deposit_days=6)
    services.order_start_production(order=order, acting_user=supplier, now=days(5))
    # Funded, to ship.
    order = confirmed(p2[2], 1, buyer, at=days(14))
    paid(order, buyer, deposit_days=12, balance_days=2)
    # Overdue: paid in full, not shipped by its ship-by date; the clock marked it and the buyer
    # now decides between a full refund and more time.
    order = confirmed(p2[5], 1, buyer, at=days(22), ship_by_date=None, ship_within_days=10)
    paid(order, buyer, deposit_days=20, balance_days=15)
    from apps.core.sweeps import sweep_run

    sweep_run("orders.overdue", now=days(1))
    # Shipped and delivered, waiting for the buyer's receipt.
    order = confirmed(p1[4], 1, buyer, at=days(42))
    paid(order, buyer, deposit_days=40, balance_days=20)
    services.order_start_production(order=order, acting_user=supplier, now=days(38))
    services.order_ship(
        order=order,
        acting_user=supplier,
        carrier="Maersk",
        tracking_number="MSKU7788123",
        now=days(18),
    )
    services.order_record_delivery(order=order, acting_user=buyer, now=days(2))
    # Disputed: shipped, and the buyer opened a quality claim (apps/disputes/seed.py opens it
    # through the disputes services, with evidence and the supplier's counter-offer).
    order = confirmed(p2[3], 1, buyer2, at=days(52))
    paid(order, buyer2, deposit_days=50, balance_days=30)
    services.order_ship(
        order=order,
        acting_user=supplier2,
        carrier="COSCO",
        tracking_number="COSU6612087",
        now=days(25),
    )
    from apps.disputes.seed import claims_open

    claims_open(order=order, now=now, stdout=stdout)
    # Refunded in full by the supplier, who could not make the ship-by date: the Pay Later
    # balance is back at once, the T/T deposit is on its way back (buyer2 answers for its
    # sandbox bank on the order page).
    from apps.escrow.views import sandbox_transfer_simulate

    order = confirmed(p1[5], 1, buyer2, at=days(72))
    deposit = escrow.payment_start(
        order=order, acting_user=buyer2, purpose="deposit", method="tt", now=days(71)
    )
    sandbox_transfer_simulate(payment=deposit, now=days(70))
    escrow.payment_start(
        order=order, acting_user=buyer2, purpose="balance", method="pay_later", now=days(70)
    )
    escrow.escrow_refund(
        order=order,
        acting_user=supplier,
        now=days(5),
        reason="We cannot make the ship-by date; full refund.",
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
