from django.urls import path

from apps.escrow import views, webhooks

urlpatterns = [
    path("orders/<int:pk>/pay/", views.order_pay, name="order_pay"),
    path(
        "orders/<int:pk>/payments/<int:payment_pk>/",
        views.order_payment,
        name="order_payment",
    ),
    path(
        "orders/<int:pk>/payments/<int:payment_pk>/simulate/",
        views.order_payment_simulate,
        name="order_payment_simulate",
    ),
    path("orders/<int:pk>/refund/", views.order_refund, name="order_refund"),
    path(
        "orders/<int:pk>/refunds/<int:refund_pk>/bank-account/",
        views.order_refund_account,
        name="order_refund_account",
    ),
    path(
        "orders/<int:pk>/refunds/<int:refund_pk>/simulate/",
        views.order_refund_simulate,
        name="order_refund_simulate",
    ),
    path("supplier/payouts/", views.supplier_payouts, name="supplier_payouts"),
    path(
        "supplier/payouts/bank-account/",
        views.supplier_payout_account,
        name="supplier_payout_account",
    ),
    path(
        "supplier/payouts/<int:pk>/simulate/",
        views.supplier_payout_simulate,
        name="supplier_payout_simulate",
    ),
    path("supplier/gold/", views.supplier_gold, name="supplier_gold"),
    path(
        "supplier/gold/<int:pk>/cancel/",
        views.supplier_gold_cancel,
        name="supplier_gold_cancel",
    ),
    path(
        "supplier/gold/<int:pk>/simulate/",
        views.supplier_gold_simulate,
        name="supplier_gold_simulate",
    ),
    path("statements/", views.statements, name="statements"),
    path("statements/csv/", views.statements_csv, name="statements_csv"),
]

api_urlpatterns = [
    path(
        "escrow/webhooks/<str:provider_name>/",
        webhooks.provider_webhook,
        name="escrow-webhook",
    ),
]
