import io

import pytest

from apps.accounts import seed as accounts_seed
from apps.catalog import seed as catalog_seed
from apps.catalog.models import Category, PriceTier, Product, ProductImage

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Product.objects.values_list("supplier__email", "title", "currency", "price_min", "moq")
    )


def test_the_demo_catalog_is_big_varied_and_idempotent(settings):
    accounts_seed.run(stdout=io.StringIO())
    catalog_seed.run(stdout=io.StringIO())
    first = snapshot()

    catalog_seed.run(stdout=io.StringIO())

    assert snapshot() == first
    assert len(first) >= 200
    assert Category.objects.filter(parent__isnull=True).count() >= 3
    assert not Category.objects.filter(parent__parent__isnull=False).exists()
    leaves = Product.objects.values_list("category__parent__slug", flat=True).distinct()
    assert None not in leaves and len(set(leaves)) >= 3
    assert ProductImage.objects.count() == len(first)
    assert not Product.objects.filter(price_tiers__isnull=True).exists()
    assert PriceTier.objects.count() >= 3 * len(first) - 1
    image = ProductImage.objects.first()
    assert (settings.MEDIA_ROOT / image.image.name).exists()
    assert (settings.MEDIA_ROOT / image.thumbnail.name).exists()
    assert len({p.currency for p in Product.objects.all()}) >= 3
