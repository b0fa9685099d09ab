"""Idempotency-Key on the money-moving calls (Stripe's rules): the same key and body answer the
first response and move money once; the same key with another body is a 409; keys are per user,
kept 48 hours, then purged; a 5xx keeps nothing; two identical requests at once never both run."""

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from apps.escrow import services as escrow_services
from apps.escrow.idempotency import request_fingerprint
from apps.escrow.models import IdempotencyRecord, LedgerEntry, Payment, Payout
from apps.escrow.providers import sandbox
from apps.escrow.tasks import purge_idempotency_keys
from apps.orders import services as order_services
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order, webhook

ORDERS = "/api/v1/orders/"
DEPOSIT, TOTAL = 180_000, 600_000


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def pay(order, key=None, user=None, client=None, **data):
    data = {"purpose": "deposit", "method": "card", **data}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    client = client or client_for(user or order.buyer)
    return client.post(f"{ORDERS}{order.pk}/payments/", data, format="json", **headers)


def replayed(response):
    return response.headers.get("Idempotent-Replayed") == "true"


def funded_order():
    order = confirmed_order()
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card"
    )
    return Order.objects.get(pk=order.pk)


def shipped_order():
    order = funded_order()
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="DHL", tracking_number="JD1"
    )
    return Order.objects.get(pk=order.pk)


# --- the same request again ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("times", [2, 3])
@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_the_same_key_and_body_answer_the_first_response_and_pay_once(times, vendor, monkeypatch):
    """On PostgreSQL the key is claimed in one statement; elsewhere (the demo's SQLite) by the
    ORM's get_or_create. Both find the first request's key again."""
    order = confirmed_order()
    monkeypatch.setattr(connection, "vendor", vendor)

    responses = [pay(order, key="pay-deposit-1") for _n in range(times)]

    first, *again = responses
    assert first.status_code == 201 and not replayed(first)
    for response in again:
        assert response.status_code == 201 and replayed(response)
        assert response.json() == first.json()
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert escrow_services.escrow_held(order) == DEPOSIT
    assert_ledger_invariants()


@pytest.mark.django_db
def test_the_same_body_with_its_keys_in_another_order_is_the_same_request():
    order = confirmed_order()
    client = client_for(order.buyer)
    url = f"{ORDERS}{order.pk}/payments/"
    bodies = ['{"purpose": "deposit", "method": "card"}', '{"method":"card","purpose":"deposit"}']

    first, second = (
        client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
        for body in bodies
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert replayed(second)
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_conflict_and_moves_nothing():
    order = confirmed_order()
    pay(order, key="pay-1", method="tt")

    response = pay(order, key="pay-1", method="card")

    assert response.status_code == 409
    assert "different request" in response.json()["detail"][0]
    assert Payment.objects.count() == 1 and not LedgerEntry.objects.exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_a_conflict():
    order = shipped_order()
    refund = client_for(order.supplier).post(
        f"{ORDERS}{order.pk}/refund/",
        {"amount": 1000, "reason": "One box dented"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert refund.status_code == 200, refund.content

    payout = client_for(order.supplier).post(
        "/api/v1/payouts/", {"amount": 1000, "currency": "USD"}, HTTP_IDEMPOTENCY_KEY="shared"
    )

    assert payout.status_code == 409
    assert not Payout.objects.exists()
    assert_ledger_invariants()


@pytest.mark.django_db
def test_users_keep_their_keys_apart():
    first, second = confirmed_order(), confirmed_order()

    responses = [pay(order, key="same-key") for order in (first, second)]

    assert [r.status_code for r in responses] == [201, 201]
    assert not any(replayed(r) for r in responses)
    assert Payment.objects.count() == 2
    assert_ledger_invariants()


@pytest.mark.django_db
def test_without_a_key_the_call_runs_each_time():
    order = confirmed_order()

    first, second = pay(order, method="tt"), pay(order, method="tt")

    assert first.status_code == 201
    assert second.status_code == 400  # the second really ran: one payment on its way at a time
    assert "still on its way" in second.json()["detail"][0]
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_refusal_is_kept_and_answered_again_like_the_first_response():
    order = confirmed_order()
    balance_first = pay(order, key="balance-1", purpose="balance")
    assert balance_first.status_code == 409
    escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="card"
    )

    again = pay(order, key="balance-1", purpose="balance")

    # Stripe's rule: the key answers what the first request got, whatever changed since.
    assert again.status_code == 409 and replayed(again)
    assert again.json() == balance_first.json()
    assert pay(order, key="balance-2", purpose="balance").status_code == 201
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_server_error_keeps_nothing_and_the_retry_runs(monkeypatch):
    order = confirmed_order()
    client = client_for(order.buyer)
    client.raise_request_exception = False
    real_start = sandbox.SandboxProvider.start
    monkeypatch.setattr(sandbox.SandboxProvider, "start", lambda self, *, payment: 1 / 0)

    failed = pay(order, key="retry-me", client=client)
    monkeypatch.setattr(sandbox.SandboxProvider, "start", real_start)
    retried = pay(order, key="retry-me", client=client)

    assert failed.status_code == 500
    assert retried.status_code == 201 and not replayed(retried)
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201
    assert_ledger_invariants()


@pytest.mark.django_db
@pytest.mark.parametrize(("length", "status"), [(255, 201), (256, 400), (0, 400)])
def test_a_key_is_1_to_255_characters(length, status):
    order = confirmed_order()

    response = pay(order, key="k" * length)

    assert response.status_code == status, response.content
    assert Payment.objects.count() == (1 if status == 201 else 0)


# --- every money-moving call ----------------------------------------------------------------------


@pytest.mark.django_db
def test_confirming_receipt_twice_with_a_key_releases_once():
    order = shipped_order()
    client = client_for(order.buyer)
    url = f"{ORDERS}{order.pk}/confirm-receipt/"

    first = client.post(url, HTTP_IDEMPOTENCY_KEY="receipt")
    second = client.post(url, HTTP_IDEMPOTENCY_KEY="receipt")
    without_key = client.post(url)

    assert (first.status_code, second.status_code) == (200, 200)
    assert replayed(second) and second.json() == first.json()
    assert without_key.status_code == 409
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db
def test_cancelling_twice_with_a_key_answers_the_first_cancellation():
    order = confirmed_order()
    client = client_for(order.buyer)
    url = f"{ORDERS}{order.pk}/cancel/"

    first = client.post(url, {"reason": "Budget cut"}, format="json", HTTP_IDEMPOTENCY_KEY="c")
    second = client.post(url, {"reason": "Budget cut"}, format="json", HTTP_IDEMPOTENCY_KEY="c")

    assert (first.status_code, second.status_code) == (200, 200)
    assert replayed(second) and second.json()["status"] == "cancelled"
    assert Order.objects.get(pk=order.pk).events.filter(type="cancelled").count() == 1


@pytest.mark.django_db
def test_refunding_twice_with_a_key_refunds_once():
    order = shipped_order()
    client = client_for(order.supplier)
    url = f"{ORDERS}{order.pk}/refund/"
    body = {"amount": 50_000, "reason": "Five cartons short"}

    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    second = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")

    assert (first.status_code, second.status_code) == (200, 200)
    assert replayed(second) and second.json() == first.json()
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.SETTLEMENT).count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db
def test_asking_twice_for_a_payout_with_a_key_pays_out_once():
    order = shipped_order()
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    client = client_for(order.supplier)
    body = {"amount": 100_000, "currency": "USD"}

    first = client.post("/api/v1/payouts/", body, format="json", HTTP_IDEMPOTENCY_KEY="p")
    second = client.post("/api/v1/payouts/", body, format="json", HTTP_IDEMPOTENCY_KEY="p")

    assert (first.status_code, second.status_code) == (201, 201)
    assert replayed(second) and second.json() == first.json()
    assert Payout.objects.count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_tt_paid_after_its_start_was_retried_is_credited_once():
    order = confirmed_order()
    started = pay(order, key="tt-1", method="tt").json()
    retried = pay(order, key="tt-1", method="tt").json()
    assert retried == started

    webhook(
        Client(),
        "payment.transfer_received",
        {"reference": started["payment"]["reference"], "amount": DEPOSIT},
    )

    assert escrow_services.escrow_held(order) == DEPOSIT
    assert Order.objects.get(pk=order.pk).status == Order.Status.DEPOSIT_PAID
    assert_ledger_invariants()


# --- keeping keys ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keys_older_than_48_hours_are_purged_and_may_be_used_again():
    order = confirmed_order()
    assert pay(order, key="old-key").status_code == 201
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=48, minutes=1))

    purge_idempotency_keys.delay()

    assert not IdempotencyRecord.objects.exists()
    reused = pay(order, key="old-key", purpose="balance")
    assert reused.status_code == 201 and not replayed(reused)
    assert Order.objects.get(pk=order.pk).status == Order.Status.FUNDED
    assert_ledger_invariants()


@pytest.mark.django_db
def test_keys_younger_than_48_hours_are_kept():
    order = confirmed_order()
    pay(order, key="recent")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=47))

    purge_idempotency_keys()

    assert IdempotencyRecord.objects.count() == 1
    assert pay(order, key="recent", purpose="balance").status_code == 409


# --- the fingerprint ------------------------------------------------------------------------------


def test_a_multipart_fingerprint_reads_fields_and_file_names_and_sizes():
    def fingerprint(**data):
        request = APIRequestFactory().post("/api/v1/x/", data, format="multipart")
        return request_fingerprint(Request(request, parsers=[MultiPartParser(), FormParser()]))

    def pdf(name, size):
        return SimpleUploadedFile(name, b"%" * size, content_type="application/pdf")

    same = fingerprint(reason="late", file=pdf("a.pdf", 10))
    assert fingerprint(reason="late", file=pdf("a.pdf", 10)) == same
    assert fingerprint(reason="late", file=pdf("a.pdf", 11)) != same
    assert fingerprint(reason="late", file=pdf("b.pdf", 10)) != same
    assert fingerprint(reason="early", file=pdf("a.pdf", 10)) != same


# --- at the same time -----------------------------------------------------------------------------


def run_together(*calls):
    """Runs the calls in threads released at once; each thread closes its database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(n, call):
        try:
            barrier.wait()
            results[n] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_pay_once(monkeypatch):
    order = confirmed_order()
    real_start = sandbox.SandboxProvider.start

    def slow_start(self, *, payment):
        # Keeps the first request inside its transaction while the twin arrives.
        threading.Event().wait(0.3)
        return real_start(self, payment=payment)

    monkeypatch.setattr(sandbox.SandboxProvider, "start", slow_start)

    responses = run_together(
        lambda: pay(order, key="together", client=client_for(order.buyer)),
        lambda: pay(order, key="together", client=client_for(order.buyer)),
    )

    ran = [r for r in responses if r.status_code == 201 and not replayed(r)]
    others = [r for r in responses if r not in ran]
    assert len(ran) == 1, [(r.status_code, r.content) for r in responses]
    for other in others:
        assert (other.status_code == 201 and replayed(other)) or (
            other.status_code == 409 and "still being processed" in other.json()["detail"][0]
        ), other.content
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_a_request_whose_twin_is_still_running_is_a_conflict():
    order = confirmed_order()
    assert pay(order, key="busy").status_code == 201
    record = IdempotencyRecord.objects.get()
    # The first request, as if still running: its key's row is locked by another connection.
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(10)
    try:
        response = pay(order, key="busy")
    finally:
        release.set()
        holder.join(10)

    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"][0]
    assert Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_key_left_without_a_response_by_a_crash_runs_on_retry():
    # A crash mid-request rolls back its work; its key's row stays, unlocked and unanswered.
    order = confirmed_order()
    client = client_for(order.buyer)
    probe = APIRequestFactory().post(
        f"{ORDERS}{order.pk}/payments/", {"purpose": "deposit", "method": "card"}, format="json"
    )
    fingerprint = request_fingerprint(Request(probe, parsers=[JSONParser()]))
    IdempotencyRecord.objects.create(
        user=order.buyer, key="crashed", request_fingerprint=fingerprint
    )

    response = pay(order, key="crashed", client=client)

    assert response.status_code == 201 and not replayed(response)
    assert Payment.objects.count() == 1
    assert IdempotencyRecord.objects.get().response_status == 201
    assert_ledger_invariants()
