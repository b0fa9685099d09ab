from django.urls import path

from apps.orders import views

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/start/<int:product_pk>/", views.order_start, name="order_start"),
    path("orders/draft/", views.order_draft, name="order_draft"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/contract/", views.order_contract_edit, name="order_contract_edit"),
    path(
        "orders/<int:pk>/contract/compare/",
        views.order_versions_compare,
        name="order_versions_compare",
    ),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="order_confirm"),
    path(
        "orders/<int:pk>/change-request/", views.order_change_request, name="order_change_request"
    ),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path(
        "orders/<int:pk>/production/",
        views.order_start_production,
        name="order_start_production",
    ),
    path("orders/<int:pk>/ship/", views.order_ship, name="order_ship"),
    path("orders/<int:pk>/delivery/", views.order_record_delivery, name="order_record_delivery"),
    path("orders/<int:pk>/receipt/", views.order_confirm_receipt, name="order_confirm_receipt"),
    path("orders/<int:pk>/ship-by/", views.order_ship_by_extend, name="order_ship_by_extend"),
    path(
        "orders/<int:pk>/overdue-refund/", views.order_overdue_refund, name="order_overdue_refund"
    ),
    path(
        "orders/<int:pk>/receipt-extension/",
        views.order_receipt_extend,
        name="order_receipt_extend",
    ),
    path("orders/<int:pk>/messages/", views.order_message_send, name="order_message_send"),
    # Private files: streamed to the order's two parties (and staff), never by a public URL.
    path(
        "orders/<int:pk>/contract/v<int:number>/proforma/",
        views.order_proforma,
        name="order_proforma",
    ),
    path(
        "orders/<int:pk>/messages/<int:message_pk>/attachment/",
        views.order_message_attachment,
        name="order_message_attachment",
    ),
    path(
        "orders/<int:pk>/documents/<int:document_pk>/",
        views.order_shipping_document,
        name="order_shipping_document",
    ),
]
