"""The rules a product's data must follow, checked in one place for the portal form, the CSV
import and any later caller of the services. Pure functions: no writes."""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.catalog.exceptions import ProductInvalid
from apps.catalog.inputs import SpecInput, TierInput
from apps.catalog.models import Category, Product
from apps.core.money import CURRENCIES

TITLE_MAX = Product._meta.get_field("title").max_length
SPEC_NAME_MAX = 100
SPEC_VALUE_MAX = 300


@dataclass(frozen=True)
class ProductFields:
    """A product's data after the rules: stripped text, tiers sorted by quantity."""

    title: str
    description: str
    category: Category
    currency: str
    moq: int
    lead_time_days: int
    price_tiers: tuple[TierInput, ...]
    specifications: tuple[SpecInput, ...]

    @property
    def price_min(self):
        return min(t.unit_price for t in self.price_tiers)

    @property
    def price_max(self):
        return max(t.unit_price for t in self.price_tiers)

    def specifications_json(self):
        return [{"name": s.name, "value": s.value} for s in self.specifications]


def product_fields_clean(
    *,
    title: str,
    description: str,
    category: Category | None,
    currency: str,
    moq: int | None,
    lead_time_days: int | None,
    price_tiers: list[TierInput],
    specifications: list[SpecInput],
) -> ProductFields:
    """Checks every rule and reports all broken ones at once: ProductInvalid.errors maps the
    field name to its messages."""
    errors = defaultdict(list)
    title = (title or "").strip()
    if not title:
        errors["title"].append(_("Give the product a title."))
    elif len(title) > TITLE_MAX:
        errors["title"].append(
            _("Keep the title to %(max)s characters or fewer.") % {"max": TITLE_MAX}
        )
    if category is None:
        errors["category"].append(_("Choose a category."))
    if currency not in CURRENCIES:
        errors["currency"].append(
            _("Use one of these currencies: %(codes)s.") % {"codes": ", ".join(CURRENCIES)}
        )
    if moq is None or moq < 1:
        errors["moq"].append(_("The minimum order quantity is a whole number of 1 or more."))
    max_lead = settings.PACTLINE_CATALOG_MAX_LEAD_TIME_DAYS
    if lead_time_days is None or not 0 <= lead_time_days <= max_lead:
        errors["lead_time_days"].append(
            _("The lead time is a whole number of days from 0 to %(max)s.") % {"max": max_lead}
        )
    errors["price_tiers"] += _tier_problems(price_tiers, moq)
    errors["specifications"] += _specification_problems(specifications)
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ProductInvalid(errors=errors)
    return ProductFields(
        title=title,
        description=(description or "").strip(),
        category=category,
        currency=currency,
        moq=moq,
        lead_time_days=lead_time_days,
        price_tiers=tuple(sorted(price_tiers, key=lambda t: t.min_quantity)),
        specifications=tuple(specifications),
    )


def _tier_problems(tiers, moq):
    if not tiers:
        return [_("Give at least one price tier, starting at the minimum order quantity.")]
    problems = []
    limit = settings.PACTLINE_CATALOG_MAX_PRICE_TIERS
    if len(tiers) > limit:
        problems.append(_("Give at most %(max)s price tiers.") % {"max": limit})
    ordered = sorted(tiers, key=lambda t: t.min_quantity)
    quantities = [t.min_quantity for t in ordered]
    if len(set(quantities)) != len(quantities):
        problems.append(_("Each price tier needs its own quantity."))
    if any(t.unit_price <= 0 for t in ordered):
        problems.append(_("Unit prices must be more than zero."))
    if moq is not None and moq >= 1 and quantities[0] != moq:
        problems.append(
            _(
                "The first price tier must start at the minimum order quantity (%(moq)s), "
                "not %(quantity)s."
            )
            % {"moq": moq, "quantity": quantities[0]}
        )
    if any(b.unit_price > a.unit_price for a, b in zip(ordered, ordered[1:], strict=False)):
        problems.append(_("A larger quantity cannot have a higher unit price."))
    return problems


def _specification_problems(specs):
    problems = []
    limit = settings.PACTLINE_CATALOG_MAX_SPECIFICATIONS
    if len(specs) > limit:
        problems.append(_("Give at most %(max)s specifications.") % {"max": limit})
    names = [s.name.strip().casefold() for s in specs]
    if len(set(names)) != len(names):
        problems.append(_("Each specification name may appear only once."))
    for spec in specs:
        if not spec.name.strip() or not spec.value.strip():
            problems.append(_("Every specification needs a name and a value."))
            break
    if any(len(s.name) > SPEC_NAME_MAX for s in specs):
        problems.append(
            _("Keep specification names to %(max)s characters.") % {"max": SPEC_NAME_MAX}
        )
    if any(len(s.value) > SPEC_VALUE_MAX for s in specs):
        problems.append(
            _("Keep specification values to %(max)s characters.") % {"max": SPEC_VALUE_MAX}
        )
    return problems
