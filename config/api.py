"""API-wide pieces."""

from rest_framework.metadata import SimpleMetadata
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.orders.exceptions import OrderError


def exception_handler(exc, context):
    """Domain errors a user can cause become 400/403/409 with a message per field (or under
    "detail"), never a 500; everything else is DRF's usual handling."""
    if isinstance(exc, OrderError):
        body = {name: [str(m) for m in messages] for name, messages in exc.errors.items()}
        if not body:
            body = {exc.field or "detail": [str(exc.message)]}
        return Response(body, status=exc.http_status)
    return drf_exception_handler(exc, context)


class ApiMetadata(SimpleMetadata):
    """OPTIONS answers the endpoint's name, description and formats. The fields each method
    takes are described once, in the OpenAPI schema (/api/schema/): DRF's SimpleMetadata would
    build the view's serializer on every OPTIONS, and viewsets whose actions each take their own
    serializer (the money actions) have none, which was a 500."""

    def determine_actions(self, request, view):
        return {}
