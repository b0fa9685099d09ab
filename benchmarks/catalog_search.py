"""Catalog search at 10k and 100k products: p50/p95 latency of the search query and of page
renders, and how they grow from 10k to 100k.

Run against PostgreSQL (the server DATABASE_URL names; its own databases are left alone):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/pactline
    .venv/bin/python benchmarks/catalog_search.py [--iterations 50] [--keep]

It creates a scratch database `pactline_bench_catalog` on that server (dropped first if a
previous run left it, and dropped at the end unless --keep), migrates it, bulk-inserts 200
suppliers in every standing, 40 categories and 10,000 products, measures, grows to 100,000
products, and measures again. Measured, after warm-up, over --iterations runs each:

  (a) the search query as the search page runs it: a common word ("steel": one product in
      five mentions it) with "Trade Assurance only", ranked, first page plus the count;
  (b) the listing page: GET /products/ rendered through Django's test Client;
  (c) the search page: GET /products/?q=steel&trade_assurance=on, rendered the same way;
  (d) the search query for a rare word (a brand, one product in 500), for comparison.
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "pactline_bench_catalog"
SIZES = (10_000, 100_000)
SEARCH_WORD = "steel"
RARE_WORD_STEM = "brightline"  # brightline0 ... brightline499

ADJECTIVES = [
    "compact",
    "heavy-duty",
    "portable",
    "foldable",
    "waterproof",
    "premium",
    "classic",
    "modern",
    "rustic",
    "industrial",
    "ergonomic",
    "stackable",
    "reusable",
    "insulated",
    "adjustable",
    "lightweight",
    "durable",
    "handmade",
    "smart",
    "mini",
]
MATERIALS = [
    "steel",
    "cotton",
    "bamboo",
    "ceramic",
    "glass",
    "oak",
    "linen",
    "aluminium",
    "silicone",
    "wool",
]
NOUNS = [
    "bottle",
    "lamp",
    "chair",
    "table",
    "bench",
    "kettle",
    "mug",
    "plate",
    "bowl",
    "vase",
    "tile",
    "towel",
    "blanket",
    "scarf",
    "rug",
    "basket",
    "crate",
    "shelf",
    "hook",
    "bracket",
    "cable",
    "charger",
    "speaker",
    "headphone",
    "bulb",
    "panel",
    "tray",
    "box",
    "jar",
    "pot",
]
COUNTRIES = ["CN", "IN", "TR", "VN", "PL", "DE", "US", "MX"]
CURRENCIES = ["USD", "USD", "EUR", "CNY", "INR", "TRY"]


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=50, help="timed runs (at least 50)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    iterations = max(args.iterations, 50)

    bench_url, admin_url = scratch_database_url(
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/pactline"
    )
    recreate_database(admin_url)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    try:
        run(iterations)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(admin_url, drop_only=True)


def run(iterations):
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    with override_settings(
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        rng = random.Random(20261121)
        suppliers, categories = seed_base(rng)
        print(
            f"Scratch database {BENCH_DB}: migrated, {len(suppliers)} suppliers, "
            f"{len(categories)} categories ({time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        results = {}
        inserted = 0
        for size in SIZES:
            started = time.perf_counter()
            insert_products(rng, suppliers, categories, start=inserted, count=size - inserted)
            inserted = size
            analyze()
            print(f"{size:,} products in place ({time.perf_counter() - started:.1f} s)", flush=True)
            results[size] = measure(iterations)
        report(results, iterations)


def seed_base(rng):
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from apps.accounts.models import CompanyProfile, User
    from apps.catalog.models import Category
    from apps.suppliers.models import SupplierProfile

    now = timezone.now()
    users = User.objects.bulk_create(
        User(
            email=f"bench-supplier-{n}@example.com",
            role=User.Role.SUPPLIER,
            password=make_password(None),  # unusable: nobody logs in as these
        )
        for n in range(200)
    )
    CompanyProfile.objects.bulk_create(
        CompanyProfile(
            user=user,
            company_name=f"Bench Supplier {n} Ltd.",
            country=COUNTRIES[n % len(COUNTRIES)],
            contact_name="Bench",
            phone="+1 555 0100",
        )
        for n, user in enumerate(users)
    )
    # 40% Trade Assurance eligible, 20% verified only, 10% Gold only, 20% basic, 10% no row.
    profiles = []
    for n, user in enumerate(users):
        kind = n % 10
        if kind == 9:
            continue
        verified = now - dt.timedelta(days=100) if kind < 6 else None
        gold = now + dt.timedelta(days=100) if kind < 4 or kind == 6 else None
        profiles.append(SupplierProfile(user=user, verified_at=verified, gold_until=gold))
    SupplierProfile.objects.bulk_create(profiles)

    categories = []
    for top in range(8):
        parent = Category.objects.create(name=f"Department {top}", slug=f"department-{top}")
        for child in range(4):
            categories.append(
                Category(name=f"Aisle {top}.{child}", slug=f"aisle-{top}-{child}", parent=parent)
            )
    return users, Category.objects.bulk_create(categories)


def insert_products(rng, suppliers, categories, *, start, count, batch=5000):
    import datetime as dt

    from django.utils import timezone

    from apps.catalog.models import Product, ProductImage

    now = timezone.now()
    for offset in range(0, count, batch):
        products = []
        for n in range(start + offset, start + min(offset + batch, count)):
            adjective, material, noun = (
                rng.choice(ADJECTIVES),
                rng.choice(MATERIALS),
                rng.choice(NOUNS),
            )
            other = rng.choice(MATERIALS)
            price = rng.randint(50, 50_000)
            products.append(
                Product(
                    supplier=suppliers[n % len(suppliers)],
                    category=categories[n % len(categories)],
                    title=f"{adjective.capitalize()} {material} {noun} {n}",
                    description=(
                        f"A {adjective} {noun} in {material}, trimmed with {other}. "
                        "Custom logo, packaging and labelling on request."
                    ),
                    specifications=[
                        {"name": "Material", "value": material},
                        {"name": "Finish", "value": other},
                        {"name": "Brand", "value": f"{RARE_WORD_STEM}{n % 500}"},
                    ],
                    currency=CURRENCIES[n % len(CURRENCIES)],
                    moq=rng.choice([1, 10, 50, 100, 500, 1000]),
                    lead_time_days=rng.randint(3, 60),
                    price_min=price * 80 // 100,
                    price_max=price,
                    is_active=n % 25 != 0,
                    created_at=now - dt.timedelta(minutes=n),
                )
            )
        Product.objects.bulk_create(products)
        ProductImage.objects.bulk_create(
            ProductImage(
                product=product,
                image=f"products/bench/{product.pk}.jpg",
                thumbnail=f"products/bench/thumbs/{product.pk}.jpg",
                width=320,
                height=320,
            )
            for product in products
            if product.pk % 10 < 7
        )


def analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum keeps up on a live database: statistics and the visibility map.
        cursor.execute("VACUUM ANALYZE")


def timed(function, iterations, warmup=5):
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(iterations):
    from django.conf import settings
    from django.test import Client

    from apps.catalog.pagination import CappedCountPaginator
    from apps.catalog.selectors import ProductSearch, product_search

    found = {}

    def search_query(search, key):
        def run_query():
            page_size = settings.PACTLINE_CATALOG_PAGE_SIZE
            paginator = CappedCountPaginator(product_search(search=search), page_size)
            page = paginator.page(1)
            found[key] = (paginator.count, len(list(page.object_list)))

        return run_query

    client = Client()

    def get(url):
        def render():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return render

    common = ProductSearch(text=SEARCH_WORD, trade_assurance_only=True)
    rare = ProductSearch(text=f"{RARE_WORD_STEM}42")
    measurements = {
        f"(a) search query: q={SEARCH_WORD}, Trade Assurance only": timed(
            search_query(common, "common"), iterations
        ),
        "(b) listing page: GET /products/": timed(get("/products/"), iterations),
        f"(c) search page: GET /products/?q={SEARCH_WORD}&trade_assurance=on": timed(
            get(f"/products/?q={SEARCH_WORD}&trade_assurance=on"), iterations
        ),
        f"(d) search query: q={RARE_WORD_STEM}42 (rare word)": timed(
            search_query(rare, "rare"), iterations
        ),
    }
    for key, (count, rows) in found.items():
        print(f"  {key} word matches {count:,} products; first page {rows}", flush=True)
    return measurements


def report(results, iterations):
    from django.conf import settings
    from django.db import connection

    small, large = SIZES
    print()
    print(
        f"Catalog search benchmark: PostgreSQL {connection.pg_version // 10000}, page size "
        f"{settings.PACTLINE_CATALOG_PAGE_SIZE}, {iterations} timed runs after 5 warm-up runs "
        "(milliseconds)"
    )
    width = max(len(name) for name in results[small])
    print(f"{'measurement':<{width}}  {'products':>8}  {'p50':>8}  {'p95':>8}  {'mean':>8}")
    for name in results[small]:
        for size in SIZES:
            samples = results[size][name]
            print(
                f"{name:<{width}}  {size:>8,}  {statistics.median(samples):>8.2f}  "
                f"{percentile(samples, 0.95):>8.2f}  {statistics.fmean(samples):>8.2f}"
            )
    print()
    print(f"Ratio {large // 1000}k / {small // 1000}k (10x the products):")
    for name in results[small]:
        p50 = statistics.median(results[large][name]) / statistics.median(results[small][name])
        p95 = percentile(results[large][name], 0.95) / percentile(results[small][name], 0.95)
        print(f"  {name:<{width}}  p50 x{p50:.2f}  p95 x{p95:.2f}")


if __name__ == "__main__":
    main()
