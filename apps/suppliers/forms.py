from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.uploads import DOCUMENT_KINDS, FileKindValidator
from apps.suppliers.models import Certificate, VerificationApplication

APPLICATION_FIELDS = [
    "director_full_name",
    "registered_company_name",
    "registration_number",
    "address",
    "business_licence",
]


class VerificationApplicationForm(forms.ModelForm):
    accept_agreement = forms.BooleanField(
        label=_("I have read and accept the Trade Assurance Services Agreement shown above."),
        required=True,
    )
    agreement_version = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = VerificationApplication
        fields = APPLICATION_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "business_licence": _("PDF, JPEG or PNG, up to 10 MB. Only you and our staff see it."),
        }


class VerificationResubmitForm(forms.ModelForm):
    business_licence = forms.FileField(
        label=_("New business licence (optional)"),
        required=False,
        validators=[FileKindValidator(DOCUMENT_KINDS)],
        help_text=_("Leave empty to keep the one you sent."),
    )

    class Meta:
        model = VerificationApplication
        fields = ["director_full_name", "registered_company_name", "registration_number", "address"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class CertificateForm(forms.ModelForm):
    class Meta:
        model = Certificate
        fields = ["name", "issuer", "number", "expires_on", "file"]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}


CertificateFormSet = forms.formset_factory(CertificateForm, extra=2, max_num=10, validate_max=True)


def certificate_rows(formset):
    """The filled-in certificate forms as service input; blank rows are skipped."""
    return [form.cleaned_data for form in formset if form.has_changed() and form.cleaned_data]
