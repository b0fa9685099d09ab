"""The clock at scale: the auto-release and overdue sweeps over 10 thousand and 1 million orders
with the same due work, beside pgbench on the same server, then one worker against two.

Run against PostgreSQL (the server DATABASE_URL names; its own databases are left alone) with
a Redis broker for the worker part:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pactline
    export CELERY_BROKER_URL=redis://127.0.0.1:6379/0
    .venv/bin/python benchmarks/sweeps.py [--sizes 10000 1000000] [--due 5000] [--keep]

What it does (about five minutes; it stops by itself):

1. `pgbench -b simple-update` at one client for 10 s on a scratch database of its own: the
   transactions per second this server does for a small read-write transaction;
2. creates the scratch database `pactline_bench_sweeps`, migrates it, and for each size seeds
   that many orders with INSERT ... SELECT (buyers and suppliers, orders in every state, and the
   escrow of every shipped order: its account, a payment entry and postings). Of them, the
   same `--due` (5,000) are due at every size: half shipped with their receiving time over (for
   the auto-release), half funded and past their ship-by date (for the overdue rule); the rest
   are shipped, funded, completed or confirmed with deadlines still ahead. Then ANALYZE, and the
   EXPLAIN of each rule's due query;
3. runs each sweep in this process (one worker), chunks of PACTLINE_SWEEP_CHUNK_SIZE, and prints
   per size and rule: seconds, due orders handled per second, queries per handled order; then
   the time ratio between the sizes, and releases per second against half the pgbench TPS;
4. seeds `--worker-due` (20,000) due orders, half of them to release, and lets real Celery
   workers (one, then two worker processes, prefork concurrency 1 each) take the fanned-out
   chunks of one auto-release sweep, timed from the sweep's start to the last order released
   (polled every 0.1 s); prints the speed-up.

Targets (issue "The clock"): time ratio 1M/10k <= 1.5; releases (ledger rows included) per
second >= half the pgbench TPS at one client; two workers >= 1.3x one.
"""

import argparse
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "pactline_bench_sweeps"
PGBENCH_DB = "pactline_bench_pgbench"
BENCH_REDIS_DB = 12
SUPPLIERS, BUYERS = 200, 1000
TOTAL = 600_000  # each order: US$6,000.00
RULES = ["orders.auto_release", "orders.overdue"]


def urls(url):
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL server (postgres://...).")
    return (
        urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        urlunsplit(parts._replace(path="/postgres")),
        parts,
    )


def recreate(admin_url, name, *, drop_only=False):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def pgbench_tps(admin_url, parts):
    recreate(admin_url, PGBENCH_DB)
    base = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    base += ["-U", parts.username or "postgres"]
    try:
        subprocess.run(
            ["pgbench", *base, "-i", "-s", "1", "-q", PGBENCH_DB],
            check=True,
            capture_output=True,
        )
        run = subprocess.run(
            ["pgbench", *base, "-b", "simple-update", "-c", "1", "-T", "10", PGBENCH_DB],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        recreate(admin_url, PGBENCH_DB, drop_only=True)
    return float(re.search(r"tps = ([\d.]+)", run.stdout).group(1))


# --- seeding ------------------------------------------------------------------------------------


def seed(size, due, now):
    """`size` orders, `due` of them due (half for each rule), with bulk SQL."""
    from django.db import connection

    half = due // 2
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_order, escrow_ledgeraccount, escrow_ledgerentry, "
            "escrow_ledgerposting, accounts_notification, orders_orderevent RESTART IDENTITY "
            "CASCADE"
        )
        cursor.execute("SELECT count(*) FROM accounts_user")
        if cursor.fetchone()[0] == 0:
            cursor.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, first_name, last_name,
                    is_staff, is_active, date_joined, email, role, timezone, language)
                SELECT '!', false, '', '', false, true, %(now)s,
                    CASE WHEN g <= %(suppliers)s THEN 'supplier' || g || '@bench.test'
                         ELSE 'buyer' || g || '@bench.test' END,
                    CASE WHEN g <= %(suppliers)s THEN 'supplier' ELSE 'buyer' END,
                    CASE WHEN g %% 2 = 0 THEN 'Europe/Amsterdam' ELSE 'Asia/Shanghai' END,
                    CASE WHEN g %% 3 = 0 THEN 'nl' ELSE 'en' END
                FROM generate_series(1, %(people)s) g
                """,
                {"now": now, "suppliers": SUPPLIERS, "people": SUPPLIERS + BUYERS},
            )
        # Orders: 1..half due for release, half+1..due past ship-by, the rest not due.
        cursor.execute(
            """
            INSERT INTO orders_order (status, currency, total_amount, buyer_id, supplier_id,
                buyer_email, cancel_reason, carrier, tracking_number, covered_amount,
                covered_usd, receipt_extended_by_buyer, receipt_extended_by_supplier,
                created_at, updated_at, confirmed_at, funded_at, shipped_at, delivered_at,
                completed_at, ship_by, ship_by_original, release_due_at, pay_by)
            SELECT s.status, 'USD', %(total)s, %(suppliers)s + 1 + (g %% %(buyers)s),
                1 + (g %% %(suppliers)s), '', '', 'Maersk', 'MSKU' || g, 0, 0, false, false,
                %(now)s - interval '90 days', %(now)s, %(now)s - interval '80 days',
                %(now)s - interval '75 days',
                CASE WHEN s.status IN ('shipped', 'completed')
                     THEN %(now)s - interval '61 days' END,
                CASE WHEN s.status = 'shipped' AND g %% 2 = 0
                     THEN %(now)s - interval '20 days' END,
                CASE WHEN s.status = 'completed' THEN %(now)s - interval '10 days' END,
                s.ship_by, s.ship_by, s.release_due_at,
                CASE WHEN s.status = 'confirmed' THEN %(now)s + interval '5 days' END
            FROM generate_series(1, %(size)s) g,
            LATERAL (SELECT
                CASE WHEN g <= %(half)s THEN 'shipped'
                     WHEN g <= %(due)s THEN 'funded'
                     WHEN g %% 4 = 0 THEN 'shipped'
                     WHEN g %% 4 = 1 THEN 'funded'
                     WHEN g %% 4 = 2 THEN 'completed'
                     ELSE 'confirmed' END AS status,
                CASE WHEN g <= %(half)s THEN NULL
                     WHEN g <= %(due)s THEN %(now)s - (g || ' seconds')::interval
                     ELSE %(now)s + ((1 + g %% 40) || ' days')::interval END AS ship_by,
                CASE WHEN g <= %(half)s THEN %(now)s - (g || ' seconds')::interval
                     ELSE %(now)s + ((1 + g %% 30) || ' days')::interval END AS release_due_at
            ) s
            """,
            {
                "now": now,
                "total": TOTAL,
                "size": size,
                "half": half,
                "due": due,
                "suppliers": SUPPLIERS,
                "buyers": BUYERS,
            },
        )
        # The escrow of every due shipped order: its account, funded by a payment entry.
        cursor.execute(
            """
            INSERT INTO escrow_ledgeraccount (kind, currency, user_id, balance)
            SELECT 'buyer_funding', 'USD', u.id, 0 FROM accounts_user u WHERE u.role = 'buyer'
            """
        )
        cursor.execute(
            """
            INSERT INTO escrow_ledgeraccount (kind, currency, order_id, balance)
            SELECT 'escrow', 'USD', o.id, o.total_amount FROM orders_order o WHERE o.id <= %s
            """,
            [half],
        )
        cursor.execute(
            """
            INSERT INTO escrow_ledgerentry (idempotency_key, kind, order_id, description,
                created_at)
            SELECT 'payment:seed:' || o.id, 'payment', o.id, 'seeded payment', %s
            FROM orders_order o WHERE o.id <= %s
            """,
            [now - dt.timedelta(days=75), half],
        )
        cursor.execute(
            """
            INSERT INTO escrow_ledgerposting (entry_id, account_id, amount, currency)
            SELECT e.id, a.id, o.total_amount, 'USD'
            FROM escrow_ledgerentry e JOIN orders_order o ON o.id = e.order_id
            JOIN escrow_ledgeraccount a ON a.order_id = o.id AND a.kind = 'escrow'
            UNION ALL
            SELECT e.id, f.id, -o.total_amount, 'USD'
            FROM escrow_ledgerentry e JOIN orders_order o ON o.id = e.order_id
            JOIN escrow_ledgeraccount f ON f.user_id = o.buyer_id AND f.kind = 'buyer_funding'
            """
        )
        cursor.execute(
            """
            UPDATE escrow_ledgeraccount f SET balance = -t.paid
            FROM (SELECT p.account_id, sum(-p.amount) AS paid FROM escrow_ledgerposting p
                  WHERE p.amount < 0 GROUP BY p.account_id) t
            WHERE f.id = t.account_id
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def explain(rule_name, now):
    from apps.core.sweeps import rule_get

    rule = rule_get(rule_name)
    return rule.due(now).order_by(rule.deadline, "pk").values("pk").explain()


def measure(rule_name, now):
    from django.db import connection

    from apps.core.sweeps import sweep_run

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = sweep_run(rule_name, now=now)
        seconds = time.perf_counter() - started
    return seconds, result.done, queries, result.failed


# --- workers ------------------------------------------------------------------------------------


def run_workers(count, env, half, now, chunk_size):
    """Starts `count` worker processes, fans one auto-release sweep out to them, and returns
    the seconds from the sweep's start until every due order is completed."""
    import redis
    from django.db import connection

    from apps.core.sweeps import sweep_run

    # Only this run's work: the inline runs above queued their notification emails here.
    redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete(env["CELERY_TASK_DEFAULT_QUEUE"])
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--hostname",
                f"bench{n}-{uuid.uuid4().hex[:6]}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]
    try:
        from config.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= count:
                break
        started = time.perf_counter()
        result = sweep_run("orders.auto_release", now=now, fan_out=True, chunk_size=chunk_size)
        assert result.queued_chunks > 1, "the sweep should fan out"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM orders_order WHERE id <= %s AND status = 'shipped'",
                    [half],
                )
                left = cursor.fetchone()[0]
            if left == 0:
                return time.perf_counter() - started
            time.sleep(0.1)
        raise RuntimeError(f"{left} orders still due after 300 s")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


# --- main ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--due", type=int, default=5_000)
    parser.add_argument(
        "--worker-due",
        type=int,
        default=20_000,
        help="due orders for the worker runs (half released)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the first release run")
    args = parser.parse_args()

    bench_url, admin_url, parts = urls(os.environ.get("DATABASE_URL", ""))
    broker = os.environ.get("CELERY_BROKER_URL", "")
    queue = f"bench-sweeps-{uuid.uuid4().hex[:8]}"
    if broker.startswith("redis"):
        broker = re.sub(r"/\d*$", "", broker.rstrip("/")) + f"/{BENCH_REDIS_DB}"
    os.environ.update(
        {
            "DATABASE_URL": bench_url,
            "CELERY_BROKER_URL": broker or "memory://",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    sys.path.insert(0, str(ROOT))

    print("pgbench -b simple-update, 1 client, 10 s ...", flush=True)
    tps = pgbench_tps(admin_url, parts)
    print(f"  {tps:.0f} TPS\n", flush=True)

    recreate(admin_url, BENCH_DB)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    chunk = settings.PACTLINE_SWEEP_CHUNK_SIZE
    figures = {}
    try:
        # Warm-up, not measured: the first sweep in a process pays for loading templates,
        # translations and Django's caches; the measured sizes should not.
        seed(2_000, 400, now)
        for rule in RULES:
            measure(rule, now)
        for size in args.sizes:
            started = time.perf_counter()
            seed(size, args.due, now)
            print(
                f"{size:>9,} orders seeded in {time.perf_counter() - started:.1f} s "
                f"({args.due:,} due)",
                flush=True,
            )
            for rule in RULES:
                print(f"  EXPLAIN {rule}:")
                for line in explain(rule, now).splitlines():
                    print(f"    {line}")
                if args.profile and rule == RULES[0] and size == args.sizes[0]:
                    import cProfile
                    import pstats

                    profiler = cProfile.Profile()
                    profiler.enable()
                    seconds, done, queries, failed = measure(rule, now)
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                else:
                    seconds, done, queries, failed = measure(rule, now)
                assert done == args.due // 2 and failed == 0, (rule, done, failed)
                figures[(size, rule)] = (seconds, done, queries)
                print(
                    f"  {rule}: {done:,} handled in {seconds:.2f} s = {done / seconds:,.0f}/s, "
                    f"{queries / done:.3f} queries per order",
                    flush=True,
                )
        print()
        print(f"{'rule':<22}{'size':>11}{'seconds':>9}{'per s':>9}{'queries/order':>15}")
        for (size, rule), (seconds, done, queries) in figures.items():
            rate = done / seconds
            print(f"{rule:<22}{size:>11,}{seconds:>9.2f}{rate:>9,.0f}{queries / done:>15.3f}")
        small, large = min(args.sizes), max(args.sizes)
        if small != large:
            for rule in RULES:
                ratio = figures[(large, rule)][0] / figures[(small, rule)][0]
                verdict = "PASS" if ratio <= 1.5 else "FAIL"
                print(f"time ratio {large:,}/{small:,} {rule}: {ratio:.2f} (<= 1.5) {verdict}")
        seconds, done, _queries = figures[(large, "orders.auto_release")]
        rate = done / seconds
        verdict = "PASS" if rate >= tps / 2 else "FAIL"
        print(
            f"releases per second at {large:,}: {rate:,.0f} vs half the pgbench TPS "
            f"{tps / 2:,.0f}: {rate / tps:.2f}x TPS {verdict}"
        )

        if not args.skip_workers and broker.startswith("redis"):
            size = max(small, args.worker_due)
            half = args.worker_due // 2
            env = {**os.environ}
            times = {}
            for count in (1, 2):
                seed(size, args.worker_due, now)
                times[count] = run_workers(count, env, half, now, chunk)
                print(
                    f"{count} worker(s): {half:,} releases in {times[count]:.2f} s = "
                    f"{half / times[count]:,.0f}/s",
                    flush=True,
                )
            speedup = times[1] / times[2]
            verdict = "PASS" if speedup >= 1.3 else "FAIL"
            print(f"two workers over one: {speedup:.2f}x (>= 1.3) {verdict}")
    finally:
        from django.db import connections

        connections.close_all()
        if broker.startswith("redis"):
            import redis

            redis.Redis.from_url(broker).delete(queue)
        if not args.keep:
            recreate(admin_url, BENCH_DB, drop_only=True)


if __name__ == "__main__":
    main()
