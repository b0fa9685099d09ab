"""The disputes API's shapes. Money is an integer in the minor unit of the case's ISO 4217
currency; times are ISO 8601 with their offset."""

import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.disputes.models import Case, CaseEvent, Decision, Evidence, Offer, Outcome, Party

REFUND_OUTCOMES = [Outcome.REFUND, Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND]


def enum(choices, **kwargs):
    """A choice field documented with its values inline, so that the schema's enum components
    of other apps (their own `status`, `kind`, `outcome`) keep their names."""
    values = [str(c[0] if isinstance(c, (list, tuple)) else c) for c in choices]
    # A pattern, not an `enum`: enums become shared components named after the field.
    schema = {
        "type": "string",
        "pattern": "^(" + "|".join(re.escape(v) for v in values) + ")$",
        "description": "One of: " + ", ".join(f"`{v}`" for v in values if v) + ".",
    }
    field_class = extend_schema_field(schema)(
        type("DisputeEnumField", (serializers.ChoiceField,), {})
    )
    return field_class(choices=choices, **kwargs)


class EvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    party = enum(Party.choices, read_only=True)
    kind = enum(Evidence.Kind.choices, read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "party",
            "kind",
            "filename",
            "description",
            "defect_rate",
            "for_appeal",
            "created_at",
            "url",
        ]

    def get_url(self, evidence) -> str:
        return reverse("dispute_evidence_file", args=[evidence.case_id, evidence.pk])


class OfferSerializer(serializers.ModelSerializer):
    party = enum(Party.choices, read_only=True)
    outcome = enum([("", ""), *Outcome.choices], read_only=True)
    status = enum(Offer.Status.choices, read_only=True)

    class Meta:
        model = Offer
        fields = ["id", "party", "outcome", "amount", "message", "status", "created_at"]


class DecisionSerializer(serializers.ModelSerializer):
    outcome = enum(Outcome.choices, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "outcome",
            "refund_amount",
            "rationale",
            "clause",
            "on_appeal",
            "created_at",
        ]


class CaseEventSerializer(serializers.ModelSerializer):
    type = enum(CaseEvent.Type.choices, read_only=True)

    class Meta:
        model = CaseEvent
        fields = ["type", "from_status", "to_status", "parameters", "created_at"]


class CaseSummarySerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id")
    kind = enum(Case.Kind.choices, read_only=True)
    status = enum(Case.Status.choices, read_only=True)
    reason = enum(Case.Reason.choices, read_only=True)
    requested_outcome = enum(Outcome.choices, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "order",
            "kind",
            "status",
            "reason",
            "requested_outcome",
            "requested_amount",
            "currency",
            "opened_at",
            "next_deadline_at",
        ]


class CaseDetailSerializer(CaseSummarySerializer):
    affected_lines = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    outcome = enum([("", ""), *Outcome.choices], read_only=True)
    appealed_by = enum([("", ""), *Party.choices], read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    offers = OfferSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "description",
            "affected_lines",
            "defect_rate",
            "answer_due_at",
            "escalation_opens_at",
            "auto_escalate_at",
            "pickup_due_at",
            "evidence_closes_at",
            "decision_due_at",
            "appeal_closes_at",
            "return_ship_by",
            "return_confirm_by",
            "return_carrier",
            "return_tracking",
            "buyer_accepted_at",
            "supplier_accepted_at",
            "appealed_by",
            "appealed_at",
            "outcome",
            "outcome_amount",
            "refunded_amount",
            "paid_from_coverage",
            "closed_at",
            "evidence",
            "offers",
            "decisions",
            "events",
        ]


class ClaimOpenSerializer(serializers.Serializer):
    order = serializers.IntegerField(help_text="The id of one of the caller's orders.")
    reason = enum(Case.Reason.choices)
    requested_outcome = enum(REFUND_OUTCOMES)
    requested_amount = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Minor units; for partial refunds."
    )
    description = serializers.CharField(max_length=5000)
    line_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    defect_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    evidence = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="Photos or PDFs (multipart)."
    )
    evidence_kind = enum(Evidence.Kind.choices, required=False)


class EvidenceAddSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = enum(Evidence.Kind.choices)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    defect_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )


class AnswerSerializer(serializers.Serializer):
    answer = enum(["accept", "counter", "reject"])
    outcome = enum([Outcome.PARTIAL_REFUND, Outcome.RETURN_AND_REFUND], required=False)
    amount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class CounterSerializer(serializers.Serializer):
    outcome = enum(REFUND_OUTCOMES)
    amount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ReturnShipSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class AppealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class DecideSerializer(serializers.Serializer):
    outcome = enum(Outcome.choices)
    refund_amount = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    rationale = serializers.CharField(max_length=10000)
    clause = serializers.CharField(max_length=300)


class OwedSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.IntegerField()
    claims = CaseSummarySerializer(many=True)
