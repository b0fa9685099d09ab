from django.urls import path

from apps.suppliers import views

urlpatterns = [
    path("suppliers/<int:pk>/", views.storefront, name="supplier_storefront"),
    path("supplier/trade-assurance/", views.trade_assurance, name="supplier_trade_assurance"),
    path(
        "supplier/verification/apply/",
        views.verification_apply,
        name="supplier_verification_apply",
    ),
    path(
        "supplier/verification/<int:pk>/update/",
        views.verification_update,
        name="supplier_verification_update",
    ),
    path(
        "verification/documents/<str:kind>/<int:pk>/",
        views.verification_document,
        name="verification_document",
    ),
]
