"""API-wide pieces."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.text import json_storable
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


UNSTORABLE_TEXT = _("Text may not contain NUL characters or unpaired surrogates.")


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, refusing (400) text no field could take: NUL characters and unpaired
    surrogates. Refused here, they never reach a refusal message that echoes them (which the
    database could not keep under an Idempotency-Key, nor the renderer encode)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not json_storable(data):
            raise ParseError(UNSTORABLE_TEXT)
        return data
