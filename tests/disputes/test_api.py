"""The disputes API: every step, answers by field, scoping, idempotency and the schema."""

import pytest
import yaml
from rest_framework.test import APIClient

from apps.disputes import services
from apps.disputes.models import Case
from tests.disputes.helpers import TOTAL, later, open_claim, photo, shipped_order
from tests.escrow.helpers import assert_ledger_invariants
from tests.factories import AccountFactory, BuyerFactory, MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_buyer_opens_a_claim_with_evidence():
    order = shipped_order()
    response = api(order.buyer).post(
        "/api/v1/disputes/",
        {
            "order": order.pk,
            "reason": "quality",
            "requested_outcome": "partial_refund",
            "requested_amount": 120_000,
            "description": "Wrong colour temperature.",
            "line_ids": [order.current_version.lines.first().pk],
            "evidence": [photo()],
            "evidence_kind": "photo",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["kind"] == "escrow"
    assert len(body["evidence"]) == 1


def test_a_claim_above_the_escrow_is_a_400_on_the_field():
    order = shipped_order()
    response = api(order.buyer).post(
        "/api/v1/disputes/",
        {
            "order": order.pk,
            "reason": "quality",
            "requested_outcome": "partial_refund",
            "requested_amount": TOTAL + 1,
            "description": "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "requested_amount" in response.json()


def test_the_supplier_cannot_open_a_claim():
    order = shipped_order()
    response = api(order.supplier).post(
        "/api/v1/disputes/",
        {"order": order.pk, "reason": "quality", "requested_outcome": "refund", "description": "x"},
        format="json",
    )
    assert response.status_code == 403


def test_negotiation_through_the_api():
    order = shipped_order()
    case = open_claim(order, amount=200_000)
    response = api(order.supplier).post(
        f"/api/v1/disputes/{case.pk}/answer/",
        {"answer": "counter", "outcome": "partial_refund", "amount": 90_000},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "negotiating"
    client = api(order.buyer)
    response = client.post(
        f"/api/v1/disputes/{case.pk}/accept-offer/", HTTP_IDEMPOTENCY_KEY="accept-1"
    )
    assert response.status_code == 200
    assert response.json()["refunded_amount"] == 90_000
    replay = client.post(
        f"/api/v1/disputes/{case.pk}/accept-offer/", HTTP_IDEMPOTENCY_KEY="accept-1"
    )
    assert replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert_ledger_invariants()


def test_escalating_early_is_a_409():
    order = shipped_order()
    case = open_claim(order)
    response = api(order.buyer).post(f"/api/v1/disputes/{case.pk}/escalate/")
    assert response.status_code == 409


def test_evidence_of_a_wrong_type_is_a_400():
    from django.core.files.uploadedfile import SimpleUploadedFile

    order = shipped_order()
    case = open_claim(order)
    response = api(order.supplier).post(
        f"/api/v1/disputes/{case.pk}/evidence/",
        {"file": SimpleUploadedFile("x.pdf", b"not a pdf"), "kind": "document"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()


@pytest.mark.parametrize(
    "outsider",
    [BuyerFactory, SupplierFactory, lambda: AccountFactory(role="staff", is_staff=True)],
)
def test_outsiders_get_404_for_someone_elses_case(outsider):
    case = open_claim(shipped_order())
    client = api(outsider())
    assert client.get(f"/api/v1/disputes/{case.pk}/").status_code == 404
    assert client.post(f"/api/v1/disputes/{case.pk}/escalate/").status_code == 404
    listed = client.get("/api/v1/disputes/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert case.pk not in [row["id"] for row in rows]


def test_only_mediators_decide_through_the_api():
    order = shipped_order()
    case = open_claim(order)
    services.case_escalate(case=case, acting_user=order.buyer, now=later(case, 3))
    staff = AccountFactory(role="staff", is_staff=True)
    # Staff outside the group do not even see the case.
    assert api(staff).post(f"/api/v1/disputes/{case.pk}/pick-up/").status_code == 404
    mediator = MediatorFactory()
    response = api(mediator).post(f"/api/v1/disputes/{case.pk}/pick-up/")
    assert response.status_code == 200
    services.evidence_add(
        case=case, acting_user=order.buyer, items=[services.EvidenceInput(file=photo())]
    )
    case.refresh_from_db()
    services.case_evidence_close_due(case_id=case.pk, now=case.evidence_closes_at)
    missing = api(mediator).post(
        f"/api/v1/disputes/{case.pk}/decide/", {"outcome": "refund"}, format="json"
    )
    assert missing.status_code == 400
    assert {"rationale", "clause"} <= set(missing.json())
    response = api(mediator).post(
        f"/api/v1/disputes/{case.pk}/decide/",
        {"outcome": "refund", "rationale": "Not as contracted.", "clause": "Contract v1"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Case.Status.DECIDED
    assert response.json()["decisions"][0]["rationale"] == "Not as contracted."


def test_the_schema_documents_every_dispute_step(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    assert "post" in paths["/api/v1/disputes/"]
    for step in (
        "answer",
        "accept-offer",
        "counter",
        "escalate",
        "evidence",
        "return/ship",
        "return/confirm",
        "return/dispute",
        "decision/accept",
        "appeal",
        "pick-up",
        "decide",
    ):
        assert f"/api/v1/disputes/{{id}}/{step}/" in paths, step
    assert "/api/v1/disputes/owed/" in paths
