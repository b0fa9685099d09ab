from django import forms
from django.conf import settings
from django.forms.renderers import TemplatesSetting
from django.utils.choices import BlankChoiceIterator
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from apps.accounts.models import User, phone_validator, time_zone_choices

WIDGET_CSS_CLASSES = {
    "django/forms/widgets/select.html": "form-select",
    "django/forms/widgets/select_date.html": "",
    "django/forms/widgets/checkbox.html": "form-check-input",
    "django/forms/widgets/radio.html": "",
    "django/forms/widgets/checkbox_select.html": "",
    "django/forms/widgets/multiwidget.html": "",
    "django/forms/widgets/splitdatetime.html": "",
    "django/forms/widgets/hidden.html": "",
    "django/forms/widgets/multiple_hidden.html": "",
}


class BootstrapFormRenderer(TemplatesSetting):
    """Renders every form with Bootstrap 5 markup: templates/forms/ for forms and fields, and
    the Bootstrap class on each widget added here, in one place, instead of per form."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if widget is not None and template_name.startswith("django/forms/widgets/"):
            css_class = WIDGET_CSS_CLASSES.get(template_name, "form-control")
            if css_class:
                attrs = widget["attrs"] = dict(widget.get("attrs") or {})
                existing = attrs.get("class", "")
                if css_class not in existing.split():
                    attrs["class"] = f"{css_class} {existing}".strip()
        return super().render(template_name, context, request=request)


class CompanyFieldsMixin(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    country = LazyTypedChoiceField(
        label=_("Country"), choices=BlankChoiceIterator(countries, [("", _("Choose your country"))])
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=200)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        initial="UTC",
        help_text=_("Dates and times are shown to you in this time zone."),
        widget=forms.Select(attrs={"data-browser-timezone": "true"}),
    )


class CompanySignupForm(CompanyFieldsMixin):
    """Extra signup fields; allauth adds email and passwords. Saved by AccountAdapter.save_user."""

    role = forms.ChoiceField(
        label=_("I am signing up as"),
        choices=[
            (User.Role.BUYER, _("A buyer: I source products from suppliers")),
            (User.Role.SUPPLIER, _("A supplier: I sell products to buyers")),
        ],
        widget=forms.RadioSelect,
        initial=User.Role.BUYER,
    )

    field_order = ["role", "email", "password1", "password2", "company_name", "country"]

    def signup(self, request, user):
        """Required by allauth; the role and profile are saved in AccountAdapter.save_user."""


class AccountSettingsForm(CompanyFieldsMixin):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
