"""Products that suppliers list, in a two-level category tree.

Prices are integers in the minor unit of the product's currency (never floats). A product's
price_min/price_max are a copy of its cheapest and dearest tier, kept by the services that save
tiers, so that price filters and sorts need no join. On PostgreSQL, search_vector is kept by a
database trigger (migration 0002) and searched through a GIN index.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.money import CURRENCY_CHOICES


class Category(models.Model):
    """A node of the category tree. Two levels: top-level categories and their subcategories."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("slug"),
        max_length=140,
        unique=True,
        help_text=_("Used in links and in CSV imports, e.g. led-lighting."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        if self.parent_id:
            return f"{self.parent.name} › {self.name}"
        return self.name

    def clean(self):
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": _("A category cannot be its own parent.")})
        if self.parent.parent_id is not None:
            raise ValidationError(
                {"parent": _("Categories have two levels: choose a top-level category.")}
            )
        if self.pk and self.children.exists():
            raise ValidationError(
                {"parent": _("This category has subcategories, so it must stay top-level.")}
            )


class Product(models.Model):
    supplier = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="products",
        verbose_name=_("supplier"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    moq = models.PositiveIntegerField(_("minimum order quantity"))
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"))
    # [{"name": "Material", "value": "Stainless steel"}, ...] in the supplier's order.
    specifications = models.JSONField(_("specifications"), default=list, blank=True)
    price_min = models.BigIntegerField(_("lowest unit price"), null=True, editable=False)
    price_max = models.BigIntegerField(_("highest unit price"), null=True, editable=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active products are shown to buyers.")
    )
    # Written by a PostgreSQL trigger (title A, description B, specifications C); NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("listed"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["is_active", "-created_at"], name="catalog_product_active_new"),
            models.Index(fields=["supplier", "-created_at"], name="catalog_product_supplier_new"),
            models.Index(fields=["currency", "price_min"], name="catalog_product_price"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(moq__gte=1), name="catalog_product_moq_min"),
            models.CheckConstraint(
                condition=models.Q(price_min__lte=models.F("price_max")),
                name="catalog_product_price_range",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("product_detail", args=[self.pk])

    @property
    def thumbnail_url(self):
        """The first image's thumbnail, from the `cover_thumbnail` annotation of the card
        selectors (no query); None when the product has no image."""
        name = getattr(self, "cover_thumbnail", None)
        return default_storage.url(name) if name else None

    def specifications_list(self):
        return [s for s in self.specifications or [] if isinstance(s, dict)]


class PriceTier(models.Model):
    """The unit price from a quantity up: 100+ at 2.50, 500+ at 2.20."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="price_tiers", verbose_name=_("product")
    )
    min_quantity = models.PositiveIntegerField(_("from quantity"))
    unit_price = models.BigIntegerField(_("unit price (minor units)"))

    class Meta:
        ordering = ["min_quantity"]
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "min_quantity"], name="catalog_tier_unique_quantity"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gt=0), name="catalog_tier_price_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(min_quantity__gte=1), name="catalog_tier_quantity_min"
            ),
        ]

    def __str__(self):
        return f"{self.min_quantity}+"


def product_image_upload_to(instance, filename):
    return f"products/{instance.product.supplier_id}/{instance.product_id}/{filename}"


def product_thumbnail_upload_to(instance, filename):
    return f"products/{instance.product.supplier_id}/{instance.product_id}/thumbs/{filename}"


class ProductImage(models.Model):
    """A product photo (public media). Its type was judged by content and Pillow decoded it
    before it was stored; the thumbnail was made at upload."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product")
    )
    image = models.FileField(_("image"), upload_to=product_image_upload_to, max_length=255)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=product_thumbnail_upload_to, max_length=255
    )
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self):
        return self.image.name
