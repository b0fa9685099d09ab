import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.models import User
from tests.factories import PASSWORD, BuyerFactory, SupplierFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/me/"


@pytest.fixture
def api():
    return APIClient()


def test_email_and_password_get_a_token_that_authenticates(api):
    supplier = SupplierFactory()

    response = api.post(TOKEN_URL, {"email": supplier.email.upper(), "password": PASSWORD})

    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == supplier.email
    assert me.json()["role"] == "supplier"
    assert me.json()["company"]["company_name"] == supplier.company.company_name


def test_wrong_password_is_a_400_with_a_message(api):
    buyer = BuyerFactory()

    response = api.post(TOKEN_URL, {"email": buyer.email, "password": "nope"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Wrong email or password."]}


def test_missing_fields_are_400_per_field(api):
    response = api.post(TOKEN_URL, {"email": "not-an-email"})

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


def test_unverified_email_gets_no_token(api):
    buyer = BuyerFactory(verified=False)

    response = api.post(TOKEN_URL, {"email": buyer.email, "password": PASSWORD})

    assert response.status_code == 400
    assert "Verify your email address first" in response.json()["email"][0]
    assert not Token.objects.filter(user=buyer).exists()


def test_me_without_credentials_is_401(api):
    assert api.get(ME_URL).status_code == 401


def test_a_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert api.get(ME_URL).status_code == 401


def test_session_auth_works_for_the_portal_pages_calls(client):
    buyer = BuyerFactory()
    client.force_login(buyer)

    assert client.get(ME_URL).json()["email"] == buyer.email


def test_me_patch_changes_preferences_but_never_the_role(api):
    buyer = BuyerFactory()
    api.force_authenticate(buyer)

    response = api.patch(
        ME_URL, {"timezone": "Europe/Amsterdam", "language": "nl", "role": "staff"}, format="json"
    )

    assert response.status_code == 200
    buyer.refresh_from_db()
    assert (buyer.timezone, buyer.language, buyer.role) == (
        "Europe/Amsterdam",
        "nl",
        User.Role.BUYER,
    )


def test_me_patch_with_a_bad_time_zone_is_a_400_on_that_field(api):
    buyer = BuyerFactory()
    api.force_authenticate(buyer)

    response = api.patch(ME_URL, {"timezone": "Mars/Olympus"}, format="json")

    assert response.status_code == 400
    assert "timezone" in response.json()
    buyer.refresh_from_db()
    assert buyer.timezone == "UTC"


def test_deleting_the_token_revokes_it(api):
    buyer = BuyerFactory()
    token = Token.objects.create(user=buyer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert api.delete(TOKEN_URL).status_code == 204
    assert api.get(ME_URL).status_code == 401


def test_token_endpoint_is_throttled(api):
    buyer = BuyerFactory()
    statuses = [
        api.post(TOKEN_URL, {"email": buyer.email, "password": "nope"}).status_code
        for _ in range(11)
    ]

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    assert b"/api/v1/me/" in schema.content

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
