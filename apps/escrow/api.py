"""The escrow REST API: payments into an order's escrow and refunds out of it (under
/api/v1/orders/{id}/), the caller's statement, balances and payouts, and the payment provider's
webhook. Thin views over apps/escrow/services.py and selectors.py.

Order-bound endpoints find the order through apps.orders.selectors.order_access_get_for (the
order's own row, scoped to the caller), so someone else's order is a 404 before anything else is
looked at (staff may refund any order); the services lock and re-read it. The
services' errors become 400/403/409 with a message by field (config.api.exception_handler).
Every call that moves money takes an Idempotency-Key header (apps/escrow/idempotency.py)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.escrow import selectors, services, webhooks
from apps.escrow.exceptions import PayoutAccountNotReady
from apps.escrow.filters import StatementFilter
from apps.escrow.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from apps.escrow.models import GoldPurchase, LedgerPosting, Payout
from apps.escrow.serializers import (
    BalanceSerializer,
    GoldPurchaseSerializer,
    GoldPurchaseStartSerializer,
    PaymentSerializer,
    PaymentStartedSerializer,
    PaymentStartSerializer,
    PayoutAccountSerializer,
    PayoutAccountSetSerializer,
    PayoutRequestSerializer,
    PayoutSerializer,
    RefundAccountSerializer,
    RefundSentSerializer,
    RefundSerializer,
    StatementLineSerializer,
    WebhookEventSerializer,
    WebhookOutcomeSerializer,
)
from apps.orders import selectors as order_selectors
from apps.orders.api import error_body
from apps.orders.documents import order_detail_data
from apps.orders.exceptions import WrongParty
from apps.orders.models import Order
from apps.orders.serializers import OrderDetailSerializer

# --- who may call what -----------------------------------------------------------------------


class IsSupplierAccount(BasePermission):
    message = _("Only supplier accounts have balances, payouts and Gold membership.")

    def has_permission(self, request, view):
        return request.user.role == User.Role.SUPPLIER


class RefusalsLikeTheServices:
    """A refusal by role reads like the services' own: 403 {"detail": [message]}."""

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated
        raise WrongParty(message)


class PasswordCheckThrottle(UserRateThrottle):
    """Calls that check the account's password: a few a minute per user (the rate
    "password_check"), so a stolen token cannot be used to guess it. Reads are not counted."""

    scope = "password_check"

    def allow_request(self, request, view):
        return request.method in SAFE_METHODS or super().allow_request(request, view)


def validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- documentation of the answers --------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(
        error_body({"amount": ["That is more than is due: 180000 minor units."]}),
        "Refused: messages by field (`detail` for the whole request).",
    ),
    403: OpenApiResponse(
        error_body({"detail": ["The buyer pays into escrow."]}),
        "The other party (or another kind of account) does this.",
    ),
    404: OpenApiResponse(description="No such order among the caller's orders."),
    409: OpenApiResponse(
        error_body({"detail": ["Pay the deposit first (or pay the full amount)."]}),
        "Not possible at this stage of the order; or the Idempotency-Key was used for another "
        "request, or its first request is still being processed.",
    ),
}


def answers(ok, *error_codes, ok_status=200):
    return {ok_status: ok, **{code: ERRORS[code] for code in error_codes}}


# --- payments and refunds on one order ---------------------------------------------------------


@extend_schema(tags=["orders"])
class OrderEscrowViewSet(RefusalsLikeTheServices, viewsets.GenericViewSet):
    """/api/v1/orders/{id}/payments/ and /refund/, next to the orders API's own steps."""

    lookup_value_converter = "int"
    # Names the model for the schema's {id}; every call finds its order with
    # order_access_get_for.
    queryset = Order.objects.none()

    def get_order(self):
        return order_selectors.order_access_get_for(user=self.request.user, pk=self.kwargs["pk"])

    def _order_detail(self, order):
        # Staff refunding someone else's order see it too.
        scoped = order.party(self.request.user) is not None
        return order_detail_data(pk=order.pk, request=self.request, scoped=scoped)

    @extend_schema(
        summary="Payments on the order",
        description="Every payment into the order's escrow, oldest first, with what is still "
        "awaited (status `pending`) and how to pay it (`instructions`). Either party.",
        responses=answers(PaymentSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def payments(self, request, pk=None):
        order = self.get_order()
        return Response(PaymentSerializer(selectors.payments_for(order=order), many=True).data)

    @extend_schema(
        summary="Money sent back to the buyer",
        description="Every refund of the order through the payment provider, oldest first: "
        "a refund, a settlement's refunded part, an overpayment returned or a claim paid from "
        "coverage, each to the payment it came from. A bank transfer back is `processing` "
        "until the buyer's bank takes it; one it refuses is `failed` and Pactline holds the "
        "money for the buyer until staff send it again (a new refund with `retry_of`). "
        "Either party.",
        responses=answers(RefundSentSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def refunds(self, request, pk=None):
        order = self.get_order()
        return Response(RefundSentSerializer(selectors.refunds_for(order=order), many=True).data)

    @extend_schema(
        summary="Give a bank account for a refund not delivered (buyers)",
        description="When the buyer's bank or card did not take a refund (`failed`), Pactline "
        "holds the money; the buyer gives a bank account for it, confirmed with its password, "
        "and staff send the refund again there by bank transfer. The buyer and the staff who "
        "send refunds are emailed. Details given again replace the earlier ones (the same "
        "details change nothing). Refused: bank details or password (400, messages by field, "
        "as for the payout account), a refund that was delivered or was sent again already "
        "(409), someone else's order or refund (404). Wrong passwords are throttled (429).",
        request=PayoutAccountSetSerializer,
        responses={
            201: RefundAccountSerializer,
            400: OpenApiResponse(
                error_body({"password": ["This is not your password."]}),
                "Refused: messages by field.",
            ),
            403: ERRORS[403],
            404: ERRORS[404],
            409: ERRORS[409],
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="refunds/<int:refund_pk>/bank-account",
        url_name="refund-bank-account",
    )
    def refund_bank_account(self, request, pk=None, refund_pk=None):
        order = self.get_order()
        refund = get_object_or_404(selectors.refunds_for(order=order), pk=refund_pk)
        if refund.buyer_id != request.user.pk:
            raise Http404
        data = validated(PayoutAccountSetSerializer, request)
        account = services.refund_account_give(refund=refund, buyer=request.user, **data)
        return Response(RefundAccountSerializer(account).data, status=status.HTTP_201_CREATED)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "refund_bank_account":  # it checks the password
            throttles.append(PasswordCheckThrottle())
        return throttles

    @extend_schema(
        summary="Pay into escrow (buyers)",
        description="The deposit once the contract is confirmed, then the balance; or the full "
        "amount at once. Card and Pay Later are received at once and move the order on; T/T, "
        "e-Check and Boleto stay `pending` until the provider reports the money (a T/T may "
        "arrive in several transfers; anything beyond what is due is returned). Refused: more "
        "than is due (400 on `amount`), a second payment while one is on its way (400), a "
        "deposit on a contract without one (400 on `purpose`), a balance before the deposit, "
        "a cancelled, completed or fully paid order (409).",
        request=PaymentStartSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(PaymentStartedSerializer, 400, 403, 404, 409, ok_status=201),
    )
    @payments.mapping.post
    @idempotent
    def payment_start(self, request, pk=None):
        order = self.get_order()
        data = validated(PaymentStartSerializer, request)
        payment = services.payment_start(
            order=order,
            acting_user=request.user,
            purpose=data["purpose"],
            method=data["method"],
            amount=data.get("amount"),
        )
        # The service answers with the payment as stored and payment.order as it left it.
        started = {
            "payment": payment,
            "order": {
                "order": payment.order,
                "escrow": selectors.escrow_summary_for(order=payment.order),
            },
        }
        return Response(PaymentStartedSerializer(started).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Refund the buyer (suppliers, staff)",
        description="`amount` left out refunds everything held and the order is refunded. Less "
        "than that is possible once the goods are shipped (or in a dispute): that part goes "
        "back to the buyer and the rest is released to the supplier, completing the order. "
        "Refused: more than is held (400 on `amount`), a partial refund before shipment (400), "
        "an order with nothing in escrow (409). Answers with the order.",
        request=RefundSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(OrderDetailSerializer, 400, 403, 404, 409),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def refund(self, request, pk=None):
        if request.user.is_staff:  # mediators refund any order, not only their own
            order = get_object_or_404(Order.objects.all(), pk=self.kwargs["pk"])
        else:
            order = self.get_order()
        data = validated(RefundSerializer, request)
        services.escrow_refund(
            order=order, acting_user=request.user, amount=data.get("amount"), reason=data["reason"]
        )
        return Response(self._order_detail(order))


# --- the caller's money ------------------------------------------------------------------------


@extend_schema(tags=["escrow"])
class StatementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = StatementLineSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = StatementFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return LedgerPosting.objects.none()
        return selectors.statement_lines_for(user=self.request.user)

    @extend_schema(
        summary="The caller's statement",
        description="Every posting on the caller's own accounts, newest first: a buyer's "
        "payments into escrow and refunds back; a supplier's releases, payouts and failed "
        "payouts returned. Never anyone else's. Optionally for a period (`date_from`, "
        "`date_to`: days in the caller's time zone, both included) and one `currency`; a "
        "period that ends before it starts, or a date or currency that is not one, is a 400 "
        "with the message on that parameter.",
        responses={
            200: StatementLineSerializer(many=True),
            400: OpenApiResponse(
                error_body(
                    {"date_to": ["The period ends before it starts: choose a later end date."]}
                ),
                "A parameter is not valid: messages by parameter.",
            ),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["escrow"])
class BalanceViewSet(RefusalsLikeTheServices, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsSupplierAccount]
    pagination_class = None

    @extend_schema(
        summary="The supplier's balances",
        description="Per currency: available (released, can be paid out), held in escrow on "
        "open orders, and paid out so far. Suppliers only (403).",
        responses=answers(BalanceSerializer(many=True), 403),
    )
    def list(self, request):
        balances = selectors.supplier_balances_for(supplier=request.user)
        return Response(BalanceSerializer(balances, many=True).data)


@extend_schema(tags=["escrow"])
class PayoutViewSet(RefusalsLikeTheServices, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, IsSupplierAccount]
    serializer_class = PayoutSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payout.objects.none()
        return selectors.payouts_for(supplier=self.request.user)

    @extend_schema(
        summary="The supplier's payouts",
        description="Newest first. Suppliers only (403).",
        responses=answers(PayoutSerializer(many=True), 403),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Ask for a payout (suppliers)",
        description="From the available balance in that currency to the supplier's bank "
        "account (GET /api/v1/payout-account/); it is taken from the balance at once and "
        "returned if the payout fails. The payout keeps the account it went to (`destination`, "
        "masked). Refused: more than is available (400 on `amount`); no bank account set yet, or "
        "one changed less than PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS ago (409 on `detail`).",
        request=PayoutRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(PayoutSerializer, 400, 403, 409, ok_status=201),
    )
    @idempotent
    def create(self, request):
        data = validated(PayoutRequestSerializer, request)
        payout = services.payout_request(
            supplier=request.user, amount=data["amount"], currency=data["currency"]
        )
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["escrow"])
class PayoutAccountView(RefusalsLikeTheServices, APIView):
    """/api/v1/payout-account/: the one bank account the supplier's payouts go to."""

    permission_classes = [IsAuthenticated, IsSupplierAccount]
    throttle_classes = [*APIView.throttle_classes, PasswordCheckThrottle]

    @extend_schema(
        summary="The supplier's payout bank account",
        description="Masked. 404 while the supplier has not set one. Suppliers only (403).",
        responses={
            200: PayoutAccountSerializer,
            403: ERRORS[403],
            404: OpenApiResponse(
                error_body({"detail": ["Add the bank account your payouts go to first."]}),
                "No account set yet.",
            ),
        },
    )
    def get(self, request):
        account = selectors.payout_account_current(supplier=request.user)
        if account is None:
            return Response(
                {"detail": [str(PayoutAccountNotReady.default_message)]},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(PayoutAccountSerializer(account).data)

    @extend_schema(
        summary="Set or change the payout bank account (suppliers)",
        description="Confirmed with the account's password. An IBAN where the bank's country "
        "uses them (checked digit by digit), else the account number with the bank's BIC. The "
        "supplier is emailed about it; payouts to a changed account (not the first) start "
        "after PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS (`payouts_from`). The same details again "
        "change nothing. Refused (400, messages by field): a wrong password, an IBAN with "
        "wrong check digits or length, an IBAN or BIC of another country than `country`, a "
        "missing BIC with an account number. Wrong passwords are throttled (429).",
        request=PayoutAccountSetSerializer,
        responses={
            200: PayoutAccountSerializer,
            400: OpenApiResponse(
                error_body({"iban": ["This IBAN's check digits do not match: look for a typo."]}),
                "Refused: messages by field.",
            ),
            403: ERRORS[403],
        },
    )
    def put(self, request):
        data = validated(PayoutAccountSetSerializer, request)
        account = services.payout_account_set(supplier=request.user, **data)
        return Response(PayoutAccountSerializer(account).data)


@extend_schema(tags=["escrow"])
class GoldPurchaseViewSet(RefusalsLikeTheServices, mixins.ListModelMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"  # /gold-purchases/abc/cancel/ is a 404
    permission_classes = [IsAuthenticated, IsSupplierAccount]
    serializer_class = GoldPurchaseSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GoldPurchase.objects.none()
        return selectors.gold_purchases_for(supplier=self.request.user).select_related("membership")

    @extend_schema(
        summary="The supplier's Gold purchases",
        description="Newest first. Suppliers only (403).",
        responses=answers(GoldPurchaseSerializer(many=True), 403),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Cancel a bank transfer for Gold not yet made (suppliers)",
        description="Only while nothing of it has arrived (400 otherwise); a transfer sent "
        "later is returned. Another supplier's purchase is a 404.",
        request=None,
        responses=answers(GoldPurchaseSerializer, 400, 403, 404),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        purchase = get_object_or_404(self.get_queryset(), pk=pk)
        purchase = services.gold_purchase_cancel(purchase=purchase, acting_user=request.user)
        return Response(GoldPurchaseSerializer(purchase).data)

    @extend_schema(
        summary="Buy a year of Gold (suppliers)",
        description="At the price PACTLINE_GOLD_PRICE_USD. By card the year is added at once; "
        "a T/T answers `pending` with bank details and adds the year when the money arrives. "
        "A renewal starts when the current year ends. Refused (400): a Gold payment still on its "
        "way, or a membership that does not end within PACTLINE_GOLD_RENEWAL_DAYS.",
        request=GoldPurchaseStartSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses=answers(GoldPurchaseSerializer, 400, 403, 409, ok_status=201),
    )
    @idempotent
    def create(self, request):
        data = validated(GoldPurchaseStartSerializer, request)
        purchase = services.gold_purchase_start(supplier=request.user, method=data["method"])
        return Response(GoldPurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED)


# --- the payment provider ----------------------------------------------------------------------


class ProviderWebhookView(APIView):
    """The provider's notifications, in the schema. The work is apps.escrow.webhooks'
    provider_webhook: the signature, not a session or a token, says who is calling."""

    authentication_classes = []  # no session, so no CSRF check either
    permission_classes = [AllowAny]
    throttle_classes = []  # a provider retries and replays; dedup by event id copes

    @extend_schema(
        tags=["escrow"],
        auth=[],
        summary="Payment provider webhook",
        description="Signed with HMAC-SHA256 over `<timestamp>.<raw body>` with the provider's "
        "webhook secret, sent as `Pactline-Signature: t=<unix timestamp>,v1=<hex digest>`; "
        "refused (400) with a bad signature, a timestamp more than 300 s away from now, or a "
        "body that is not an event. Each event id is applied once: a replay answers "
        "`duplicate` and changes nothing.",
        parameters=[
            OpenApiParameter(
                "provider_name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=["sandbox"],
                description="The payment provider.",
            ),
            OpenApiParameter(
                "Pactline-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<unix timestamp>,v1=<hex HMAC-SHA256 of '<timestamp>.<body>'>",
            ),
        ],
        request=WebhookEventSerializer,
        responses={
            200: WebhookOutcomeSerializer,
            400: OpenApiResponse(
                {"type": "object", "properties": {"detail": {"type": "string"}}},
                "Bad signature, stale timestamp or malformed event.",
            ),
            404: OpenApiResponse(description="Unknown provider."),
        },
    )
    def post(self, request, provider_name):
        # The raw body, unread by DRF's parsers: the signature is over its exact bytes.
        return webhooks.provider_webhook(request._request, provider_name=provider_name)
