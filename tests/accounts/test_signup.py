import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "role": "supplier",
    "email": "li.wei@brightway.example",
    "password1": "a-long-Unusual-passphrase-42",
    "password2": "a-long-Unusual-passphrase-42",
    "company_name": "Brightway Electronics",
    "country": "CN",
    "contact_name": "Li Wei",
    "phone": "+86 755 5550 1234",
    "timezone": "Asia/Shanghai",
}


def signup(client, **overrides):
    return client.post(reverse("account_signup"), {**SIGNUP, **overrides})


def test_supplier_signup_saves_role_company_and_time_zone(client):
    response = signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="li.wei@brightway.example")
    assert user.role == User.Role.SUPPLIER
    assert user.timezone == "Asia/Shanghai"
    assert user.company.company_name == "Brightway Electronics"
    assert user.company.country.code == "CN"
    assert user.company.contact_name == "Li Wei"
    assert user.company.phone == "+86 755 5550 1234"


def test_buyer_signup_sends_a_verification_link_and_withholds_the_portal(client, mailoutbox):
    response = signup(client, role="buyer", email="anouk@noordzee.example")

    assert response.url == reverse("account_email_verification_sent")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["anouk@noordzee.example"]
    assert re.search(r"/accounts/confirm-email/\S+/", mailoutbox[0].body)
    assert not EmailAddress.objects.get(email="anouk@noordzee.example").verified

    login = client.post(
        reverse("account_login"),
        {"login": "anouk@noordzee.example", "password": SIGNUP["password1"]},
    )
    assert login.url == reverse("account_email_verification_sent")
    assert client.get(reverse("buyer_home")).status_code == 302


def test_following_the_verification_link_lets_the_buyer_in(client, mailoutbox):
    signup(client, role="buyer", email="anouk@noordzee.example")
    link = re.search(r"(/accounts/confirm-email/\S+/)", mailoutbox[0].body).group(1)

    client.post(link)
    response = client.post(
        reverse("account_login"),
        {"login": "anouk@noordzee.example", "password": SIGNUP["password1"]},
    )

    assert response.url == reverse("buyer_home")
    assert EmailAddress.objects.get(email="anouk@noordzee.example").verified


def test_signup_refuses_the_staff_role(client):
    response = signup(client, role="staff")

    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "call me maybe"),
        ("country", "XX"),
        ("timezone", "Mars/Olympus"),
        ("company_name", ""),
    ],
)
def test_signup_with_bad_company_details_shows_the_error_and_creates_nothing(client, field, value):
    response = signup(client, **{field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_signup_page_preselects_the_role_from_the_link(client):
    response = client.get(reverse("account_signup") + "?as=supplier")

    assert response.context["form"]["role"].value() == "supplier"
    assert re.search(
        r'<input type="radio" name="role"[^>]*value="supplier"[^>]*checked',
        (response.content.decode()),
    )


def test_signing_up_again_with_a_taken_email_creates_nobody_and_reveals_nothing(client, mailoutbox):
    SupplierFactory(email=SIGNUP["email"])

    response = signup(client, email="LI.WEI@Brightway.example")

    # The same answer as a new signup, so the form cannot be used to find out who trades here;
    # the owner of the address is told by email instead.
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email__iexact=SIGNUP["email"]).count() == 1
    assert mailoutbox[-1].to == [SIGNUP["email"]]
    assert "already" in mailoutbox[-1].subject.lower()


def test_the_country_must_be_chosen_rather_than_defaulting_to_the_first(client):
    page = client.get(reverse("account_signup")).content.decode()

    assert '<option value="" selected>Choose your country</option>' in page
    assert "country" in signup(client, country="").context["form"].errors
