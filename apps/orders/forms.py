"""Forms of the order pages. They check what a form can (required fields, ranges, file kinds)
and turn typed input into service input (`ContractTerms`, money in minor units); the contract
rules themselves are the service's, whose errors the views put back on these fields."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core.money import CURRENCY_CHOICES, parse_major, to_major
from apps.core.uploads import DOCUMENT_KINDS, FileKindValidator
from apps.orders.models import ContractVersion, Order
from apps.orders.services import ContractTerms, LineInput

SHIP_BY_DATE = "date"
SHIP_BY_DAYS = "days"
# The contract's field names that a form shows under another name.
SHIP_BY_FIELDS = ("ship_by_date", "ship_within_days")


def _blank(choices, label):
    return [("", label), *choices]


def major_text(amount_minor, currency):
    """Minor units as typed into a form: 1200 USD -> '12.00' (no grouping, a decimal point)."""
    return str(to_major(amount_minor, currency))


class ContractTermsForm(forms.Form):
    """Every term of the contract but its lines. `with_currency` and `with_proforma` leave out
    what the person filling the form does not choose (a buyer starting from a product orders in
    the product's currency; the proforma invoice is the supplier's document)."""

    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=_blank(CURRENCY_CHOICES, _("Choose a currency")),
        help_text=_("Every price in the contract is in this currency."),
    )
    quality_standard = forms.CharField(
        label=_("Quality standard"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Measurable, so that it can be checked on arrival: tolerances, the defect rate "
            "allowed (e.g. AQL 2.5), the test method, the standards met."
        ),
    )
    inspection_booked = forms.BooleanField(
        label=_("A third-party inspection is booked before shipment"), required=False
    )
    ship_by_rule = forms.ChoiceField(
        label=_("Ship by"),
        choices=[
            (SHIP_BY_DATE, _("A fixed date")),
            (SHIP_BY_DAYS, _("A number of days after the deposit is paid")),
        ],
        widget=forms.RadioSelect,
        initial=SHIP_BY_DAYS,
    )
    ship_by_date = forms.DateField(
        label=_("Ship-by date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("With a fixed date: the supplier ships by the end of this day."),
    )
    ship_within_days = forms.IntegerField(
        label=_("Days after the deposit"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("With a number of days: counted from the day the deposit is paid."),
    )
    shipping_method = forms.ChoiceField(
        label=_("Shipping method"),
        choices=_blank(ContractVersion.ShippingMethod.choices, _("Choose a shipping method")),
    )
    incoterm = forms.ChoiceField(
        label=_("Incoterm"),
        choices=_blank(ContractVersion.Incoterm.choices, _("Choose an Incoterm")),
        help_text=_("Who pays for and bears the risk of each leg of the transport."),
    )
    shipping_address = forms.CharField(
        label=_("Ship to"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "shipping street-address"}),
        help_text=_("The full address, with the company name and the country."),
    )
    deposit_percent = forms.IntegerField(
        label=_("Deposit (%)"),
        min_value=0,
        max_value=100,
        initial=30,
        help_text=_(
            "Paid into escrow once both parties confirm; the balance is due before shipment. "
            "0 means everything is paid before shipment, 100 everything up front."
        ),
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Packaging, labelling and anything else both parties agree on."),
    )
    proforma_invoice = forms.FileField(
        label=_("Proforma invoice (PDF, optional)"),
        required=False,
        validators=[FileKindValidator(("pdf",))],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, with_currency=True, with_proforma=True, has_proforma=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_currency:
            del self.fields["currency"]
        if not with_proforma:
            del self.fields["proforma_invoice"]
        else:
            help_text = _("Judged by its content, up to %(size)s MB.") % {
                "size": settings.PACTLINE_UPLOAD_MAX_BYTES // (1024 * 1024)
            }
            if has_proforma:
                help_text += " " + str(
                    _("A new file replaces the current one; leave empty to keep it.")
                )
            self.fields["proforma_invoice"].help_text = help_text

    def clean(self):
        data = super().clean()
        rule = data.get("ship_by_rule")
        # Only the chosen rule counts; a value left in the other box is ignored.
        if rule == SHIP_BY_DATE:
            data["ship_within_days"] = None
            if data.get("ship_by_date") is None and "ship_by_date" not in self.errors:
                self.add_error("ship_by_date", _("Choose the ship-by date."))
        elif rule == SHIP_BY_DAYS:
            data["ship_by_date"] = None
            if data.get("ship_within_days") is None and "ship_within_days" not in self.errors:
                self.add_error("ship_within_days", _("Give the number of days."))
        return data

    @staticmethod
    def initial_for(version):
        return {
            "currency": version.currency,
            "quality_standard": version.quality_standard,
            "inspection_booked": version.inspection_booked,
            "ship_by_rule": SHIP_BY_DATE if version.ship_by_date else SHIP_BY_DAYS,
            "ship_by_date": version.ship_by_date,
            "ship_within_days": version.ship_within_days,
            "shipping_method": version.shipping_method,
            "incoterm": version.incoterm,
            "shipping_address": version.shipping_address,
            "deposit_percent": version.deposit_percent,
            "remarks": version.remarks,
        }

    def terms(self, lines, *, currency=None) -> ContractTerms:
        data = self.cleaned_data
        return ContractTerms(
            lines=lines,
            currency=currency or data["currency"],
            quality_standard=data["quality_standard"],
            inspection_booked=data["inspection_booked"],
            ship_by_date=data["ship_by_date"],
            ship_within_days=data["ship_within_days"],
            shipping_method=data["shipping_method"],
            incoterm=data["incoterm"],
            shipping_address=data["shipping_address"],
            deposit_percent=data["deposit_percent"],
            remarks=data.get("remarks", ""),
            proforma_invoice=data.get("proforma_invoice") or None,
        )


class DraftOrderForm(ContractTermsForm):
    """A supplier's draft for a buyer: the terms, and who the buyer is."""

    buyer_email = forms.EmailField(
        label=_("Buyer's email"),
        help_text=_(
            "A buyer with a Pactline account finds the order in their portal. Anyone else is "
            "invited to sign up, and the order waits for them."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class StartOrderForm(ContractTermsForm):
    """A buyer's order of one product: how many, to which specification, and the terms. The
    unit price follows from the product's price tiers; the currency is the product's."""

    quantity = forms.IntegerField(label=_("Quantity"))
    specification = forms.CharField(
        label=_("Agreed specification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What exactly you order: model, size, colour, material, packaging."),
    )

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, with_currency=False, with_proforma=False, **kwargs)
        self.product = product
        quantity = self.fields["quantity"]
        # Not min_value: its message would not say that this is the minimum order quantity.
        quantity.validators.append(_MinQuantityValidator(product.moq))
        quantity.widget.attrs.update(
            {
                "min": product.moq,
                "step": 1,
                "inputmode": "numeric",
                # The price and total follow the quantity as it is typed (htmx; the page
                # works without it, the total then shows after sending).
                "hx-get": reverse("order_start", args=[product.pk]),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#order-quote",
                "hx-swap": "outerHTML",
            }
        )
        quantity.help_text = _("The minimum order is %(moq)s.") % {"moq": product.moq}

    @staticmethod
    def initial_for(product):
        specs = product.specifications_list()
        listed = "\n".join(f"{s.get('name', '')}: {s.get('value', '')}" for s in specs)
        quality = ""
        if listed:
            quality = str(_("Matches the listed specifications:")) + "\n" + listed
        return {
            "quantity": product.moq,
            "specification": listed or product.title,
            "quality_standard": quality,
            "ship_by_rule": SHIP_BY_DAYS,
            "ship_within_days": product.lead_time_days or None,
            "deposit_percent": 30,
        }


class _MinQuantityValidator:
    def __init__(self, moq):
        self.moq = moq

    def __call__(self, value):
        if value is not None and value < self.moq:
            raise ValidationError(
                _("The minimum order quantity is %(moq)s."),
                code="below_moq",
                params={"moq": self.moq},
            )


class LineForm(forms.Form):
    """One contract line: one of the supplier's products, or a free-text item."""

    product = forms.ModelChoiceField(
        label=_("Listed product"),
        queryset=None,
        required=False,
        empty_label=_("Not a listed product"),
    )
    product_title = forms.CharField(
        label=_("Product name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the listed product's title."),
    )
    specification = forms.CharField(
        label=_("Agreed specification"), widget=forms.Textarea(attrs={"rows": 2})
    )
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    unit_price = forms.CharField(
        label=_("Unit price"),
        max_length=32,
        help_text=_("In the contract currency, e.g. 12.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].label_from_instance = lambda p: (
            _("%(title)s (minimum %(moq)s, priced in %(currency)s)")
            % {"title": p.title, "moq": p.moq, "currency": p.currency}
        )

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if not (data.get("product_title") or "").strip():
            if product is None:
                self.add_error(
                    "product_title", _("Name the product, or choose one of the listed products.")
                )
            else:
                data["product_title"] = product.title
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this line")

    def lines(self, currency):
        """The filled-in lines as service input, prices in minor units of `currency`; None when
        a price cannot be read (the error is then on that line's price)."""
        lines, ok = [], True
        for form in self.forms:
            # Extra rows left blank are skipped; the current lines count even when unchanged.
            if (form.empty_permitted and not form.has_changed()) or self._should_delete_form(form):
                continue
            data = form.cleaned_data
            try:
                price = parse_major(data["unit_price"], currency)
            except ValidationError as exc:
                form.add_error("unit_price", exc)
                ok = False
                continue
            lines.append(
                LineInput(
                    product_title=data["product_title"],
                    specification=data["specification"],
                    quantity=data["quantity"],
                    unit_price=price,
                    product=data.get("product"),
                )
            )
        return lines if ok else None

    @staticmethod
    def initial_for(version):
        return [
            {
                "product": line.product_id,
                "product_title": line.product_title,
                "specification": line.specification,
                "quantity": line.quantity,
                "unit_price": major_text(line.unit_price, version.currency),
            }
            for line in version.lines.all()
        ]


def line_formset(data=None, *, products, initial=None, extra=3):
    formset_class = forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=extra,
        can_delete=bool(initial),
        can_delete_extra=False,
        max_num=50,
        validate_max=True,
    )
    return formset_class(data, initial=initial, prefix="lines", form_kwargs={"products": products})


class ConfirmForm(forms.Form):
    version_number = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ChangeRequestForm(forms.Form):
    body = forms.CharField(
        label=_("What should change?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The supplier edits the contract; you then confirm the new version."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The other party sees it on the order."),
    )


class ShipByExtendForm(forms.Form):
    ship_by_date = forms.DateField(
        label=_("New ship-by date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The supplier has until the end of that day, in its own time zone."),
    )


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(
        label=_("Attachment (PDF, JPEG or PNG, optional)"),
        required=False,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


class ShippingDocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Shipping document (PDF, JPEG or PNG)"),
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Bill of lading, packing list…")}),
    )


class BaseShippingDocumentFormSet(forms.BaseFormSet):
    def documents(self):
        return [
            {"file": form.cleaned_data["file"], "description": form.cleaned_data["description"]}
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        ]


ShippingDocumentFormSet = forms.formset_factory(
    ShippingDocumentForm,
    formset=BaseShippingDocumentFormSet,
    extra=2,
    max_num=10,
    validate_max=True,
)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank(Order.Status.choices, _("All statuses")),
    )


class CompareForm(forms.Form):
    old = forms.TypedChoiceField(label=_("Compare version"), coerce=int)
    new = forms.TypedChoiceField(label=_("with version"), coerce=int)

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, _("Version %(n)s") % {"n": n}) for n in numbers]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices
