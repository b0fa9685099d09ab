"""One FilterSet for the search page and GET /api/v1/products/: the same parameters, the same
validation, the same results. The filters only declare and validate the parameters (and so
document them in the OpenAPI schema); selectors.product_search does the filtering."""

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from apps.catalog.forms import LongSelect, ProductSearchForm
from apps.catalog.models import Product
from apps.catalog.selectors import ProductSearch, Sort, product_search
from apps.core.money import CURRENCY_CHOICES


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def api_doc(schema_type, description, **extra):
    """The parameter's type and description in the OpenAPI schema (English, like the rest of
    the API documentation), where the filter alone would say too little."""
    return extend_schema_field({"type": schema_type, "description": description, **extra})


def only_when_checked(label, api_description):
    # A checkbox on the page; in the API "true" turns the filter on and "false" leaves it off.
    return api_doc("boolean", f"{api_description} `true` turns the filter on.")(
        django_filters.BooleanFilter(label=label, widget=forms.CheckboxInput, method="filter_noop")
    )


class ProductFilter(django_filters.FilterSet):
    q = api_doc(
        "string",
        "Words in the title, description or specifications. On PostgreSQL, websearch syntax: "
        '"a phrase" in quotes, `or` between alternatives, `-word` to leave a word out.',
    )(django_filters.CharFilter(label=_("Search"), method="filter_noop"))
    # Its choices (the category tree) are loaded per request by ProductSearchForm.
    category = api_doc(
        "string",
        "A category slug, e.g. `electronics`; a top-level category includes its subcategories.",
    )(
        django_filters.ChoiceFilter(
            label=_("Category"), choices=[], empty_label=None, method="filter_noop"
        )
    )
    price_currency = api_doc(
        "string",
        "ISO 4217 code of `min_price` and `max_price` (default USD). Products priced in other "
        "currencies are compared at Pactline's indicative exchange rates.",
        enum=[code for code, _label in CURRENCY_CHOICES],
    )(
        django_filters.ChoiceFilter(
            label=_("Price range in"),
            choices=CURRENCY_CHOICES,
            empty_label=None,
            method="filter_noop",
            help_text=_(
                "Products priced in other currencies are compared at indicative exchange rates."
            ),
        )
    )
    min_price = api_doc(
        "number",
        "Products with a tier unit price of at least this, in `price_currency` major units "
        "(e.g. 2.50).",
    )(django_filters.NumberFilter(label=_("Lowest unit price"), min_value=0, method="filter_noop"))
    max_price = api_doc(
        "number",
        "Products with a tier unit price of at most this, in `price_currency` major units.",
    )(django_filters.NumberFilter(label=_("Highest unit price"), min_value=0, method="filter_noop"))
    max_moq = api_doc("integer", "Only products whose minimum order quantity is at most this.")(
        WholeNumberFilter(label=_("Minimum order up to"), min_value=1, method="filter_noop")
    )
    country = api_doc("string", "ISO 3166-1 alpha-2 code of the supplier's country, e.g. CN.")(
        django_filters.ChoiceFilter(
            label=_("Supplier country"),
            choices=lambda: [("", _("Any country")), *countries],
            empty_label=None,
            widget=LongSelect,
            method="filter_noop",
        )
    )
    verified = only_when_checked(
        _("Verified suppliers only"), "Only suppliers whose company Pactline has verified."
    )
    gold = only_when_checked(
        _("Gold suppliers only"), "Only suppliers with a current Gold membership."
    )
    trade_assurance = only_when_checked(
        _("Trade Assurance only"),
        "Only verified Gold suppliers, whose orders are covered by Trade Assurance.",
    )
    sort = api_doc(
        "string",
        "`relevance` (default; needs `q`, otherwise newest first), `price_asc`, `price_desc` "
        "(by the lowest tier price, compared in US dollars at indicative rates) or `newest`.",
        enum=[value for value, _label in Sort.CHOICES],
    )(
        django_filters.ChoiceFilter(
            label=_("Sort by"), choices=Sort.CHOICES, empty_label=None, method="filter_noop"
        )
    )

    class Meta:
        model = Product
        fields = []
        form = ProductSearchForm

    def filter_noop(self, queryset, name, value):
        return queryset

    def search(self) -> ProductSearch:
        data = self.form.cleaned_data
        return ProductSearch(
            text=data.get("q") or "",
            category=data.get("category") or "",
            min_price=data.get("min_price_minor"),
            max_price=data.get("max_price_minor"),
            price_currency=data.get("price_currency") or settings.PACTLINE_CATALOG_PRICE_CURRENCY,
            max_moq=data.get("max_moq"),
            country=data.get("country") or "",
            verified_only=bool(data.get("verified")),
            gold_only=bool(data.get("gold")),
            trade_assurance_only=bool(data.get("trade_assurance")),
            sort=data.get("sort") or Sort.RELEVANCE,
        )

    def filter_queryset(self, queryset):
        if not self.form.is_valid():
            return queryset.none()
        return product_search(search=self.search(), queryset=queryset)
