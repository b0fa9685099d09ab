"""The URLconf of benchmarks/order_flow.py, and only of it (the product's URLs never include
it): every route of config.urls, so the real API serves the order flow and the services can
reverse the portal links they put in notifications, plus three baselines that show what this
stack costs with nearly nothing to do:

  GET  /bench/json/          a plain JSON answer, no database;
  POST /bench/insert/        one INSERT (autocommit) into bench_insert;
  POST /bench/lock/<id>/     SELECT ... FOR UPDATE of one bench_row, then UPDATE it, in one
                             transaction.

The same three as DRF views under /bench/api/..., with the API's token authentication and
permission, show how much of an API call's cost is the framework and how much the order flow.

Two floors (order_flow.py --floors) show the most a payment and a release could reach on this
stack: DRF views with the API's token authentication whose whole work is one hand-written
statement writing what the product's step writes (payment, ledger entry and postings, account
balances, order status, event, notification row), with none of the product's rules: no
checks beyond the order's status and buyer, a fixed notification text in English, no Celery
message, no Idempotency-Key, a two-field answer instead of the order document. The same two
are served again as plain Django views under /bench/plain/floor/..., reading the token with one
statement of their own instead of DRF's authentication, to show what DRF itself costs. They are
measurements, never a way to pay: this URLconf serves only the benchmark.

order_flow.py creates the two tables in its scratch database; nothing else has them."""

import secrets

from django.db import connection, transaction
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler403, handler404, handler429, handler500  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns


def insert_row(payload):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_insert (payload, created_at) VALUES (%s, now()) RETURNING id",
            [payload[:200]],
        )
        return cursor.fetchone()[0]


def lock_and_update_row(row_id):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_row WHERE id = %s FOR UPDATE", [row_id])
        (value,) = cursor.fetchone()
        cursor.execute(
            "UPDATE bench_row SET value = %s, updated_at = now() WHERE id = %s",
            [value + 1, row_id],
        )
    return value + 1


@require_GET
def plain_json(request):
    return JsonResponse({"status": "ok", "service": "pactline"})


@csrf_exempt
@require_POST
def one_insert(request):
    return JsonResponse({"id": insert_row(request.body.decode())}, status=201)


@csrf_exempt
@require_POST
def lock_and_update(request, row_id):
    return JsonResponse({"id": row_id, "value": lock_and_update_row(row_id)})


class ApiJson(APIView):
    def get(self, request):
        return Response({"status": "ok", "service": "pactline"})


class ApiInsert(APIView):
    def post(self, request):
        return Response({"id": insert_row(request.body.decode())}, status=201)


class ApiLock(APIView):
    def post(self, request, row_id):
        return Response({"id": row_id, "value": lock_and_update_row(row_id)})


urlpatterns = [
    path("bench/json/", plain_json),
    path("bench/insert/", one_insert),
    path("bench/lock/<int:row_id>/", lock_and_update),
    path("bench/api/json/", ApiJson.as_view()),
    path("bench/api/insert/", ApiInsert.as_view()),
    path("bench/api/lock/<int:row_id>/", ApiLock.as_view()),
    *product_urlpatterns,
]


# --- floors: one statement in place of the product's step -----------------------------------------

FLOOR_PAY_SQL = """
WITH upd AS (
    UPDATE orders_order SET status = 'deposit_paid', deposit_paid_at = now(), updated_at = now()
     WHERE id = %(order)s AND status = 'confirmed' AND buyer_id = %(buyer)s
 RETURNING id, buyer_id, supplier_id
), pay AS (
    INSERT INTO escrow_payment (order_id, payer_id, purpose, method, amount, received_amount,
        currency, status, provider, provider_reference, instructions, created_at, confirmed_at)
    SELECT id, buyer_id, 'deposit', 'card', %(amount)s, %(amount)s, 'USD', 'confirmed',
           'sandbox', %(ref)s, '{}'::jsonb, now(), now() FROM upd
 RETURNING id
), esc AS (
    INSERT INTO escrow_ledgeraccount (kind, currency, order_id, balance)
    SELECT 'escrow', 'USD', id, %(amount)s FROM upd
    ON CONFLICT DO NOTHING RETURNING id
), fund AS (
    UPDATE escrow_ledgeraccount a SET balance = a.balance - %(amount)s FROM upd
     WHERE a.kind = 'buyer_funding' AND a.currency = 'USD' AND a.user_id = upd.buyer_id
       AND a.order_id IS NULL
 RETURNING a.id
), ent AS (
    INSERT INTO escrow_ledgerentry (idempotency_key, kind, description, created_at,
        created_by_id, order_id)
    SELECT 'payment:' || pay.id || ':capture', 'payment', 'floor', now(), %(buyer)s, %(order)s
      FROM pay RETURNING id
), post AS (
    INSERT INTO escrow_ledgerposting (entry_id, account_id, amount, currency)
    SELECT ent.id, fund.id, -%(amount)s, 'USD' FROM ent, fund
    UNION ALL SELECT ent.id, esc.id, %(amount)s, 'USD' FROM ent, esc
), ev AS (
    INSERT INTO orders_orderevent (order_id, type, user_id, from_status, to_status, parameters,
        created_at)
    SELECT id, 'deposit_paid', buyer_id, 'confirmed', 'deposit_paid', '{}'::jsonb, now() FROM upd
), note AS (
    INSERT INTO accounts_notification (user_id, kind, subject, body, link, created_at,
        email_attempts, email_last_error)
    SELECT supplier_id, 'order_payment_received', %(subject)s, %(body)s, '', now(), 0, ''
      FROM upd
)
SELECT pay.id FROM pay
"""

FLOOR_RELEASE_SQL = """
WITH upd AS (
    UPDATE orders_order SET status = 'completed', completed_at = now(), updated_at = now()
     WHERE id = %(order)s AND status = 'shipped' AND buyer_id = %(buyer)s
 RETURNING id, buyer_id, supplier_id
), esc AS (
    UPDATE escrow_ledgeraccount a SET balance = 0 FROM upd, escrow_ledgeraccount held
     WHERE a.kind = 'escrow' AND a.currency = 'USD' AND a.order_id = upd.id
       AND a.user_id IS NULL AND held.id = a.id
 RETURNING a.id, held.balance AS amount
), sup AS (
    INSERT INTO escrow_ledgeraccount (kind, currency, user_id, balance)
    SELECT 'supplier_payable', 'USD', upd.supplier_id, esc.amount FROM upd, esc
    ON CONFLICT (kind, currency, user_id) WHERE order_id IS NULL AND user_id IS NOT NULL
    DO UPDATE SET balance = escrow_ledgeraccount.balance + EXCLUDED.balance
    RETURNING id
), ent AS (
    INSERT INTO escrow_ledgerentry (idempotency_key, kind, description, created_at,
        created_by_id, order_id)
    SELECT 'release:' || id, 'release', 'floor', now(), %(buyer)s, id FROM upd
    RETURNING id
), post AS (
    INSERT INTO escrow_ledgerposting (entry_id, account_id, amount, currency)
    SELECT ent.id, esc.id, -esc.amount, 'USD' FROM ent, esc
    UNION ALL SELECT ent.id, sup.id, esc.amount, 'USD' FROM ent, esc, sup
), ev AS (
    INSERT INTO orders_orderevent (order_id, type, user_id, from_status, to_status, parameters,
        created_at)
    SELECT id, 'completed', buyer_id, 'shipped', 'completed', '{}'::jsonb, now() FROM upd
), note AS (
    INSERT INTO accounts_notification (user_id, kind, subject, body, link, created_at,
        email_attempts, email_last_error)
    SELECT supplier_id, 'order_completed', %(subject)s, %(body)s, '', now(), 0, '' FROM upd
)
SELECT id FROM upd
"""


def _floor_run(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return row[0]


class FloorPay(APIView):
    """The deposit by card: one read (the total), then one statement."""

    def post(self, request, order_id):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT total_amount FROM orders_order WHERE id = %s AND buyer_id = %s",
                [order_id, request.user.pk],
            )
            row = cursor.fetchone()
        if row is None:
            raise Http404
        payment = _floor_run(
            FLOOR_PAY_SQL,
            {
                "order": order_id,
                "buyer": request.user.pk,
                "amount": row[0] * 3 // 10,
                "ref": f"sbx_{secrets.token_hex(10)}",
                "subject": f"PL-{order_id:06d}: payment received in escrow",
                "body": "Deposit received in escrow.",
            },
        )
        return Response({"id": payment, "status": "confirmed"}, status=201)


class FloorRelease(APIView):
    """Confirm receipt: one statement."""

    def post(self, request, order_id):
        _floor_run(
            FLOOR_RELEASE_SQL,
            {
                "order": order_id,
                "buyer": request.user.pk,
                "subject": f"PL-{order_id:06d}: receipt confirmed, order completed",
                "body": "The escrow was released to you.",
            },
        )
        return Response({"id": order_id, "status": "completed"})


def _token_user(request):
    """The buyer the request's token names (one statement), as a plain view would read it."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.user_id FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id"
            " WHERE t.key = %s AND u.is_active",
            [key if scheme == "Token" else ""],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return row[0]


class _User:
    def __init__(self, pk):
        self.pk = pk


def _plain(view_class):
    """The floor's APIView work as a plain Django view: the token read by hand, no DRF."""

    @csrf_exempt
    @require_POST
    def view(request, order_id):
        request.user = _User(_token_user(request))
        answer = view_class.post(None, request, order_id)
        return JsonResponse(answer.data, status=answer.status_code)

    return view


urlpatterns[:0] = [
    path("bench/api/floor/pay/<int:order_id>/", FloorPay.as_view()),
    path("bench/api/floor/release/<int:order_id>/", FloorRelease.as_view()),
    path("bench/plain/floor/pay/<int:order_id>/", _plain(FloorPay)),
    path("bench/plain/floor/release/<int:order_id>/", _plain(FloorRelease)),
]
