"""Every change to the catalog. Entry points are keyword-only, run in one durable transaction,
and refuse with a domain error (apps/catalog/exceptions.py) rather than a crash.

Price tiers are only ever saved here, together with the product's price_min/price_max copy.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.catalog.csv_import import csv_rows_read
from apps.catalog.exceptions import ImageRejected, NotASupplier, ProductNotOwned
from apps.catalog.images import image_check
from apps.catalog.inputs import SpecInput, TierInput
from apps.catalog.models import Category, PriceTier, Product, ProductImage
from apps.catalog.rules import ProductFields, product_fields_clean
from apps.core.uploads import EXTENSIONS


def _require_supplier(user):
    if not (user.is_active and user.role == User.Role.SUPPLIER):
        raise NotASupplier(_("Only supplier accounts can list products."))


def _require_owner(product, acting_user, *, staff_may=False):
    if product.supplier_id == acting_user.pk:
        return
    if staff_may and acting_user.is_staff:
        return
    raise ProductNotOwned(_("This product belongs to another supplier."))


def _locked(product) -> Product:
    return Product.objects.select_for_update().get(pk=product.pk)


def _apply_fields(product: Product, fields: ProductFields):
    product.title = fields.title
    product.description = fields.description
    product.category = fields.category
    product.currency = fields.currency
    product.moq = fields.moq
    product.lead_time_days = fields.lead_time_days
    product.specifications = fields.specifications_json()
    product.price_min = fields.price_min
    product.price_max = fields.price_max


def _tiers_for(product: Product, fields: ProductFields):
    return [
        PriceTier(product=product, min_quantity=t.min_quantity, unit_price=t.unit_price)
        for t in fields.price_tiers
    ]


@transaction.atomic(durable=True)
def product_create(
    *,
    supplier: User,
    title: str,
    description: str,
    category: Category | None,
    currency: str,
    moq: int | None,
    lead_time_days: int | None,
    price_tiers: list[TierInput],
    specifications: list[SpecInput],
) -> Product:
    """Lists a new, active product for the supplier with its price tiers. Raises NotASupplier
    or ProductInvalid (with every broken rule by field)."""
    _require_supplier(supplier)
    fields = product_fields_clean(
        title=title,
        description=description,
        category=category,
        currency=currency,
        moq=moq,
        lead_time_days=lead_time_days,
        price_tiers=price_tiers,
        specifications=specifications,
    )
    product = Product(supplier=supplier, is_active=True)
    _apply_fields(product, fields)
    product.save()
    PriceTier.objects.bulk_create(_tiers_for(product, fields))
    return product


@transaction.atomic(durable=True)
def product_update(
    *,
    product: Product,
    acting_user: User,
    title: str,
    description: str,
    category: Category | None,
    currency: str,
    moq: int | None,
    lead_time_days: int | None,
    price_tiers: list[TierInput],
    specifications: list[SpecInput],
) -> Product:
    """Replaces the product's data and tiers. Locks the product row, so two saves of the same
    product queue rather than mix their tiers. Raises ProductNotOwned or ProductInvalid."""
    _require_owner(product, acting_user)
    fields = product_fields_clean(
        title=title,
        description=description,
        category=category,
        currency=currency,
        moq=moq,
        lead_time_days=lead_time_days,
        price_tiers=price_tiers,
        specifications=specifications,
    )
    locked = _locked(product)
    _apply_fields(locked, fields)
    locked.save()
    PriceTier.objects.filter(product=locked).delete()
    PriceTier.objects.bulk_create(_tiers_for(locked, fields))
    return locked


def _set_active(product, acting_user, active):
    _require_owner(product, acting_user, staff_may=True)
    locked = _locked(product)
    if locked.is_active != active:
        locked.is_active = active
        locked.save(update_fields=["is_active", "updated_at"])
    return locked


@transaction.atomic(durable=True)
def product_deactivate(*, product: Product, acting_user: User) -> Product:
    """Hides the product from buyers (its page then answers 404 to anyone but its supplier).
    Its supplier or staff may do it; doing it twice changes nothing."""
    return _set_active(product, acting_user, False)


@transaction.atomic(durable=True)
def product_activate(*, product: Product, acting_user: User) -> Product:
    """Shows a deactivated product to buyers again."""
    return _set_active(product, acting_user, True)


@transaction.atomic(durable=True)
def product_image_add(*, product: Product, acting_user: User, uploaded_file) -> ProductImage:
    """Checks the upload (type by content, size, pixels, decodes in full), stores it under a
    random name with the extension of its real type, and stores its thumbnail. Raises
    ImageRejected or ProductNotOwned; a refused upload leaves no file behind."""
    _require_owner(product, acting_user)
    locked = _locked(product)
    limit = settings.PACTLINE_CATALOG_MAX_IMAGES
    if locked.images.count() >= limit:
        raise ImageRejected(
            _("A product has at most %(max)s images; delete one first.") % {"max": limit},
            field="image",
        )
    try:
        checked = image_check(uploaded_file)
    except ValidationError as exc:
        raise ImageRejected(errors={"image": exc.messages}) from exc
    last = locked.images.order_by("-position").values_list("position", flat=True).first()
    image = ProductImage(
        product=locked,
        width=checked.width,
        height=checked.height,
        position=0 if last is None else last + 1,
    )
    stem = uuid.uuid4().hex
    try:
        image.image.save(f"{stem}.{EXTENSIONS[checked.kind]}", uploaded_file, save=False)
        image.thumbnail.save(f"{stem}.jpg", ContentFile(checked.thumbnail), save=False)
        image.save()
    except BaseException:
        _files_delete([image.image.name, image.thumbnail.name])
        raise
    return image


@transaction.atomic(durable=True)
def product_image_delete(*, image: ProductImage, acting_user: User) -> None:
    """Removes the image row now and its files once the transaction has committed."""
    _require_owner(image.product, acting_user)
    names = [image.image.name, image.thumbnail.name]
    image.delete()
    transaction.on_commit(lambda: _files_delete(names))


def _files_delete(names):
    for name in names:
        if name:
            default_storage.delete(name)


@transaction.atomic(durable=True)
def product_import(*, supplier: User, csv_file) -> list[Product]:
    """Creates one product per CSV row, all in this transaction, or none: any bad row raises
    ImportRejected with every problem by row and column, and nothing is saved."""
    _require_supplier(supplier)
    categories = {c.slug.lower(): c for c in Category.objects.all()}
    drafts = csv_rows_read(csv_file, categories_by_slug=categories)
    products = []
    for draft in drafts:
        product = Product(supplier=supplier, is_active=draft.is_active)
        _apply_fields(product, draft.fields)
        products.append(product)
    Product.objects.bulk_create(products)
    PriceTier.objects.bulk_create(
        [
            tier
            for product, draft in zip(products, drafts, strict=True)
            for tier in _tiers_for(product, draft.fields)
        ]
    )
    return products
