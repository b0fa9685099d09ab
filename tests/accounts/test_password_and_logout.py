import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, BuyerFactory, SupplierFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "an-Even-longer-passphrase-77"


def test_password_reset_by_email_link(client, mailoutbox):
    buyer = BuyerFactory()

    client.post(reverse("account_reset_password"), {"email": buyer.email})
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[0].body)
    # The link redirects once to a URL without the key in it (so it cannot leak via Referer).
    form_url = client.get(link.group(1)).url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)
    response = client.post(
        reverse("account_login"), {"login": buyer.email, "password": NEW_PASSWORD}
    )
    assert response.url == reverse("buyer_home")


def test_password_reset_for_an_unknown_address_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")


def test_change_password_needs_the_current_one(client):
    buyer = BuyerFactory()
    client.force_login(buyer)

    wrong = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "oldpassword" in wrong.context["form"].errors

    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)


def test_logout_ends_the_session(client):
    client.force_login(BuyerFactory())

    client.post(reverse("account_logout"))

    assert client.get(reverse("buyer_home")).status_code == 302


def test_a_changed_password_is_told_by_email(client, mailoutbox):
    supplier = SupplierFactory()
    client.force_login(supplier)

    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    [notice] = mailoutbox
    assert notice.to == [supplier.email]
    assert "password" in notice.subject.lower() and notice.subject.startswith("[Pactline] ")
