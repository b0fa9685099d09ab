"""The orders REST API under /api/v1/orders/: thin views over apps/orders/services.py.

Every order is fetched through a selector scoped to the caller (selectors.order_get_for, or its
lighter order_detail_get_for and order_access_get_for), so someone else's order is a 404 before
anything else is looked at. The services' errors (OrderError) are answered by
config.api.exception_handler: 400 with messages by field, 403 for the wrong party, 409 for a
step out of turn. Money is an integer in the minor unit of the order's ISO 4217 currency."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.accounts.models import User
from apps.catalog import selectors as catalog_selectors
from apps.escrow.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from apps.orders import selectors, services
from apps.orders.documents import order_detail_data
from apps.orders.exceptions import WrongParty
from apps.orders.models import Order
from apps.orders.serializers import (
    PARTIES,
    CancelSerializer,
    ChangeRequestSerializer,
    ConfirmSerializer,
    ContractSerializer,
    ContractVersionSerializer,
    MessageSendSerializer,
    OrderDetailSerializer,
    OrderDraftSerializer,
    OrderMessageSerializer,
    OrderStartSerializer,
    OrderSummarySerializer,
    ShipByExtendSerializer,
    ShipSerializer,
    VersionCompareQuerySerializer,
    VersionComparisonSerializer,
)

# --- who may call what -----------------------------------------------------------------------


class IsBuyerAccount(BasePermission):
    message = _("Only buyer accounts can start an order.")

    def has_permission(self, request, view):
        return request.user.role == User.Role.BUYER


class IsSupplierAccount(BasePermission):
    message = _("Only supplier accounts can draft an order for a buyer.")

    def has_permission(self, request, view):
        return request.user.role == User.Role.SUPPLIER


class IsOrderBuyer(BasePermission):
    """The caller is the buyer of the order (checked once order_get_for has found it)."""

    message = WrongParty.default_message

    def has_object_permission(self, request, view, order):
        return order.party(request.user) == "buyer"


class IsOrderSupplier(BasePermission):
    message = WrongParty.default_message

    def has_object_permission(self, request, view, order):
        return order.party(request.user) == "supplier"


# --- documentation of the answers --------------------------------------------------------------


def error_body(example):
    return {
        "type": "object",
        "description": "Messages by field name; `detail` when they are about the whole request.",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": example,
    }


ERRORS = {
    400: OpenApiResponse(
        error_body({"deposit_percent": ["Ensure this value is less than or equal to 100."]}),
        "Invalid input or contract: messages by field.",
    ),
    403: OpenApiResponse(
        error_body({"detail": ["The other party does this step."]}),
        "The other party (or another kind of account) does this step.",
    ),
    404: OpenApiResponse(description="No such order among the caller's orders."),
    409: OpenApiResponse(
        error_body({"detail": ["This order is draft; that step is not possible now."]}),
        "Not possible at this stage of the order (out of turn).",
    ),
}


def answers(ok, *error_codes, ok_status=200):
    return {ok_status: ok, **{code: ERRORS[code] for code in error_codes}}


def order_step(
    summary, description, *, request=None, errors=(400, 403, 404, 409), moves_money=False
):
    """The schema of a step on one order: it answers with the order as it is afterwards. A step
    that moves money takes an Idempotency-Key header (apps/escrow/idempotency.py)."""
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        parameters=[IDEMPOTENCY_KEY_PARAMETER] if moves_money else None,
        responses=answers(OrderDetailSerializer, *errors),
    )


# --- the order list ----------------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Order.Status.choices, help_text="Only orders in this state."
    )
    role = django_filters.ChoiceFilter(
        choices=PARTIES,
        method="filter_role",
        help_text="Only the orders in which the caller is the buyer, or the supplier.",
    )

    class Meta:
        model = Order
        fields = []

    def filter_role(self, queryset, name, value):
        if value == "buyer":
            return queryset.filter(buyer=self.request.user)
        return queryset.filter(supplier=self.request.user)


@extend_schema(tags=["orders"])
@extend_schema_view(
    list=extend_schema(
        summary="The caller's orders",
        description="Orders in which the caller is the buyer or the supplier, newest first. "
        "Amounts are integers in the minor unit of each order's `currency`.",
    ),
    retrieve=extend_schema(
        summary="An order",
        description="Parties, contract (current version with lines and confirmations), "
        "Trade Assurance coverage, shipment, timeline and what the caller may do next.",
        responses=answers(OrderDetailSerializer, 404),
    ),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilter
    lookup_value_converter = "int"  # /orders/abc/ is a 404, not a query with a bad id
    # Checked after order_get_for has found the order, so an outsider gets 404, not 403.
    extra_permissions = {
        "create": [IsBuyerAccount],
        "drafts": [IsSupplierAccount],
        "change_request": [IsOrderBuyer],
        "confirm_receipt": [IsOrderBuyer],
        "start_production": [IsOrderSupplier],
        "ship": [IsOrderSupplier],
    }

    def get_permissions(self):
        extra = self.extra_permissions.get(self.action, [])
        return [*super().get_permissions(), *(permission() for permission in extra)]

    def permission_denied(self, request, message=None, code=None):
        # A refusal by role reads like the services' own: 403 {"detail": [message]}.
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated
        raise WrongParty(message)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Order.objects.none()
        return selectors.orders_for(user=self.request.user)

    # Money steps whose service locks and re-reads the order: the scoped row is the whole
    # access check, and the answer loads the order afresh.
    access_only_actions = {"confirm_receipt", "cancel"}

    def get_object(self):
        user, pk = self.request.user, self.kwargs["pk"]
        if self.action in self.access_only_actions:
            order = selectors.order_access_get_for(user=user, pk=pk)
        else:
            order = selectors.order_get_for(user=user, pk=pk)
        self.check_object_permissions(self.request, order)
        return order

    def get_serializer_class(self):
        return OrderSummarySerializer if self.action == "list" else OrderDetailSerializer

    def retrieve(self, request, pk=None):
        return Response(order_detail_data(pk=self.kwargs["pk"], request=request))

    def _order_response(self, order, status_code=status.HTTP_200_OK):
        return Response(order_detail_data(pk=order.pk, request=self.request), status=status_code)

    @staticmethod
    def _validated(serializer_class, request, **context):
        serializer = serializer_class(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return serializer

    # --- starting an order

    @extend_schema(
        summary="Start an order from products (buyers)",
        description="Products of one Trade Assurance supplier with quantities. Each unit price "
        "is the product's price tier for the quantity (the tier with the highest minimum "
        "quantity up to it); the currency is the products'. The supplier then reviews the "
        "draft; both parties confirm the same contract version.",
        request=OrderStartSerializer,
        responses=answers(OrderDetailSerializer, 400, 403, ok_status=201),
    )
    def create(self, request):
        products = catalog_selectors.products_public().prefetch_related("price_tiers")
        serializer = self._validated(OrderStartSerializer, request, products=products)
        order = services.order_start(buyer=request.user, terms=serializer.terms())
        return self._order_response(order, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Draft an order for a buyer (suppliers)",
        description="The whole contract for a buyer by email. A buyer without an account is "
        "invited to sign up and finds the draft waiting. Send JSON, or multipart with `lines` "
        "as a JSON string to attach a proforma invoice.",
        request=OrderDraftSerializer,
        responses=answers(OrderDetailSerializer, 400, 403, ok_status=201),
    )
    @action(detail=False, methods=["post"])
    def drafts(self, request):
        products = catalog_selectors.products_for_supplier(supplier=request.user)
        serializer = self._validated(OrderDraftSerializer, request, products=products)
        order = services.order_draft_for_buyer(
            supplier=request.user,
            buyer_email=serializer.validated_data["buyer_email"],
            terms=serializer.terms(),
        )
        return self._order_response(order, status.HTTP_201_CREATED)

    # --- the contract

    @order_step(
        "Edit the contract",
        "Writes the whole contract as a new version; both parties confirm it again. Refused "
        "(409) once money is paid. Send JSON, or multipart with `lines` as a JSON string to "
        "attach a proforma invoice.",
        request=ContractSerializer,
    )
    @action(detail=True, methods=["post"])
    def contract(self, request, pk=None):
        order = self.get_object()
        products = catalog_selectors.products_for_supplier(supplier=order.supplier)
        serializer = self._validated(ContractSerializer, request, products=products)
        services.contract_edit(order=order, acting_user=request.user, terms=serializer.terms())
        return self._order_response(order)

    @extend_schema(
        summary="Contract versions",
        description="Every version of the order's contract, oldest first.",
        responses=answers(ContractVersionSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request, pk=None):
        order = self.get_object()
        return Response(ContractVersionSerializer(order.versions.all(), many=True).data)

    @extend_schema(
        summary="Compare two contract versions",
        parameters=[VersionCompareQuerySerializer],
        responses=answers(VersionComparisonSerializer, 400, 404),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="versions/compare",
        pagination_class=None,
        filter_backends=[],
    )
    def versions_compare(self, request, pk=None):
        order = self.get_object()
        query = VersionCompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        comparison = selectors.versions_compare(
            order=order,
            old_number=query.validated_data["old"],
            new_number=query.validated_data["new"],
        )
        return Response(VersionComparisonSerializer(comparison).data)

    @order_step(
        "Confirm the contract",
        "The caller's party confirms the version it reviewed. 409 when that version is no "
        "longer the current one or is already confirmed by the caller. When both parties have "
        "confirmed, the order is confirmed and its Trade Assurance coverage fixed.",
        request=ConfirmSerializer,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(ConfirmSerializer, request)
        services.contract_confirm(
            order=order,
            acting_user=request.user,
            version_number=serializer.validated_data["version"],
        )
        return self._order_response(order)

    @order_step(
        "Request a change (buyers)",
        "Asks the supplier to change the contract; the request shows among the messages.",
        request=ChangeRequestSerializer,
    )
    @action(detail=True, methods=["post"], url_path="change-request")
    def change_request(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(ChangeRequestSerializer, request)
        services.order_change_request(
            order=order, acting_user=request.user, text=serializer.validated_data["text"]
        )
        return self._order_response(order)

    @order_step(
        "Cancel the order",
        "Either party cancels, with a reason, before any money is paid (409 afterwards).",
        request=CancelSerializer,
        moves_money=True,
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(CancelSerializer, request)
        services.order_cancel(
            order=order, acting_user=request.user, reason=serializer.validated_data["reason"]
        )
        return self._order_response(order)

    # --- production, shipment, receipt

    @order_step(
        "Mark production as started (suppliers)",
        "Once the deposit is paid.",
        errors=(403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="start-production")
    def start_production(self, request, pk=None):
        order = self.get_object()
        services.order_start_production(order=order, acting_user=request.user)
        return self._order_response(order)

    @order_step(
        "Ship the order (suppliers)",
        "A funded order, with carrier and tracking number; shipping documents (PDF, JPEG or "
        "PNG) in a multipart request. 409 before the balance is paid.",
        request=ShipSerializer,
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(ShipSerializer, request)
        services.order_ship(
            order=order,
            acting_user=request.user,
            carrier=serializer.validated_data["carrier"],
            tracking_number=serializer.validated_data["tracking_number"],
            documents=serializer.shipping_documents(),
        )
        return self._order_response(order)

    @order_step(
        "Record the delivery",
        "Either party records that the shipment arrived; the buyer's inspection period runs "
        "from here.",
        errors=(403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="record-delivery")
    def record_delivery(self, request, pk=None):
        order = self.get_object()
        services.order_record_delivery(order=order, acting_user=request.user)
        return self._order_response(order)

    @order_step(
        "Confirm receipt (buyers)",
        "The goods arrived as contracted: the order completes and the escrow is released to "
        "the supplier.",
        errors=(403, 404, 409),
        moves_money=True,
    )
    @action(detail=True, methods=["post"], url_path="confirm-receipt")
    @idempotent
    def confirm_receipt(self, request, pk=None):
        order = self.get_object()
        services.order_confirm_receipt(order=order, acting_user=request.user)
        return self._order_response(order)

    # --- deadlines

    @order_step(
        "Give the supplier more time to ship (buyers)",
        "Moves the ship-by date later, up to 90 days past the contract's date in all. On an "
        "overdue order this is the buyer's decision: the automatic refund is off and the order "
        "waits for shipment again.",
        request=ShipByExtendSerializer,
    )
    @action(detail=True, methods=["post"], url_path="extend-ship-by")
    def extend_ship_by(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(ShipByExtendSerializer, request)
        order = services.order_ship_by_extend(
            order=order,
            acting_user=request.user,
            ship_by_date=serializer.validated_data["ship_by_date"],
        )
        return self._order_response(order)

    @order_step(
        "Take the full refund of an overdue order (buyers)",
        "Everything in escrow goes back to the buyer and the order ends refunded.",
        errors=(403, 404, 409),
        moves_money=True,
    )
    @action(detail=True, methods=["post"], url_path="overdue-refund")
    @idempotent
    def overdue_refund(self, request, pk=None):
        order = self.get_object()
        order = services.order_overdue_refund(order=order, acting_user=request.user)
        return self._order_response(order)

    @order_step(
        "Extend the receiving time (once per party)",
        "Adds 15 days to the time before a shipped order completes by itself.",
        errors=(403, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="extend-receipt")
    def extend_receipt(self, request, pk=None):
        order = self.get_object()
        order = services.order_receipt_extend(order=order, acting_user=request.user)
        return self._order_response(order)

    # --- messages

    @extend_schema(
        summary="Messages on the order",
        description="Between the buyer and the supplier, oldest first; change requests too.",
        responses=answers(OrderMessageSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def messages(self, request, pk=None):
        order = self.get_object()
        page = self.paginate_queryset(list(order.messages.all()))
        return self.get_paginated_response(OrderMessageSerializer(page, many=True).data)

    @extend_schema(
        summary="Send a message",
        description="To the other party, with an optional PDF, JPEG or PNG attachment (judged "
        "by content) in a multipart request. A supplier's message that looks like a request "
        "to pay outside Pactline comes back with `payment_warning` set.",
        request=MessageSendSerializer,
        responses=answers(OrderMessageSerializer, 400, 403, 404, ok_status=201),
    )
    @messages.mapping.post
    def message_send(self, request, pk=None):
        order = self.get_object()
        serializer = self._validated(MessageSendSerializer, request)
        message = services.order_message_send(
            order=order,
            acting_user=request.user,
            body=serializer.validated_data["body"],
            attachment=serializer.validated_data.get("attachment"),
        )
        return Response(OrderMessageSerializer(message).data, status=status.HTTP_201_CREATED)
