"""The order flow over HTTP: paying the deposit by card, confirming receipt (which releases the
escrow) and reading an order, against gunicorn on PostgreSQL, beside three baseline endpoints
measured in the same run; then full order lifecycles through the services alone.

Run against PostgreSQL (the server DATABASE_URL names; its own databases are left alone):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pactline
    .venv/bin/python benchmarks/order_flow.py [--rounds 3] [--requests 320] [--keep] [--floors]

What it does, on loopback only, stopping by itself (about two minutes):

1. creates a scratch database `pactline_bench_orders` (dropped first if a previous run left it,
   and dropped at the end unless --keep), migrates it, and seeds, for each of 64 simulated
   clients, its own buyer (with an API token) and supplier, confirmed orders to pay and shipped,
   funded orders (card payment and ledger entries in place) to release, with bulk inserts;
2. starts gunicorn (sync worker, 2 workers, persistent database connections, throttling off)
   serving benchmarks/bench_urls.py: the product's URLs plus the three baselines;
3. drives it from 16 client threads (http.client; the sync worker closes each connection, so
   each request connects anew, as it does for every endpoint alike). Every round runs each
   endpoint for a fixed number of requests, each pay or release request on an order of its
   own; the endpoints' order rotates from round to round. Per endpoint and round: requests per
   second, p50 and p99 latency. Printed: the median of the rounds, each target ratio (median of
   the per-round ratios) with PASS/FAIL, p99/p50, the errors;
4. runs every endpoint once more at 64 clients and counts errors (none allowed);
5. stops gunicorn and runs whole lifecycles in this process through the services (draft,
   both confirmations, deposit and balance by card, shipment, receipt with release) for about
   five seconds.

--floors adds four more endpoints (benchmarks/bench_urls.py): a payment and a release written as
one hand-written SQL statement each behind DRF and token authentication, with none of the
product's rules, notifications or answer, and the same two as plain Django views that read the
token themselves (no DRF). Their ratios show the most these targets leave room for on this
stack, and without DRF.

Targets (issue "Escrow and payments"): payment >= 0.45x the INSERT view, release >= 0.6x the
lock view, detail read >= 0.5x the JSON view, p99/p50 <= 2.5, no errors at 64 clients.

Celery: notifications are queued after commit as in production. With CELERY_BROKER_URL naming
a Redis server, its database 13 is the broker for this run (only if empty; the queue is deleted
at the end); otherwise the in-memory transport. No worker consumes them.
"""

import argparse
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "pactline_bench_orders"
BENCH_REDIS_DB = 13
WORKERS = 2
MAX_CLIENTS = 64
WARMUP_PER_CLIENT = 3
TIME_BUDGET_SECONDS = 270  # rounds not started by then are skipped: the run ends in < 5 min
TOTAL, DEPOSIT = 600_000, 180_000  # each seeded order: US$6,000.00, 30 % deposit

# (label, endpoint over endpoint, least ratio of requests per second)
TARGETS = [
    ("payment (deposit by card) / INSERT view", "pay", "insert", 0.45),
    ("release (confirm receipt) / lock view", "release", "lock", 0.6),
    ("detail read / JSON view", "detail", "json", 0.5),
]
# The same ratios against the baselines behind DRF and token authentication (not targets).
SAME_STACK = [
    ("payment / DRF INSERT view", "pay", "api_insert"),
    ("release / DRF lock view", "release", "api_lock"),
    ("detail read / DRF JSON view", "detail", "api_json"),
]
MAX_P99_OVER_P50 = 2.5
MEASURED = ["pay", "release", "detail"]
ENDPOINTS = {
    # name: (label, expected status)
    "json": ("baseline: plain JSON view", 200),
    "insert": ("baseline: one INSERT", 201),
    "lock": ("baseline: SELECT FOR UPDATE + UPDATE", 200),
    "api_json": ("baseline, DRF + token: JSON", 200),
    "api_insert": ("baseline, DRF + token: one INSERT", 201),
    "api_lock": ("baseline, DRF + token: FOR UPDATE + UPDATE", 200),
    "pay": ("(a) pay the deposit by card", 201),
    "pay_key": ("(a') the same with an Idempotency-Key", 201),
    "release": ("(b) confirm receipt, release", 200),
    "detail": ("(c) order detail read", 200),
    # --floors only: one hand-written statement in place of the step (bench_urls.py)
    "floor_pay": ("floor: pay as one statement", 201),
    "floor_release": ("floor: release as one statement", 200),
    "floor_plain_pay": ("floor without DRF: pay", 201),
    "floor_plain_release": ("floor without DRF: release", 200),
}
FLOORS = [
    ("floor pay / INSERT view", "floor_pay", "insert", 0.45),
    ("floor release / lock view", "floor_release", "lock", 0.6),
    ("floor without DRF: pay / INSERT view", "floor_plain_pay", "insert", 0.45),
    ("floor without DRF: release / lock view", "floor_plain_release", "lock", 0.6),
]


# --- the WSGI application gunicorn serves ---------------------------------------------------------


def configure_settings():
    """The product's settings with the benchmark's URLconf, DEBUG off, plain HTTP, persistent
    database connections and no API throttling. Called before Django sets itself up."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    settings.ROOT_URLCONF = "benchmarks.bench_urls"
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None  # persistent
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def wsgi_application():
    """gunicorn 'benchmarks.order_flow:wsgi_application()'"""
    configure_settings()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


# --- the scratch database and the broker ----------------------------------------------------------


def scratch_database_url(url):
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server (postgres://...).")
    return (
        urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        urlunsplit(parts._replace(path="/postgres")),
    )


def recreate_database(admin_url, *, drop_only=False):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def bench_broker():
    """(broker URL, redis client to clean up or None)."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url.startswith("redis://"):
        parts = urlsplit(url)
        bench_url = urlunsplit(parts._replace(path=f"/{BENCH_REDIS_DB}"))
        try:
            import redis

            client = redis.Redis.from_url(bench_url, socket_timeout=2)
            if client.dbsize() == 0:
                return bench_url, client
        except Exception as exc:  # no Redis after all: the in-memory transport
            print(f"(Redis not usable for the broker: {exc})")
    return "memory://", None


def clean_broker(client):
    if client is None:
        return
    for key in client.scan_iter("*"):  # the database was empty when the run began
        client.delete(key)


# --- seeding --------------------------------------------------------------------------------------


def seed(pay_counts, release_counts):
    """Per client c: a buyer with a token, a supplier, pay_counts[c] confirmed orders and
    release_counts[c] shipped, funded ones. Returns (tokens, pay ids, release ids, lifecycle
    pair), lists indexed by client."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from apps.accounts.models import CompanyProfile, User
    from apps.escrow.models import LedgerAccount, LedgerEntry, LedgerPosting, Payment
    from apps.orders.models import (
        ContractConfirmation,
        ContractLine,
        ContractVersion,
        Order,
        OrderEvent,
    )
    from apps.suppliers.models import SupplierProfile

    now = timezone.now()
    clients = len(pay_counts) + 1  # the last pair runs the in-process lifecycles
    password = make_password(None)
    with transaction.atomic():
        buyers = User.objects.bulk_create(
            User(email=f"bench-buyer-{c}@example.com", role=User.Role.BUYER, password=password)
            for c in range(clients)
        )
        suppliers = User.objects.bulk_create(
            User(
                email=f"bench-supplier-{c}@example.com",
                role=User.Role.SUPPLIER,
                password=password,
            )
            for c in range(clients)
        )
        CompanyProfile.objects.bulk_create(
            CompanyProfile(
                user=user,
                company_name=f"Bench {user.role} {n} Ltd.",
                country="NL",
                contact_name="Bench",
                phone="+31 20 555 0100",
            )
            for n, user in enumerate(buyers + suppliers)
        )
        SupplierProfile.objects.bulk_create(
            SupplierProfile(
                user=supplier,
                verified_at=now - dt.timedelta(days=100),
                gold_until=now + dt.timedelta(days=300),
                ta_amount=10**11,
            )
            for supplier in suppliers
        )
        tokens = Token.objects.bulk_create(
            Token(user=buyer, key=Token.generate_key()) for buyer in buyers
        )

        plan = []  # (client, shipped)
        for c in range(clients - 1):
            plan += [(c, False)] * pay_counts[c] + [(c, True)] * release_counts[c]
        ship_by = now + dt.timedelta(days=45)
        undelivered_release = dt.timedelta(days=settings.PACTLINE_UNDELIVERED_RELEASE_DAYS)
        orders = Order.objects.bulk_create(
            Order(
                buyer=buyers[c],
                buyer_email=buyers[c].email,
                supplier=suppliers[c],
                created_by=suppliers[c],
                status=Order.Status.SHIPPED if shipped else Order.Status.CONFIRMED,
                currency="USD",
                total_amount=TOTAL,
                covered_amount=TOTAL,
                covered_usd=TOTAL,
                ship_by=ship_by,
                confirmed_at=now,
                deposit_paid_at=now if shipped else None,
                funded_at=now if shipped else None,
                shipped_at=now if shipped else None,
                carrier="Maersk" if shipped else "",
                tracking_number=f"MSKU{n:07d}" if shipped else "",
                # As order_ship sets it: a shipped order always has its release date.
                release_due_at=now + undelivered_release if shipped else None,
            )
            for n, (c, shipped) in enumerate(plan)
        )
        versions = ContractVersion.objects.bulk_create(
            ContractVersion(
                order=order,
                number=1,
                created_by=order.supplier,
                created_at=now,
                currency="USD",
                total_amount=TOTAL,
                quality_standard="AQL 2.5 level II; colour temperature 2700 K ± 100 K",
                ship_by_date=ship_by.date(),
                shipping_method="sea",
                incoterm="FOB",
                shipping_address="Noordzee Imports B.V., Havenweg 1, 3089 Rotterdam, NL",
                deposit_percent=30,
            )
            for order in orders
        )
        ContractLine.objects.bulk_create(
            ContractLine(
                version=version,
                position=1,
                product_title="Warm white LED bulb",
                specification="E27, 2700 K, 806 lm, CE/RoHS",
                quantity=500,
                unit_price=1200,
            )
            for version in versions
        )
        for order, version in zip(orders, versions, strict=True):
            order.current_version = version
        Order.objects.bulk_update(orders, ["current_version"], batch_size=2000)
        ContractConfirmation.objects.bulk_create(
            ContractConfirmation(version=version, party=party, user=user, confirmed_at=now)
            for version, order in zip(versions, orders, strict=True)
            for party, user in (("buyer", order.buyer), ("supplier", order.supplier))
        )
        events = []
        for order in orders:
            events += [
                OrderEvent(order=order, type="created", user=order.supplier, to_status="draft"),
                OrderEvent(order=order, type="party_confirmed", user=order.buyer),
                OrderEvent(order=order, type="party_confirmed", user=order.supplier),
                OrderEvent(
                    order=order,
                    type="confirmed",
                    user=order.supplier,
                    from_status="draft",
                    to_status="confirmed",
                ),
            ]
            if order.status == Order.Status.SHIPPED:
                events += [
                    OrderEvent(
                        order=order,
                        type="funded",
                        user=order.buyer,
                        from_status="confirmed",
                        to_status="funded",
                    ),
                    OrderEvent(
                        order=order,
                        type="shipped",
                        user=order.supplier,
                        from_status="funded",
                        to_status="shipped",
                    ),
                ]
        OrderEvent.objects.bulk_create(events, batch_size=5000)

        # The shipped orders were paid in full by card: payment, escrow, ledger entry.
        shipped = [order for order in orders if order.status == Order.Status.SHIPPED]
        payments = Payment.objects.bulk_create(
            Payment(
                order=order,
                payer=order.buyer,
                purpose="full",
                method="card",
                amount=TOTAL,
                received_amount=TOTAL,
                currency="USD",
                status="confirmed",
                provider_reference=f"sbx_bench_{order.pk}",
                created_at=now,
                confirmed_at=now,
            )
            for order in shipped
        )
        escrows = LedgerAccount.objects.bulk_create(
            LedgerAccount(kind="escrow", currency="USD", order=order, balance=TOTAL)
            for order in shipped
        )
        funding = {}
        for order in shipped:
            funding[order.buyer_id] = funding.get(order.buyer_id, 0) - TOTAL
        funding_accounts = {
            account.user_id: account
            for account in LedgerAccount.objects.bulk_create(
                LedgerAccount(kind="buyer_funding", currency="USD", user_id=buyer, balance=total)
                for buyer, total in funding.items()
            )
        }
        entries = LedgerEntry.objects.bulk_create(
            LedgerEntry(
                idempotency_key=f"payment:{payment.pk}:capture",
                kind="payment",
                order=payment.order,
                description=f"{payment.order.reference}: Full amount by Card",
                created_by=payment.payer,
                created_at=now,
            )
            for payment in payments
        )
        LedgerPosting.objects.bulk_create(
            (
                posting
                for entry, order, escrow in zip(entries, shipped, escrows, strict=True)
                for posting in (
                    LedgerPosting(
                        entry=entry,
                        account=funding_accounts[order.buyer_id],
                        amount=-TOTAL,
                        currency="USD",
                    ),
                    LedgerPosting(entry=entry, account=escrow, amount=TOTAL, currency="USD"),
                )
            ),
            batch_size=5000,
        )

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text NOT NULL,"
                " created_at timestamptz NOT NULL)"
            )
            cursor.execute(
                "CREATE TABLE bench_row (id integer PRIMARY KEY, value bigint NOT NULL,"
                " updated_at timestamptz)"
            )
            cursor.execute(
                "INSERT INTO bench_row (id, value) SELECT n, 0 FROM generate_series(1, %s) n",
                [MAX_CLIENTS],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    pay_ids = [[] for _ in range(clients - 1)]
    release_ids = [[] for _ in range(clients - 1)]
    for (c, was_shipped), order in zip(plan, orders, strict=True):
        (release_ids if was_shipped else pay_ids)[c].append(order.pk)
    keys = [token.key for token in tokens]
    return keys[:-1], pay_ids, release_ids, (buyers[-1], suppliers[-1])


# --- the load -------------------------------------------------------------------------------------


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Orders:
    """Each client's orders, handed out once each (pay, release) or round-robin (detail)."""

    def __init__(self, pay_ids, release_ids):
        self.unused = {
            "pay": [list(ids) for ids in pay_ids],
            "release": [list(ids) for ids in release_ids],
        }
        self.readable = [list(ids) for ids in release_ids]
        self.read_at = [0] * len(release_ids)

    def take(self, kind, client):
        pool = self.unused["release" if kind == "release" else "pay"][client]
        if not pool:
            raise RuntimeError(f"client {client} ran out of orders for {kind}")
        return pool.pop()

    def read(self, client):
        ids = self.readable[client]
        self.read_at[client] += 1
        return ids[self.read_at[client] % len(ids)]


def request_for(endpoint, client, n, orders, tokens, run_id):
    """(method, path, body, headers) of request n of `client` on `endpoint`."""
    auth = {"Authorization": f"Token {tokens[client]}", "Accept": "application/json"}
    json_body = {"Content-Type": "application/json"}
    if endpoint in ("json", "insert", "lock", "api_json", "api_insert", "api_lock"):
        if endpoint.startswith("api_"):
            prefix, headers = "/bench/api/", {**auth, **json_body}
        else:
            prefix, headers = "/bench/", json_body
        if endpoint.endswith("json"):
            return "GET", f"{prefix}json/", None, headers
        if endpoint.endswith("insert"):
            body = json.dumps({"client": client, "n": n})
            return "POST", f"{prefix}insert/", body, headers
        return "POST", f"{prefix}lock/{client + 1}/", "{}", headers
    if endpoint in ("pay", "pay_key"):
        order = orders.take("pay", client)
        body = json.dumps({"purpose": "deposit", "method": "card"})
        headers = {**auth, **json_body}
        if endpoint == "pay_key":
            headers["Idempotency-Key"] = f"bench-{run_id}-{order}"
        return "POST", f"/api/v1/orders/{order}/payments/", body, headers
    if endpoint == "release":
        order = orders.take("release", client)
        return "POST", f"/api/v1/orders/{order}/confirm-receipt/", "", {**auth, **json_body}
    if endpoint.startswith("floor_"):
        step = endpoint.removeprefix("floor_").removeprefix("plain_")
        order = orders.take(step, client)
        prefix = "/bench/plain/floor/" if "_plain_" in endpoint else "/bench/api/floor/"
        return "POST", f"{prefix}{step}/{order}/", "{}", {**auth, **json_body}
    if endpoint == "detail":
        return "GET", f"/api/v1/orders/{orders.read(client)}/", None, auth
    raise ValueError(endpoint)


def run_batch(port, endpoint, clients, per_client, orders, tokens, run_id):
    """`clients` threads, each sending `per_client` requests one after the other. Returns
    requests per second, latencies (s) and the errors."""
    expected = ENDPOINTS[endpoint][1]
    plans = [
        [
            request_for(endpoint, c, n, orders, tokens, run_id)
            for n in range(per_client)  # built beforehand: not timed
        ]
        for c in range(clients)
    ]
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    finished = [0.0] * clients

    def client(c):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, failed = [], []
        barrier.wait()
        for method, path, body, headers in plans[c]:
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                status, content = None, repr(exc).encode()
            mine.append(time.perf_counter() - started)
            if status != expected:
                failed.append(f"{method} {path} -> {status}: {content[:160]!r}")
        finished[c] = time.perf_counter()
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = max(finished) - began
    return len(latencies) / wall, latencies, errors


def figures(result):
    rps, latencies, errors = result
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return {"rps": rps, "p50": p50 * 1000, "p99": p99 * 1000, "ratio": p99 / p50, "errors": errors}


# --- gunicorn -------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port, env):
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "benchmarks.order_flow:wsgi_application()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/bench/json/")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(process):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- lifecycles through the services --------------------------------------------------------------


def lifecycles(buyer, supplier, seconds):
    """Whole orders, one after the other: draft, both confirmations, deposit and balance by card,
    shipment, receipt with release. Returns (count, elapsed seconds)."""
    import datetime as dt

    from django.utils import timezone

    from apps.escrow import services as escrow
    from apps.orders import services as orders
    from apps.orders.services import ContractTerms, LineInput

    def terms():
        return ContractTerms(
            lines=[LineInput("Warm white LED bulb", "E27, 2700 K, 806 lm, CE/RoHS", 500, 1200)],
            currency="USD",
            quality_standard="AQL 2.5 level II",
            shipping_method="sea",
            incoterm="FOB",
            shipping_address="Noordzee Imports B.V., Havenweg 1, 3089 Rotterdam, NL",
            deposit_percent=30,
            ship_by_date=timezone.localdate() + dt.timedelta(days=45),
        )

    def one():
        order = orders.order_draft_for_buyer(
            supplier=supplier, buyer_email=buyer.email, terms=terms()
        )
        orders.contract_confirm(order=order, acting_user=buyer, version_number=1)
        orders.contract_confirm(order=order, acting_user=supplier, version_number=1)
        escrow.payment_start(order=order, acting_user=buyer, purpose="deposit", method="card")
        escrow.payment_start(order=order, acting_user=buyer, purpose="balance", method="card")
        orders.order_ship(order=order, acting_user=supplier, carrier="DHL", tracking_number="JD1")
        order = orders.order_confirm_receipt(order=order, acting_user=buyer)
        assert order.status == "completed" and escrow.escrow_held(order) == 0

    one()  # warm-up
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds and count < 10_000:
        one()
        count += 1
    return count, time.perf_counter() - started


# --- the run --------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    parser.add_argument(
        "--requests", type=int, default=320, help="requests per endpoint per round (16 clients)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--check-clients", type=int, default=MAX_CLIENTS)
    parser.add_argument("--lifecycle-seconds", type=float, default=5.0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--floors",
        action="store_true",
        help="also measure pay and release as one hand-written statement each (bench_urls.py)",
    )
    args = parser.parse_args()
    args.rounds = max(args.rounds, 3)
    args.clients = min(args.clients, MAX_CLIENTS)
    args.check_clients = min(args.check_clients, MAX_CLIENTS)
    args.per_client = max(args.requests // args.clients, 1)

    bench_url, admin_url = scratch_database_url(
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/pactline"
    )
    broker_url, redis_client = bench_broker()
    recreate_database(admin_url)
    os.environ.update(
        {
            "DATABASE_URL": bench_url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_BROKER_URL": broker_url,
            "CACHE_URL": "",  # the settings' default (a file cache) unless Redis below
            "CACHE_KEY_PREFIX": "pactline-bench",
            "DEBUG": "false",
            "HTTPS_ONLY": "false",
            "CONN_MAX_AGE": "600",
        }
    )
    if broker_url.startswith("redis://"):
        os.environ["CACHE_URL"] = broker_url  # same (scratch) Redis database, cleaned after
    sys.path.insert(0, str(ROOT))
    state = {}
    try:
        run(args, broker_url, state)
    finally:
        stop_gunicorn(state.get("gunicorn"))
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, drop_only=True)
        clean_broker(redis_client)


def run(args, broker_url, state):
    import django

    configure_settings()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    rounds, per_client, clients = args.rounds, args.per_client, args.clients
    check_per_client = 4
    names = [name for name in ENDPOINTS if args.floors or not name.startswith("floor_")]
    pay_kinds = sum(name in ("pay", "pay_key", "floor_pay", "floor_plain_pay") for name in names)
    release_kinds = sum(
        name in ("release", "floor_release", "floor_plain_release") for name in names
    )
    pay_counts, release_counts = [], []
    for c in range(MAX_CLIENTS):
        busy = (WARMUP_PER_CLIENT + rounds * per_client) if c < clients else 0
        check = check_per_client if c < args.check_clients else 0
        pay_counts.append(pay_kinds * (busy + check))
        release_counts.append(release_kinds * (busy + check))
    tokens, pay_ids, release_ids, (buyer, supplier) = seed(pay_counts, release_counts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    connection.close()
    print(
        f"Scratch database {BENCH_DB}: migrated and seeded with {sum(pay_counts)} confirmed and "
        f"{sum(release_counts)} shipped orders ({time.monotonic() - t0:.1f} s)",
        flush=True,
    )

    port = free_port()
    state["gunicorn"] = start_gunicorn(port, dict(os.environ))
    orders = Orders(pay_ids, release_ids)
    run_id = int(time.time())

    for name in names:  # warm-up: connections, caches, code paths
        run_batch(port, name, clients, WARMUP_PER_CLIENT, orders, tokens, run_id)

    results = {name: [] for name in names}
    skipped = 0
    for r in range(rounds):
        if time.monotonic() - t0 > TIME_BUDGET_SECONDS:
            skipped = rounds - r
            break
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            results[name].append(
                figures(run_batch(port, name, clients, per_client, orders, tokens, run_id))
            )
        print(f"round {r + 1} done ({time.monotonic() - t0:.0f} s)", flush=True)

    check = {
        name: figures(
            run_batch(port, name, args.check_clients, check_per_client, orders, tokens, run_id)
        )
        for name in names
    }
    stop_gunicorn(state["gunicorn"])

    count, elapsed = lifecycles(buyer, supplier, args.lifecycle_seconds)
    report(args, server, broker_url, results, skipped, check, count, elapsed)
    print(f"(whole run {time.monotonic() - t0:.0f} s)")


def report(args, server, broker_url, results, skipped, check, count, elapsed):
    done = len(results["json"])
    print()
    print(
        f"Order flow: gunicorn sync, {WORKERS} workers, persistent DB connections, {server}, "
        f"{os.cpu_count()} CPUs (shared by server, database and clients), broker {broker_url}"
    )
    print(
        f"{args.clients} clients, {done} interleaved rounds x {args.clients * args.per_client} "
        f"requests per endpoint (each pay/release request on an order of its own)"
        + (f"; {skipped} rounds skipped (time budget)" if skipped else "")
    )
    print()
    header = f"{'endpoint':<42}{'round':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}"
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        for r, row in enumerate(rows, start=1):
            print(
                f"{ENDPOINTS[name][0]:<42}{r:>6}{row['rps']:>9.1f}{row['p50']:>9.1f}"
                f"{row['p99']:>9.1f}{row['ratio']:>9.2f}"
            )
    print()
    print("Median of rounds")
    header = f"{'endpoint':<42}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    medians = {}
    for name, rows in results.items():
        medians[name] = {
            key: statistics.median(row[key] for row in rows) for key in ("rps", "p50", "p99")
        }
        medians[name]["ratio"] = statistics.median(row["ratio"] for row in rows)
        errors = sum(len(row["errors"]) for row in rows)
        m = medians[name]
        print(
            f"{ENDPOINTS[name][0]:<42}{m['rps']:>9.1f}{m['p50']:>9.1f}{m['p99']:>9.1f}"
            f"{m['ratio']:>9.2f}{errors:>8}"
        )
    print()
    print("Targets (ratios: median of the per-round ratios of requests per second)")
    verdicts = []
    for label, measured, baseline, least in TARGETS:
        ratios = [
            a["rps"] / b["rps"] for a, b in zip(results[measured], results[baseline], strict=True)
        ]
        ratio = statistics.median(ratios)
        ok = ratio >= least
        verdicts.append(ok)
        per_round = ", ".join(f"{x:.2f}" for x in ratios)
        print(
            f"  {label:<42}{ratio:>6.2f}x  target >= {least:.2f}x  {'PASS' if ok else 'FAIL'}"
            f"   (rounds: {per_round})"
        )
    for label, measured, baseline in SAME_STACK:
        ratios = [
            a["rps"] / b["rps"] for a, b in zip(results[measured], results[baseline], strict=True)
        ]
        print(f"  {label:<42}{statistics.median(ratios):>6.2f}x  (same stack; not a target)")
    for label, measured, baseline, least in FLOORS:
        if measured in results:
            ratios = [
                a["rps"] / b["rps"]
                for a, b in zip(results[measured], results[baseline], strict=True)
            ]
            floor = statistics.median(ratios)
            print(
                f"  {label:<42}{floor:>6.2f}x  (the step's target is >= {least:.2f}x; a floor, "
                "not the product"
                + ("; below the target itself in this run)" if floor < least else ")")
            )
    for name in MEASURED:
        ratio = medians[name]["ratio"]
        ok = ratio <= MAX_P99_OVER_P50
        verdicts.append(ok)
        print(
            f"  p99/p50 {ENDPOINTS[name][0]:<34}{ratio:>6.2f}   target <= {MAX_P99_OVER_P50}   "
            f"{'PASS' if ok else 'FAIL'}"
        )
    errors16 = sum(len(row["errors"]) for rows in results.values() for row in rows)
    errors64 = sum(len(row["errors"]) for row in check.values())
    print(f"  errors at {args.clients} clients: {errors16}")
    verdicts.append(errors64 == 0)
    print(
        f"  errors at {args.check_clients} clients: {errors64}   target 0   "
        f"{'PASS' if errors64 == 0 else 'FAIL'}"
    )
    print()
    print(f"{args.check_clients} clients, one pass of {args.check_clients * 4} requests each")
    for name, row in check.items():
        print(
            f"  {ENDPOINTS[name][0]:<42}{row['rps']:>9.1f} req/s  p50 {row['p50']:>7.1f} ms  "
            f"p99 {row['p99']:>7.1f} ms  errors {len(row['errors'])}"
        )
    samples = [e for rows in results.values() for row in rows for e in row["errors"]]
    samples += [e for row in check.values() for e in row["errors"]]
    for sample in samples[:5]:
        print(f"  error: {sample}")
    print()
    print(
        f"Lifecycles through the services alone (1 thread, in process: draft, 2 confirmations, "
        f"deposit + balance by card, ship, receipt + release): {count} in {elapsed:.1f} s = "
        f"{count / elapsed:.1f}/s ({elapsed / max(count, 1) * 1000:.1f} ms each)"
    )
    print()
    print("All targets met." if all(verdicts) else "Some targets missed (FAIL above).")


if __name__ == "__main__":
    main()
