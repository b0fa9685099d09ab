"""Reads over the catalog, already scoped to who asks.

Lists of products (search, storefront, the supplier's own list) are built on `with_card_data`,
which brings everything a product card shows in the same query: the supplier and company by
join, and the first thumbnail and the supplier's badges by correlated subqueries. A page of
cards is therefore one query (plus the paginator's count) whatever its size.
"""

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.models import Category, Product, ProductImage
from apps.core.money import CURRENCIES, exponent, to_major
from apps.suppliers.models import SupplierProfile

SEARCH_CONFIG = "english"  # the configuration of the trigger in migration 0002


class Sort:
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"

    CHOICES = [
        (RELEVANCE, _("Best match")),
        (PRICE_ASC, _("Price: low to high")),
        (PRICE_DESC, _("Price: high to low")),
        (NEWEST, _("Newest first")),
    ]


@dataclass(frozen=True)
class ProductSearch:
    """What a buyer asked for. Prices are in minor units of price_currency."""

    text: str = ""
    category: str = ""  # a category slug; a top-level category includes its subcategories
    min_price: int | None = None
    max_price: int | None = None
    price_currency: str = field(default_factory=lambda: settings.PACTLINE_CATALOG_PRICE_CURRENCY)
    max_moq: int | None = None
    country: str = ""  # ISO 3166 code of the supplier's company
    verified_only: bool = False
    gold_only: bool = False
    trade_assurance_only: bool = False
    sort: str = Sort.RELEVANCE


# --- base querysets ---------------------------------------------------------------------------


def products_public():
    """Products any visitor may see: active, listed by an active supplier account."""
    return Product.objects.filter(
        is_active=True, supplier__is_active=True, supplier__role=User.Role.SUPPLIER
    )


def products_for_supplier(*, supplier):
    """All of this supplier's products, active or not. Portal pages fetch by id from here, so
    another supplier's product is simply not found."""
    return Product.objects.filter(supplier=supplier)


def with_card_data(queryset, *, now=None):
    """Adds what a product card needs without a query per card: `cover_thumbnail` (storage
    name of the first image's thumbnail or None), `supplier_verified` and `supplier_gold`."""
    now = now or timezone.now()
    profiles = SupplierProfile.objects.filter(user_id=OuterRef("supplier_id"))
    first_image = ProductImage.objects.filter(product_id=OuterRef("pk")).order_by("position", "pk")
    return queryset.select_related("supplier", "supplier__company", "category").annotate(
        cover_thumbnail=Subquery(first_image.values("thumbnail")[:1]),
        supplier_verified=Exists(profiles.filter(verified_at__isnull=False)),
        supplier_gold=Exists(profiles.filter(gold_until__gt=now)),
    )


# --- search -----------------------------------------------------------------------------------


def product_search(*, search: ProductSearch, queryset=None, now=None):
    """The buyer's search, filtered and ordered, with card data; the caller paginates.

    On PostgreSQL the text is a websearch query (quotes, OR, -word) over the trigger-kept
    vector, ranked with ts_rank (a title match outranks a description match). Elsewhere every
    word must appear in the title or description, newest first."""
    now = now or timezone.now()
    queryset = products_public() if queryset is None else queryset
    queryset = with_card_data(queryset, now=now)
    ranked = False
    text = search.text.strip()
    if text:
        if connections[queryset.db].vendor == "postgresql":
            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            queryset = queryset.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
            ranked = True
        else:
            queryset = search_fallback(queryset, text)
    if search.category:
        queryset = queryset.filter(
            category_id__in=Category.objects.filter(
                Q(slug=search.category) | Q(parent__slug=search.category)
            ).values("pk")
        )
    if search.min_price is not None or search.max_price is not None:
        queryset = queryset.filter(
            _price_overlap(search.min_price, search.max_price, search.price_currency)
        )
    if search.max_moq is not None:
        queryset = queryset.filter(moq__lte=search.max_moq)
    if search.country:
        queryset = queryset.filter(supplier__company__country=search.country)
    if search.verified_only or search.trade_assurance_only:
        queryset = queryset.filter(supplier__supplier_profile__verified_at__isnull=False)
    if search.gold_only or search.trade_assurance_only:
        queryset = queryset.filter(supplier__supplier_profile__gold_until__gt=now)
    return _ordered(queryset, search.sort, ranked=ranked)


def search_fallback(queryset, text):
    """Search without PostgreSQL: each word in the title or the description (a -word in
    neither)."""
    for word in re.findall(r"[^\s\"]+", text):
        excluded = word.startswith("-")
        word = word.lstrip("-")
        if not word or word.lower() == "or":
            continue
        found = Q(title__icontains=word) | Q(description__icontains=word)
        queryset = queryset.exclude(found) if excluded else queryset.filter(found)
    return queryset


def _ordered(queryset, sort, *, ranked):
    newest = ("-created_at", "-pk")
    if sort in (Sort.PRICE_ASC, Sort.PRICE_DESC):
        key = F("price_sort_key")
        key = key.asc(nulls_last=True) if sort == Sort.PRICE_ASC else key.desc(nulls_last=True)
        return queryset.annotate(price_sort_key=_usd_price_key()).order_by(key, *newest)
    if sort == Sort.RELEVANCE and ranked:
        return queryset.order_by("-rank", *newest)
    return queryset.order_by(*newest)


# --- prices across currencies -----------------------------------------------------------------
# A product is priced in its supplier's currency. Buyers filter and sort in one currency: the
# bounds are converted to each product currency at the indicative rates, and sorting compares
# an indicative US-dollar figure. Indicative rates never move money; here they only order a list.


def convert_indicative(amount_minor, *, source, target, rounding=ROUND_FLOOR) -> int:
    """amount_minor in `source` as minor units of `target`, at the indicative USD rates."""
    if source == target:
        return amount_minor
    rates = settings.PACTLINE_INDICATIVE_USD_RATES
    major = to_major(amount_minor, source) * Decimal(rates[source]) / Decimal(rates[target])
    return int(major.scaleb(exponent(target)).to_integral_value(rounding=rounding))


def _price_currencies():
    return [code for code in CURRENCIES if code in settings.PACTLINE_INDICATIVE_USD_RATES]


def _price_overlap(low, high, currency):
    """Products whose tier prices reach into [low, high] (either bound may be None)."""
    condition = Q()
    for code in _price_currencies():
        part = Q(currency=code)
        if low is not None:
            part &= Q(
                price_max__gte=convert_indicative(
                    low, source=currency, target=code, rounding=ROUND_FLOOR
                )
            )
        if high is not None:
            part &= Q(
                price_min__lte=convert_indicative(
                    high, source=currency, target=code, rounding=ROUND_CEILING
                )
            )
        condition |= part
    return condition


def _usd_price_key():
    """price_min in millionths of a US cent (an integer), for ordering by price."""
    whens = []
    for code in _price_currencies():
        rate = Decimal(settings.PACTLINE_INDICATIVE_USD_RATES[code])
        factor = int(rate.scaleb(2 - exponent(code) + 6).to_integral_value())
        whens.append(When(currency=code, then=F("price_min") * Value(factor)))
    return Case(*whens, default=Value(None), output_field=BigIntegerField())


# --- single products and lists ------------------------------------------------------------------


def products_visible_to(*, user):
    """Active products for everyone; a supplier also sees their own inactive ones."""
    if user.is_authenticated and user.role == User.Role.SUPPLIER:
        return products_public() | products_for_supplier(supplier=user)
    return products_public()


def product_detail_queryset(*, user):
    """Products this user may open, with card data, category path, tiers and images."""
    return (
        with_card_data(products_visible_to(user=user))
        .select_related("category__parent")
        .prefetch_related(
            "price_tiers",
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk")),
        )
    )


def product_get_for_viewer(*, pk, user):
    """A product page: 404 for an inactive product unless its own supplier asks."""
    return get_object_or_404(product_detail_queryset(user=user), pk=pk)


def products_for_storefront(*, supplier, limit=24) -> list[Product]:
    """The supplier's active products, newest first, with card data: one query."""
    queryset = with_card_data(products_for_supplier(supplier=supplier).filter(is_active=True))
    return list(queryset.order_by("-created_at", "-pk")[:limit])


def product_list_for_supplier(*, supplier):
    """The supplier portal's list: every product of theirs, newest first, with card data."""
    return with_card_data(products_for_supplier(supplier=supplier)).order_by("-created_at", "-pk")


def categories_tree() -> list[tuple[Category, list[Category]]]:
    """Top-level categories with their subcategories, in one query."""
    categories = list(Category.objects.order_by("position", "name"))
    children = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    return [(c, children.get(c.pk, [])) for c in categories if c.parent_id is None]


def product_unit_price(product, quantity):
    """The unit price for `quantity`: the price tier with the highest minimum quantity not above
    it (uses prefetched tiers when there are). None below every tier, i.e. under the MOQ."""
    price = None
    for tier in sorted(product.price_tiers.all(), key=lambda t: t.min_quantity):
        if tier.min_quantity <= quantity:
            price = tier.unit_price
    return price
