"""What DRF answers on its own is documented and has the documented shape: every paginated list
answers 404 {"detail": "Invalid page."} for a page that does not exist, a filter value a list
does not take is a 400 with messages by parameter, and a body that is not JSON is a 400
{"detail": [message]} like every other refusal."""

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from tests.escrow.helpers import confirmed_order

pytestmark = pytest.mark.django_db

SUPPLIERS_ONLY = ("/api/v1/payouts/", "/api/v1/gold-purchases/")


def schema():
    return yaml.safe_load(Client().get("/api/schema/").content)


def query_parameters(operation):
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def test_every_paginated_list_answers_a_missing_page_as_documented():
    order = confirmed_order()
    lists = {
        path: item["get"]
        for path, item in schema()["paths"].items()
        if "get" in item and "page" in query_parameters(item["get"])
    }
    assert len(lists) >= 6  # orders, products, statements, payouts, disputes, Gold

    for path, operation in lists.items():
        client = APIClient()
        client.force_authenticate(order.supplier if path in SUPPLIERS_ONLY else order.buyer)
        for page in ("999", "not-a-number"):
            response = client.get(path.replace("{id}", str(order.pk)), {"page": page})

            assert (path, response.status_code) == (path, 404)
            assert response.json() == {"detail": "Invalid page."}
        assert "404" in operation["responses"], path


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/orders/", {"status": "shipped2"}, "status"),
        ("/api/v1/products/", {"sort": "cheapest"}, "sort"),
        ("/api/v1/statements/", {"currency": "XXX"}, "currency"),
    ],
)
def test_a_filter_value_a_list_does_not_take_is_a_documented_400(path, query, field):
    order = confirmed_order()
    client = APIClient()
    client.force_authenticate(order.buyer)

    response = client.get(path, query)

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert all(isinstance(message, str) for message in body[field])
    assert "400" in schema()["paths"][path]["get"]["responses"]


def test_a_body_that_is_not_json_is_a_400_with_the_message_under_detail():
    order = confirmed_order()
    client = APIClient()
    client.force_authenticate(order.buyer)

    response = client.post(
        f"/api/v1/orders/{order.pk}/payments/",
        data='{"purpose": "deposit", "method": ',
        content_type="application/json",
    )

    assert response.status_code == 400
    (message,) = response.json()["detail"]
    assert message.startswith("JSON parse error")
