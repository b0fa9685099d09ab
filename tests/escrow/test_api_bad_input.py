"""Odd input to the money API is a clear 400 or 404, never a 500, and moves nothing: text with
NUL characters or unpaired surrogates (which PostgreSQL cannot store and JSON cannot answer),
Idempotency-Keys that are not plain text, ids that are not numbers. Found by fuzzing the API
with schemathesis against its OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from apps.escrow.models import IdempotencyRecord, LedgerEntry, Payment
from apps.orders.models import Order
from tests.escrow.helpers import assert_ledger_invariants, confirmed_order
from tests.factories import EligibleSupplierFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def post_raw(client, path, body, **headers):
    return client.post(path, body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "body",
    [
        '{"purpose": "deposit\\u0000", "method": "card"}',
        '{"purpose": "deposit", "method": "\\ud800"}',
        '{"purpose": "deposit", "method": "card", "\\u0000": 1}',
        '{"purpose": ["\\udfff"], "method": "card"}',
    ],
)
@pytest.mark.parametrize("key", [None, "bad-text-1"])
def test_nul_characters_and_lone_surrogates_are_a_400(body, key):
    order = confirmed_order()
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    response = post_raw(client_for(order.buyer), f"{ORDERS}{order.pk}/payments/", body, **headers)

    assert response.status_code == 400, response.content
    assert "NUL characters or unpaired surrogates" in response.json()["detail"]
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()
    assert not IdempotencyRecord.objects.filter(response_status__isnull=True).exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.CONFIRMED


def test_a_refund_reason_with_a_lone_surrogate_is_a_400_and_refunds_nothing():
    order = confirmed_order()
    client_for(order.buyer).post(
        f"{ORDERS}{order.pk}/payments/", {"purpose": "full", "method": "card"}, "json"
    )

    response = post_raw(
        client_for(order.supplier), f"{ORDERS}{order.pk}/refund/", '{"reason": "x\\ud800y"}'
    )

    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).status == Order.Status.FUNDED
    assert_ledger_invariants()


@pytest.mark.parametrize("key", ["nul\x00key", "caf\u00e9", "tab\tkey"])
def test_an_idempotency_key_must_be_printable_ascii(key):
    order = confirmed_order()

    response = client_for(order.buyer).post(
        f"{ORDERS}{order.pk}/payments/",
        {"purpose": "deposit", "method": "card"},
        "json",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert "printable ASCII" in response.json()["detail"][0]
    assert not Payment.objects.exists() and not IdempotencyRecord.objects.exists()


def test_a_gold_purchase_id_that_is_not_a_number_is_a_404():
    supplier = EligibleSupplierFactory()

    response = client_for(supplier).post("/api/v1/gold-purchases/abc/cancel/")

    assert response.status_code == 404


@pytest.mark.parametrize("key", [None, "form-nul-1"])
def test_a_nul_character_in_a_form_field_is_a_400(key):
    """Form and multipart bodies are not JSON: their fields refuse NUL, and a refusal that
    repeats the value is still kept under its Idempotency-Key."""
    order = confirmed_order()
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}

    response = client_for(order.buyer).post(
        f"{ORDERS}{order.pk}/payments/",
        "purpose=deposit%00&method=card",
        content_type="application/x-www-form-urlencoded",
        **headers,
    )

    assert response.status_code == 400, response.content
    assert "purpose" in response.json()
    assert not Payment.objects.exists()
    if key:
        replay = client_for(order.buyer).post(
            f"{ORDERS}{order.pk}/payments/",
            "purpose=deposit%00&method=card",
            content_type="application/x-www-form-urlencoded",
            **headers,
        )
        assert replay.status_code == 400 and replay.headers["Idempotent-Replayed"] == "true"
