"""Forms of the dispute pages and the mediators' decision form. They turn typed input into
service input (money in minor units, files as EvidenceInput); the rules are the services', whose
errors the views put back on these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.money import parse_major
from apps.disputes.models import Case, Evidence, Outcome
from apps.disputes.services import POST_DELIVERY_REASONS, EvidenceInput

REFUND_OUTCOMES = [
    (Outcome.REFUND, Outcome.REFUND.label),
    (Outcome.PARTIAL_REFUND, Outcome.PARTIAL_REFUND.label),
    (Outcome.RETURN_AND_REFUND, Outcome.RETURN_AND_REFUND.label),
]


class MoneyField(forms.CharField):
    """An amount typed in major units of `currency` (set by the form), cleaned to minor units."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.currency = "USD"

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return parse_major(value, self.currency)


class CurrencyFormMixin:
    def set_currency(self, currency):
        for field in self.fields.values():
            if isinstance(field, MoneyField):
                field.currency = currency


class ClaimForm(CurrencyFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("What went wrong"), choices=Case.Reason.choices)
    requested_outcome = forms.ChoiceField(
        label=_("What you ask for"), choices=REFUND_OUTCOMES, widget=forms.RadioSelect
    )
    requested_amount = MoneyField(
        label=_("Refund amount"),
        help_text=_(
            "For a partial refund (or the refund on a return). A full refund needs no amount."
        ),
    )
    lines = forms.MultipleChoiceField(
        label=_("Affected contract lines"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    evidence = forms.FileField(
        label=_("Evidence (photo or PDF)"),
        required=False,
        help_text=_("JPEG, PNG or PDF. Only the supplier and the mediators see it."),
    )
    evidence_kind = forms.ChoiceField(
        label=_("Kind of evidence"), choices=Evidence.Kind.choices, initial=Evidence.Kind.PHOTO
    )
    defect_rate = forms.DecimalField(
        label=_("Inspection defect rate (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("From an inspection report, if you have one."),
    )

    def __init__(self, *args, order, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_currency(order.currency)
        version = order.current_version
        self.fields["lines"].choices = [
            (str(line.pk), str(line)) for line in (version.lines.all() if version else [])
        ]
        if kind == Case.Kind.POST_DELIVERY:
            self.fields["reason"].choices = [
                (value, label)
                for value, label in Case.Reason.choices
                if value in POST_DELIVERY_REASONS
            ]

    def service_kwargs(self):
        data = self.cleaned_data
        evidence = []
        if data.get("evidence"):
            evidence.append(
                EvidenceInput(
                    file=data["evidence"],
                    kind=data["evidence_kind"],
                    defect_rate=data.get("defect_rate"),
                )
            )
        return {
            "reason": data["reason"],
            "requested_outcome": data["requested_outcome"],
            "requested_amount": data.get("requested_amount"),
            "description": data["description"],
            "line_ids": [int(pk) for pk in data.get("lines") or []],
            "evidence": evidence,
            "defect_rate": data.get("defect_rate"),
        }


class AnswerForm(CurrencyFormMixin, forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            ("accept", _("Accept the buyer's request")),
            ("counter", _("Make a counter-offer")),
            ("reject", _("Reject the claim")),
        ],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Offer"),
        required=False,
        choices=[("", "—"), *REFUND_OUTCOMES[1:]],
    )
    amount = MoneyField(label=_("Refund offered"))
    message = forms.CharField(
        label=_("Message to the buyer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    evidence = forms.FileField(label=_("Your evidence (photo or PDF)"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "counter" and not cleaned.get("outcome"):
            self.add_error("outcome", _("Choose what you offer."))
        return cleaned


class CounterForm(CurrencyFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Your proposal"), choices=REFUND_OUTCOMES)
    amount = MoneyField(label=_("Refund amount"))
    message = forms.CharField(
        label=_("Message to the supplier"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File (photo or PDF)"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Evidence.Kind.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    defect_rate = forms.DecimalField(
        label=_("Defect rate (%)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )

    def evidence_input(self):
        data = self.cleaned_data
        return EvidenceInput(
            file=data["file"],
            kind=data["kind"],
            description=data.get("description", ""),
            defect_rate=data.get("defect_rate"),
        )


class ReturnShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


class ReturnDisputeForm(forms.Form):
    message = forms.CharField(
        label=_("What is wrong with the return"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("New information your appeal rests on"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    evidence = forms.FileField(label=_("New evidence (photo or PDF)"), required=False)
