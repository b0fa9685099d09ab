import io

import factory
from PIL import Image

from apps.catalog.models import Category, PriceTier, Product
from tests.factories import SupplierFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """An active product with one price tier at its MOQ (unit_price, in minor units), or the
    tiers given as price_tiers=[(quantity, unit_price), ...]."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    class Params:
        unit_price = 1000

    supplier = factory.SubFactory(SupplierFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    description = ""
    category = factory.SubFactory(CategoryFactory)
    currency = "USD"
    moq = 10
    lead_time_days = 15
    price_min = factory.LazyAttribute(lambda o: o.unit_price)
    price_max = factory.LazyAttribute(lambda o: o.unit_price)

    @factory.post_generation
    def price_tiers(self, create, extracted, **kwargs):
        if not create:
            return
        tiers = extracted or [(self.moq, self.price_min)]
        PriceTier.objects.bulk_create(
            PriceTier(product=self, min_quantity=quantity, unit_price=price)
            for quantity, price in tiers
        )
        prices = [price for _quantity, price in tiers]
        if (self.price_min, self.price_max) != (min(prices), max(prices)):
            self.price_min, self.price_max = min(prices), max(prices)
            Product.objects.filter(pk=self.pk).update(price_min=min(prices), price_max=max(prices))


def image_bytes(kind="JPEG", size=(800, 600), colour="teal"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, kind)
    return buffer.getvalue()
