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
    response = drf_exception_handler(exc, context)
    if isinstance(exc, ParseError) and response is not None:
        # A body that is not JSON: the documented shape of every 400, {"detail": [message]}.
        response.data = {"detail": [str(exc.detail)]}
    return response


# --- the schema ----------------------------------------------------------------------------------

INVALID_PAGE = {
    "description": "No such page: `page` is not a number or is past the last page "
    '(`{"detail": "Invalid page."}`).',
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "example": {"detail": "Invalid page."},
            }
        }
    },
}
INVALID_FILTER = {
    "description": "A query parameter's value is not one it takes: messages by parameter.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "example": {
                    "status": [
                        "Select a valid choice. shipped2 is not one of the available choices."
                    ]
                },
            }
        }
    },
}


def document_list_answers(result, generator, request, public):
    """drf-spectacular postprocessing hook: the answers DRF itself gives on lists, which no
    view documents of its own accord. A paginated list answers 404 for a page that does not
    exist; a list with filters answers 400 for a value a filter does not take."""
    for path_item in result.get("paths", {}).values():
        operation = path_item.get("get")
        if operation is None:
            continue
        query = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        responses = operation.setdefault("responses", {})
        if "page" in query:
            responses.setdefault("404", INVALID_PAGE)
        if query - {"page"}:
            responses.setdefault("400", INVALID_FILTER)
    return result


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
