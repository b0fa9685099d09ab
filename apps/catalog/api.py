from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from apps.catalog import selectors
from apps.catalog.filters import ProductFilter
from apps.catalog.pagination import CappedCountPaginator
from apps.catalog.serializers import ProductDetailSerializer, ProductListSerializer


class CatalogPagination(PageNumberPagination):
    """PACTLINE_CATALOG_PAGE_SIZE products a page, like the search page; `count` stops at
    PACTLINE_CATALOG_COUNT_LIMIT (then `count_is_capped` is true)."""

    django_paginator_class = CappedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_capped"] = self.page.paginator.count_is_capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "True when more products match than `count` says (it stops at "
            "the catalog's count limit, 10,000 by default).",
        }
        return schema

    @property
    def page_size(self):
        return settings.PACTLINE_CATALOG_PAGE_SIZE


@extend_schema_view(
    list=extend_schema(
        summary="Search products",
        description=(
            "Active products, with the same filters and sort orders as the search page. "
            "Prices are integers in the minor unit of each product's currency; the price "
            "range filter is in `price_currency` (USD by default) and compares products priced "
            "in other currencies at indicative exchange rates. `count` stops at the catalog's "
            "count limit (10,000 by default); `count_is_capped` then says there are more."
        ),
        auth=[],
    ),
    retrieve=extend_schema(
        summary="A product",
        description="An active product (a supplier also gets their own inactive ones).",
    ),
)
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter
    pagination_class = CatalogPagination

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.product_detail_queryset(user=self.request.user)
        return selectors.products_public()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProductDetailSerializer
        return ProductListSerializer

    def filter_queryset(self, queryset):
        # The filters (and the search ordering) belong to the list; a product is found by id.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)
