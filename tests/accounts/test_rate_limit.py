import pytest
from django.urls import reverse

from tests.factories import PASSWORD, BuyerFactory

pytestmark = pytest.mark.django_db


def attempt(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_five_failed_logins_lock_the_account_even_for_the_right_password(client):
    buyer = BuyerFactory()
    for _ in range(5):
        response = attempt(client, buyer.email, "wrong-password")
        assert "The email address and/or password you specified are not correct." in (
            response.content.decode()
        )

    response = attempt(client, buyer.email, PASSWORD)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_logins_for_one_account_do_not_lock_another(client):
    victim, other = BuyerFactory(), BuyerFactory()
    for _ in range(5):
        attempt(client, victim.email, "wrong-password")

    response = attempt(client, other.email, PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("buyer_home")


def test_a_flood_of_logins_from_one_address_gets_the_429_page(client):
    for n in range(30):
        attempt(client, f"nobody{n}@example.com", "wrong-password")

    response = attempt(client, "another@example.com", "wrong-password")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
