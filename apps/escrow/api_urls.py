from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.escrow import api
from apps.escrow.urls import api_urlpatterns

router = SimpleRouter(use_regex_path=False)
# Only actions: /orders/{id}/payments/ and /orders/{id}/refund/, beside the orders API's routes.
router.register("orders", api.OrderEscrowViewSet, basename="api-order-escrow")
router.register("statements", api.StatementViewSet, basename="api-statement")
router.register("balances", api.BalanceViewSet, basename="api-balance")
router.register("payouts", api.PayoutViewSet, basename="api-payout")
router.register("gold-purchases", api.GoldPurchaseViewSet, basename="api-gold-purchase")

urlpatterns = [
    # The webhook as an APIView, so the schema documents it; it runs the same view function as
    # the plain route in api_urlpatterns, which stays behind it (the first match wins).
    path(
        "escrow/webhooks/<str:provider_name>/",
        api.ProviderWebhookView.as_view(),
        name="escrow-webhook",
    ),
    path("payout-account/", api.PayoutAccountView.as_view(), name="api-payout-account"),
    *api_urlpatterns,
    *router.urls,
]
