from django.urls import path

from apps.suppliers import api

urlpatterns = [
    path("suppliers/<int:pk>/", api.StorefrontView.as_view(), name="api-supplier-storefront"),
]
