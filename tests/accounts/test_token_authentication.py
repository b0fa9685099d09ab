"""API calls authenticate with `Authorization: Token <key>` through one plain statement
(apps/accounts/authentication.py) that DRF's TokenAuthentication would otherwise have the ORM
compile on every call. It accepts and refuses exactly what DRF's does."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.authentication import user_for_token
from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"


def client_with(key, **headers):
    client = APIClient(**headers)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_authenticates_its_own_user_in_one_query(django_assert_num_queries):
    buyer, other = BuyerFactory(), BuyerFactory()
    key = Token.objects.create(user=buyer).key
    Token.objects.create(user=other)

    with django_assert_num_queries(1):
        user, token = user_for_token(key)

    assert (user.pk, user.email, user.role, token.key, token.user_id) == (
        buyer.pk,
        buyer.email,
        "buyer",
        key,
        buyer.pk,
    )
    response = client_with(key).get(ME_URL)
    assert response.status_code == 200
    assert response.json()["email"] == buyer.email


def test_an_unknown_token_is_a_401_in_the_callers_language():
    BuyerFactory()
    english = client_with("0" * 40).get(ME_URL)
    dutch = client_with("0" * 40, HTTP_ACCEPT_LANGUAGE="nl").get(ME_URL)

    assert english.status_code == dutch.status_code == 401
    assert english.json() == {"detail": "Invalid token."}
    assert dutch.json() == {"detail": "Ongeldig token."}


def test_a_deactivated_users_token_is_refused():
    buyer = BuyerFactory()
    key = Token.objects.create(user=buyer).key
    buyer.is_active = False
    buyer.save()

    response = client_with(key).get(ME_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_deleted_token_stops_working_at_once():
    buyer = BuyerFactory()
    token = Token.objects.create(user=buyer)
    assert client_with(token.key).get(ME_URL).status_code == 200

    token.delete()

    assert client_with(token.key).get(ME_URL).status_code == 401
