"""Odd input to the money API is a clear 400 or 404, never a 500, and moves nothing: text with
NUL characters or unpaired surrogates (which PostgreSQL cannot store and JSON cannot answer),
Idempotency-Keys that are not plain text, ids that are not numbers. Found by fuzzing the API
with schemathesis against its OpenAPI schema."""

import pytest
import yaml
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.escrow import services as escrow_services
from apps.escrow.models import IdempotencyRecord, LedgerEntry, Payment, WebhookEvent
from apps.escrow.providers.sandbox import sign
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
    assert response.json() == {
        "detail": ["Text may not contain NUL characters or unpaired surrogates."]
    }
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


# --- the provider's webhook: signed, but still odd ------------------------------------------


def signed_post(body: bytes):
    signature = sign(body, int(timezone.now().timestamp()))
    return Client().post(
        "/api/v1/escrow/webhooks/sandbox/",
        data=body,
        content_type="application/json",
        HTTP_PACTLINE_SIGNATURE=signature,
    )


def tt_payment():
    order = confirmed_order()
    return escrow_services.payment_start(
        order=order, acting_user=order.buyer, purpose="deposit", method="tt"
    )


@pytest.mark.parametrize(
    "data",
    [
        '{"reference": "REF", "amount": NaN}',
        '{"reference": "REF", "amount": Infinity}',
        '{"reference": "REF\\u0000", "amount": 1}',
        '{"reference": "REF", "note": "\\ud800", "amount": 1}',
    ],
)
def test_a_signed_event_json_cannot_keep_is_a_400_and_changes_nothing(data):
    payment = tt_payment()
    data = data.replace("REF", payment.provider_reference)
    body = f'{{"id": "evt_odd", "type": "payment.transfer_received", "data": {data}}}'.encode()

    response = signed_post(body)

    assert (response.status_code, response.json()) == (400, {"detail": "malformed event"})
    assert not WebhookEvent.objects.exists()
    assert Payment.objects.get(pk=payment.pk).received_amount == 0


@pytest.mark.parametrize("amount", [10**15 + 1, 2**63 - 1, 2**63, 10**30])
def test_a_transfer_larger_than_any_bank_sends_is_a_400(amount):
    payment = tt_payment()
    body = (
        f'{{"id": "evt_big", "type": "payment.transfer_received", '
        f'"data": {{"reference": "{payment.provider_reference}", "amount": {amount}}}}}'
    ).encode()

    response = signed_post(body)

    assert response.status_code == 400
    assert "at most 10^15" in response.json()["detail"]
    assert not LedgerEntry.objects.exists()
    assert_ledger_invariants()


def test_the_largest_transfer_allowed_arrives_and_the_excess_goes_back():
    payment = tt_payment()
    body = (
        f'{{"id": "evt_max", "type": "payment.transfer_received", '
        f'"data": {{"reference": "{payment.provider_reference}", "amount": {10**15}}}}}'
    ).encode()

    assert signed_post(body).status_code == 200

    payment.refresh_from_db()
    assert payment.received_amount == payment.amount
    assert_ledger_invariants()


# --- the schema says what the endpoints take and answer ---------------------------------------


def test_the_schema_documents_buying_gold_on_create_and_cancelling_on_cancel():
    paths = yaml.safe_load(Client().get("/api/schema/").content)["paths"]
    buy = paths["/api/v1/gold-purchases/"]["post"]
    cancel = paths["/api/v1/gold-purchases/{id}/cancel/"]["post"]

    assert buy["summary"] == "Buy a year of Gold (suppliers)"
    assert "Idempotency-Key" in {p["name"] for p in buy["parameters"]}
    assert set(buy["responses"]) >= {"201", "400", "403"}
    assert cancel["summary"].startswith("Cancel a bank transfer")
    assert "requestBody" not in cancel
    assert set(cancel["responses"]) >= {"200", "404"}
    assert "201" not in cancel["responses"]


def test_the_schema_allows_the_empty_buyer_email_of_an_order_the_buyer_started():
    schema = yaml.safe_load(Client().get("/api/schema/").content)
    email = schema["components"]["schemas"]["OrderSummary"]["properties"]["buyer_email"]

    assert email["type"] == "string" and "format" not in email
