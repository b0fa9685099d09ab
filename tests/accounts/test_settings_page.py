import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

VALID = {
    "company_name": "Noordzee Imports B.V.",
    "country": "NL",
    "contact_name": "Anouk de Vries",
    "phone": "+31 20 555 0101",
    "timezone": "America/Chicago",
    "language": "en",
}


def test_saving_settings_updates_profile_and_preferences(client):
    buyer = BuyerFactory()
    client.force_login(buyer)

    response = client.post(reverse("account_settings"), VALID, follow=True)

    assert "Your settings were saved." in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.timezone == "America/Chicago"
    assert buyer.company.company_name == "Noordzee Imports B.V."


def test_bad_settings_show_field_errors_and_keep_what_was_saved(client):
    buyer = BuyerFactory(company__phone="+31 20 555 0100")
    client.force_login(buyer)

    response = client.post(reverse("account_settings"), {**VALID, "phone": "ring ring"})

    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    assert 'id="id_phone_error"' in response.content.decode()
    buyer.refresh_from_db()
    assert buyer.company.phone == "+31 20 555 0100"
    assert buyer.timezone == "UTC"


def test_times_are_shown_in_the_users_time_zone(client):
    joined = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    client.force_login(BuyerFactory(timezone="Asia/Tokyo", date_joined=joined))

    page = client.get(reverse("buyer_home")).content.decode()

    # 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
    assert "March 2, 2026, 8:30 a.m." in page
    assert 'datetime="2026-03-02T08:30:00+09:00"' in page
