from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.suppliers import selectors
from apps.suppliers.serializers import StorefrontSerializer


class StorefrontView(APIView):
    """A supplier's storefront: tier badges, Trade Assurance Amount and trust figures."""

    permission_classes = [AllowAny]

    @extend_schema(responses=StorefrontSerializer, auth=[])
    def get(self, request, pk):
        supplier = selectors.supplier_get_public(pk=pk)
        figures = selectors.storefront_figures(supplier=supplier)
        return Response(StorefrontSerializer({"supplier": supplier, "figures": figures}).data)
