"""The disputes REST API under /api/v1/disputes/: opening a claim on one of the caller's
orders and every later step. Thin views over apps/disputes/services.py.

Cases come from selectors.cases_for (the caller's own; mediators: all), so someone else's case is
a 404 before anything else. The services' errors (DisputeError, an OrderError) are answered by
config.api.exception_handler: 400 with messages by field, 403 for the wrong party or a
non-mediator, 409 out of turn. Calls that move money take an Idempotency-Key header."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.disputes import selectors, services
from apps.disputes.models import Case
from apps.disputes.serializers import (
    AnswerSerializer,
    AppealSerializer,
    CaseDetailSerializer,
    CaseSummarySerializer,
    ClaimOpenSerializer,
    CounterSerializer,
    DecideSerializer,
    EvidenceAddSerializer,
    EvidenceSerializer,
    MessageSerializer,
    OwedSerializer,
    ReturnShipSerializer,
)
from apps.escrow.api import RefusalsLikeTheServices, validated
from apps.escrow.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from apps.orders import selectors as order_selectors
from apps.orders.api import error_body

ERRORS = {
    400: OpenApiResponse(
        error_body({"requested_amount": ["At most US$ 6,000.00 can be paid on this case."]}),
        "Invalid input: messages by field (`detail` for the whole request).",
    ),
    403: OpenApiResponse(
        error_body({"detail": ["The other party does this step."]}),
        "The other party, or not a mediator.",
    ),
    404: OpenApiResponse(description="No such case (or order) among the caller's."),
    409: OpenApiResponse(
        error_body({"detail": ["This case is settled; that step is not possible now."]}),
        "Not possible at this stage of the case, or an Idempotency-Key conflict.",
    ),
}


def answers(ok, *codes, ok_status=200):
    return {ok_status: ok, **{code: ERRORS[code] for code in codes}}


def _evidence(files, kind="photo", defect_rate=None):
    return [
        services.EvidenceInput(file=f, kind=kind or "photo", defect_rate=defect_rate)
        for f in files or []
    ]


@extend_schema(tags=["disputes"])
@extend_schema_view(
    list=extend_schema(
        summary="The caller's cases", description="Newest first; mediators see all."
    ),
    retrieve=extend_schema(
        summary="One case",
        description="The claim, deadlines, evidence, offers, decisions with their rationale, and "
        "the case's timeline.",
        responses=answers(CaseDetailSerializer, 404),
    ),
)
class CaseViewSet(
    RefusalsLikeTheServices,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_converter = "int"
    queryset = Case.objects.none()  # names the model for the schema; calls use the selectors

    def get_serializer_class(self):
        return CaseSummarySerializer if self.action == "list" else CaseDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.cases_for(user=self.request.user)

    def get_object(self):
        return selectors.case_get_for(user=self.request.user, pk=self.kwargs["pk"])

    def _detail(self, case):
        case = selectors.case_get_for(user=self.request.user, pk=case.pk)
        return Response(CaseDetailSerializer(case).data)

    @extend_schema(
        summary="Open a claim on an order (buyers)",
        description="On a funded or shipped order the escrow is frozen (order `disputed`) until "
        "the case ends. On an order completed within the coverage window (30 days) a claim "
        "about the goods is a post-delivery claim, paid from Trade Assurance coverage. Evidence "
        "files (multipart `evidence`) are photos or PDFs, seen only by the parties and "
        "mediators. `requested_amount` (minor units) for a partial refund or a return.",
        request={
            "multipart/form-data": ClaimOpenSerializer,
            "application/json": ClaimOpenSerializer,
        },
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409, ok_status=201),
    )
    def create(self, request):
        data = validated(ClaimOpenSerializer, request)
        order = order_selectors.order_get_for(user=request.user, pk=data["order"])
        case = services.case_open(
            order=order,
            acting_user=request.user,
            reason=data["reason"],
            requested_outcome=data["requested_outcome"],
            requested_amount=data.get("requested_amount"),
            description=data["description"],
            line_ids=data.get("line_ids") or [],
            defect_rate=data.get("defect_rate"),
            evidence=_evidence(
                data.get("evidence"), data.get("evidence_kind"), data.get("defect_rate")
            ),
        )
        case = selectors.case_get_for(user=request.user, pk=case.pk)
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add evidence (parties)",
        description="A photo or PDF (multipart `file`), while the case is open; in mediation "
        "until the evidence window closes.",
        request={"multipart/form-data": EvidenceAddSerializer},
        responses=answers(EvidenceSerializer(many=True), 400, 403, 404, 409, ok_status=201),
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        case = self.get_object()
        data = validated(EvidenceAddSerializer, request)
        saved = services.evidence_add(
            case=case,
            acting_user=request.user,
            items=[
                services.EvidenceInput(
                    file=data["file"],
                    kind=data["kind"],
                    description=data.get("description", ""),
                    defect_rate=data.get("defect_rate"),
                )
            ],
        )
        return Response(EvidenceSerializer(saved, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Answer the claim (suppliers)",
        description="`accept` settles on what the buyer asks (money moves at once; a return "
        "and refund starts the return); `counter` offers a partial refund (`amount`) or a "
        "return and refund; `reject` needs a `message`.",
        request=AnswerSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def answer(self, request, pk=None):
        case = self.get_object()
        data = validated(AnswerSerializer, request)
        case = services.case_supplier_answer(
            case=case,
            acting_user=request.user,
            answer=data["answer"],
            outcome=data.get("outcome", ""),
            amount=data.get("amount"),
            message=data.get("message", ""),
        )
        return self._detail(case)

    @extend_schema(
        summary="Accept the supplier's offer (buyers)",
        description="The case settles and the money moves at once.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(CaseDetailSerializer, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="accept-offer")
    @idempotent
    def accept_offer(self, request, pk=None):
        case = services.case_offer_accept(case=self.get_object(), acting_user=request.user)
        return self._detail(case)

    @extend_schema(
        summary="Counter the supplier's offer (buyers)",
        request=CounterSerializer,
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def counter(self, request, pk=None):
        data = validated(CounterSerializer, request)
        case = services.case_counter(
            case=self.get_object(),
            acting_user=request.user,
            outcome=data["outcome"],
            amount=data.get("amount"),
            message=data.get("message", ""),
        )
        return self._detail(case)

    @extend_schema(
        summary="Escalate to mediation (buyers, from day 4)",
        request=None,
        responses=answers(CaseDetailSerializer, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        case = services.case_escalate(case=self.get_object(), acting_user=request.user)
        return self._detail(case)

    @extend_schema(
        summary="Ship the goods back (buyers)",
        request=ReturnShipSerializer,
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="return/ship")
    def return_ship(self, request, pk=None):
        data = validated(ReturnShipSerializer, request)
        case = services.case_return_ship(
            case=self.get_object(),
            acting_user=request.user,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
        )
        return self._detail(case)

    @extend_schema(
        summary="Confirm the return arrived (suppliers)",
        description="The refund is made at once.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(CaseDetailSerializer, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="return/confirm")
    @idempotent
    def return_confirm(self, request, pk=None):
        case = services.case_return_confirm(case=self.get_object(), acting_user=request.user)
        return self._detail(case)

    @extend_schema(
        summary="Dispute the return (suppliers)",
        description="A mediator decides.",
        request=MessageSerializer,
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="return/dispute")
    def return_dispute(self, request, pk=None):
        data = validated(MessageSerializer, request)
        case = services.case_return_dispute(
            case=self.get_object(), acting_user=request.user, message=data["message"]
        )
        return self._detail(case)

    @extend_schema(
        summary="Accept the mediator's decision (parties)",
        description="When both parties have accepted, the decision is carried out at once.",
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(CaseDetailSerializer, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="decision/accept")
    @idempotent
    def decision_accept(self, request, pk=None):
        case = services.case_decision_accept(case=self.get_object(), acting_user=request.user)
        return self._detail(case)

    @extend_schema(
        summary="Appeal the decision (parties, once, within 10 days)",
        request=AppealSerializer,
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def appeal(self, request, pk=None):
        data = validated(AppealSerializer, request)
        case = services.case_appeal(
            case=self.get_object(), acting_user=request.user, reason=data["reason"]
        )
        return self._detail(case)

    @extend_schema(
        summary="Pick up an escalated case or an appeal (mediators)",
        request=None,
        responses=answers(CaseDetailSerializer, 403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="pick-up")
    def pick_up(self, request, pk=None):
        case = services.case_pick_up(case=self.get_object(), acting_user=request.user)
        return self._detail(case)

    @extend_schema(
        summary="Decide (mediators)",
        description="With a written `rationale` and the `clause` or policy applied. An appeal's "
        "decision (by a different mediator) is final and carried out at once.",
        request=DecideSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(CaseDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def decide(self, request, pk=None):
        data = validated(DecideSerializer, request)
        case = self.get_object()
        services.case_decide(
            case=case,
            acting_user=request.user,
            outcome=data["outcome"],
            refund_amount=data.get("refund_amount"),
            rationale=data["rationale"],
            clause=data["clause"],
        )
        return self._detail(case)

    @extend_schema(
        summary="What the caller owes for covered claims (suppliers)",
        responses={200: OwedSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def owed(self, request):
        claims = list(selectors.supplier_covered_claims(supplier=request.user))
        rows = [
            {
                "currency": currency,
                "amount": amount,
                "claims": [c for c in claims if c.currency == currency],
            }
            for currency, amount in selectors.supplier_owed_by_currency(supplier=request.user)
        ]
        return Response(OwedSerializer(rows, many=True).data)
