import pytest
from django.urls import reverse

from tests.factories import PASSWORD, BuyerFactory, MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def log_in(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


@pytest.mark.parametrize(
    ("factory", "destination"),
    [
        (BuyerFactory, "buyer_home"),
        (SupplierFactory, "supplier_home"),
        (MediatorFactory, "admin:index"),
    ],
)
def test_login_lands_each_role_on_its_own_home(client, factory, destination):
    response = log_in(client, factory())

    assert response.status_code == 302
    assert response.url == reverse(destination)


@pytest.mark.parametrize(
    ("factory", "destination"),
    [(BuyerFactory, "buyer_home"), (SupplierFactory, "supplier_home")],
)
def test_home_and_portal_links_send_a_signed_in_user_to_their_portal(client, factory, destination):
    client.force_login(factory())

    assert client.get(reverse("home")).url == reverse(destination)
    assert client.get(reverse("portal_home")).url == reverse(destination)


def test_buyer_home_shows_an_empty_state_with_next_steps(client):
    buyer = BuyerFactory(company__company_name="Noordzee Imports")
    client.force_login(buyer)

    page = client.get(reverse("buyer_home")).content.decode()

    assert "Welcome, Noordzee Imports" in page
    assert "You have no Trade Assurance orders yet" in page
    assert "What to do next" in page


def test_supplier_home_shows_an_empty_state_with_next_steps(client):
    client.force_login(SupplierFactory(company__company_name="Brightway"))

    page = client.get(reverse("supplier_home")).content.decode()

    assert "Welcome, Brightway" in page
    assert "You have no orders or products yet" in page
    assert "Get verified to offer Trade Assurance" in page


@pytest.mark.parametrize(
    ("factory", "forbidden"),
    [(BuyerFactory, "supplier_home"), (SupplierFactory, "buyer_home")],
)
def test_a_portal_of_the_other_role_is_a_friendly_403(client, factory, forbidden):
    client.force_login(factory())

    response = client.get(reverse(forbidden))

    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not for your account" in page
    assert "Go to your portal" in page
    assert 'class="navbar' in page  # the site's own layout, not a bare error


@pytest.mark.parametrize("name", ["buyer_home", "supplier_home", "account_settings"])
def test_portal_pages_send_anonymous_visitors_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_unknown_page_is_a_styled_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert 'class="navbar' in page


def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_admin_login_form_cannot_bypass_allauth(client):
    mediator = MediatorFactory()

    client.post(reverse("admin:login"), {"username": mediator.email, "password": PASSWORD})

    assert client.get(reverse("admin:index")).status_code == 302


def test_buyer_cannot_open_admin(client):
    client.force_login(BuyerFactory())

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == 403
    assert "This page is not for your account" in response.content.decode()


def test_mediator_reaches_admin_after_allauth_login(client):
    mediator = MediatorFactory()
    log_in(client, mediator)

    assert client.get(reverse("admin:index")).status_code == 200
    assert mediator.is_mediator
