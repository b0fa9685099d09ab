from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from apps.catalog.inputs import (
    format_price_tiers,
    format_specifications,
    parse_price_tiers,
    parse_specifications,
)
from apps.catalog.selectors import categories_tree
from apps.core.money import CURRENCY_CHOICES, parse_major
from apps.core.uploads import IMAGE_KINDS, KIND_LABELS


class LongSelect(forms.Select):
    """A select whose options are written in one go rather than one template per option: the
    country list has some 250 and is on every search page (a third of its render time)."""

    template_name = "catalog/widgets/long_select.html"

    def __init__(self, attrs=None, choices=()):
        # The project's form renderer styles widgets by their stock template name.
        super().__init__({"class": "form-select", **(attrs or {})}, choices)

    def get_context(self, name, value, attrs):
        # Widget's context, not ChoiceWidget's: that one builds a dict per option.
        context = forms.Widget.get_context(self, name, value, attrs)
        selected = {str(v) for v in self.format_value(value)}
        context["widget"]["options_html"] = mark_safe(  # noqa: S308 (every part is escaped)
            "".join(
                f'<option value="{escape(code)}"{" selected" if str(code) in selected else ""}>'
                f"{escape(label)}</option>"
                for code, label in self.choices
            )
        )
        return context


def category_choices(*, all_label):
    """Grouped choices from the category tree (one query): a top-level category with
    subcategories becomes a group whose first option is the whole category."""
    choices = []
    for parent, children in categories_tree():
        if children:
            whole = (parent.slug, all_label % {"name": parent.name})
            choices.append((parent.name, [whole] + [(c.slug, c.name) for c in children]))
        else:
            choices.append((parent.slug, parent.name))
    return choices


class ProductSearchForm(forms.Form):
    """The base form of ProductFilter (apps/catalog/filters.py): its fields come from the
    filters; here the category choices are loaded once and prices become minor units."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].choices = [("", _("All categories"))] + category_choices(
                all_label=_("All of %(name)s")
            )

    def sidebar_fields(self):
        """Every filter but the search words and the sort order, which sit above the results."""
        return [field for field in self if field.name not in ("q", "sort")]

    def clean(self):
        data = super().clean()
        currency = data.get("price_currency") or settings.PACTLINE_CATALOG_PRICE_CURRENCY
        data["price_currency"] = currency
        for name in ("min_price", "max_price"):
            value = data.get(name)
            data[f"{name}_minor"] = None
            if value is None:
                continue
            try:
                data[f"{name}_minor"] = parse_major(str(value), currency)
            except ValidationError as exc:
                self.add_error(name, exc)
        low, high = data.get("min_price_minor"), data.get("max_price_minor")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The highest price is below the lowest price."))
        return data


class ProductForm(forms.Form):
    """A supplier's product. Tiers and specifications are typed one per line; the service
    checks the catalog rules (apps/catalog/rules.py) and its errors land on these fields."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    category = forms.ChoiceField(label=_("Category"))
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=CURRENCY_CHOICES,
        help_text=_("The currency of all this product's prices."),
    )
    moq = forms.IntegerField(label=_("Minimum order quantity"), min_value=1)
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"),
        min_value=0,
        help_text=_("Days from a confirmed order to shipment."),
    )
    price_tiers = forms.CharField(
        label=_("Price tiers"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "100: 4.20\n500: 3.90"}),
        help_text=_(
            "One tier per line: the quantity it starts at, a colon, and the unit price, "
            "e.g. <code>100: 4.20</code>. The first tier starts at the minimum order quantity."
        ),
    )
    specifications = forms.CharField(
        label=_("Specifications"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Material: stainless steel"}),
        help_text=_(
            "One per line: a name, a colon and the value, e.g. <code>Colour: black</code>."
        ),
    )

    def __init__(self, *args, product=None, **kwargs):
        if product is not None:
            kwargs.setdefault("initial", self.initial_for(product))
        super().__init__(*args, **kwargs)
        tree = categories_tree()
        self._categories = {}
        choices = [("", _("Choose a category"))]
        for parent, children in tree:
            self._categories[str(parent.pk)] = parent
            if children:
                options = [(str(parent.pk), _("%(name)s (general)") % {"name": parent.name})]
                for child in children:
                    self._categories[str(child.pk)] = child
                    options.append((str(child.pk), child.name))
                choices.append((parent.name, options))
            else:
                choices.append((str(parent.pk), parent.name))
        self.fields["category"].choices = choices

    @staticmethod
    def initial_for(product):
        return {
            "title": product.title,
            "description": product.description,
            "category": str(product.category_id),
            "currency": product.currency,
            "moq": product.moq,
            "lead_time_days": product.lead_time_days,
            "price_tiers": format_price_tiers(product.price_tiers.all(), currency=product.currency),
            "specifications": format_specifications(product.specifications_list()),
        }

    def clean_category(self):
        return self._categories.get(self.cleaned_data["category"])

    def clean_specifications(self):
        return parse_specifications(self.cleaned_data["specifications"])

    def clean(self):
        data = super().clean()
        currency = data.get("currency")
        if currency and "price_tiers" in data:
            try:
                data["price_tiers"] = parse_price_tiers(data["price_tiers"], currency=currency)
            except ValidationError as exc:
                self.add_error("price_tiers", exc)
        return data

    def service_arguments(self):
        """The cleaned data as product_create/product_update take it."""
        return {
            name: self.cleaned_data[name]
            for name in (
                "title",
                "description",
                "category",
                "currency",
                "moq",
                "lead_time_days",
                "price_tiers",
                "specifications",
            )
        }


class ProductImageForm(forms.Form):
    image = forms.FileField(
        label=_("Add an image"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _("%(kinds)s, up to %(size)s.") % {
            "kinds": ", ".join(KIND_LABELS[k] for k in IMAGE_KINDS),
            "size": filesizeformat(settings.PACTLINE_IMAGE_MAX_BYTES),
        }


class ProductImportForm(forms.Form):
    csv_file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_("UTF-8 text, comma- or semicolon-separated, with the header row below."),
    )
