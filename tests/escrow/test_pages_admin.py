"""The escrow admin: the ledger, payments, webhooks and idempotency records are read-only; payouts
move only through the actions, which call the service."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from apps.escrow import services
from apps.escrow.models import (
    IdempotencyRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerPosting,
    Payment,
    Payout,
    WebhookEvent,
)
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, webhook
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

READ_ONLY = [LedgerEntry, LedgerAccount, LedgerPosting, Payment, WebhookEvent, IdempotencyRecord]


@pytest.fixture
def superuser():
    return AccountFactory(role="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def completed_order():
    order = confirmed_order()
    services.payment_start(order=order, acting_user=order.buyer, purpose="full", method="card")
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MAEU1"
    )
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    order.refresh_from_db()
    return order


def admin_url(model, view, *args):
    return reverse(f"admin:escrow_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", READ_ONLY + [Payout], ids=lambda m: m.__name__)
def test_nobody_adds_changes_or_deletes_escrow_rows_in_the_admin(model, superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = site._registry[model]

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_a_ledger_entry_shows_its_postings_without_a_save_button(admin_client):
    order = completed_order()
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.RELEASE)

    response = admin_client.get(admin_url(LedgerEntry, "change", entry.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert entry.idempotency_key in page
    assert "US$\xa06,000.00" in page and "-6,000.00" in page  # both postings
    assert 'name="_save"' not in page
    assert "Delete" not in page
    assert admin_client.get(admin_url(LedgerEntry, "add")).status_code == 403
    assert (
        order.reference in admin_client.get(admin_url(LedgerEntry, "changelist")).content.decode()
    )


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m.__name__)
def test_every_escrow_list_and_change_page_opens_read_only(model, admin_client):
    completed_order()
    payment = Payment.objects.first()
    webhook(admin_client, "payment.succeeded", {"reference": payment.provider_reference})
    IdempotencyRecord.objects.create(
        user=payment.payer, key="k-1", request_fingerprint="f", response_status=201
    )
    row = model.objects.first()

    listing = admin_client.get(admin_url(model, "changelist"))
    change = admin_client.get(admin_url(model, "change", row.pk))

    assert listing.status_code == 200
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()


def test_a_posted_change_to_a_ledger_row_is_refused(admin_client):
    completed_order()
    account = LedgerAccount.objects.get(kind=LedgerAccount.Kind.SUPPLIER_PAYABLE)

    response = admin_client.post(
        admin_url(LedgerAccount, "change", account.pk), {"balance": 999_999_999}
    )

    assert response.status_code == 403
    account.refresh_from_db()
    assert account.balance == 600_000


def payout_action(admin_client, action, *payouts):
    return admin_client.post(
        admin_url(Payout, "changelist"),
        {"action": action, "_selected_action": [p.pk for p in payouts]},
        follow=True,
    )


def test_staff_mark_a_payout_processing_then_paid(admin_client):
    order = completed_order()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")

    payout_action(admin_client, "mark_processing", payout)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PROCESSING

    response = payout_action(admin_client, "mark_paid", payout)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID
    assert "1 payout is now paid." in [str(m) for m in response.context["messages"]]
    assert_ledger_invariants()


def test_a_failed_payout_returns_the_money_to_the_balance(admin_client):
    order = completed_order()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")

    payout_action(admin_client, "mark_failed", payout)

    payout.refresh_from_db()
    payable = LedgerAccount.objects.get(
        kind=LedgerAccount.Kind.SUPPLIER_PAYABLE, user=order.supplier
    )
    assert payout.status == Payout.Status.FAILED
    assert payable.balance == 600_000
    assert_ledger_invariants()


def test_advancing_a_paid_payout_again_is_a_message_not_an_error(admin_client):
    order = completed_order()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")
    payout_action(admin_client, "mark_paid", payout)

    response = payout_action(admin_client, "mark_processing", payout)

    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert any(f"Payout {payout.pk}: This payout is paid already." in t for t in texts)
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID


def test_staff_simulate_a_pending_sandbox_transfer_from_the_admin(admin_client):
    order = confirmed_order()
    payment = services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )

    admin_client.post(
        admin_url(Payment, "changelist"),
        {"action": "simulate_transfer", "_selected_action": [payment.pk]},
    )

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == Payment.Status.CONFIRMED
    assert order.status == Order.Status.DEPOSIT_PAID
    assert_ledger_invariants()


def test_a_mediator_without_payout_permission_has_no_payout_actions(client):
    from django.contrib.auth.models import Permission

    mediator = AccountFactory(role="staff", is_staff=True)
    mediator.user_permissions.add(Permission.objects.get(codename="view_payout"))
    completed = completed_order()
    services.payout_request(supplier=completed.supplier, amount=100, currency="USD")
    client.force_login(mediator)

    response = client.get(admin_url(Payout, "changelist"))

    assert response.status_code == 200
    assert "mark_paid" not in response.content.decode()
