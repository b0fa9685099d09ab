"""Every page of every demo order (one in each state) renders for both of its parties."""

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse

from apps.accounts.models import User
from apps.orders import selectors
from apps.orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo", stdout=None)


def test_every_demo_order_page_renders_for_both_parties(client, demo):
    orders = list(Order.objects.select_related("buyer", "supplier"))
    assert {order.status for order in orders} == set(Order.Status.values)

    for order in orders:
        for person in filter(None, (order.buyer, order.supplier)):
            client.force_login(person)
            page = client.get(reverse("order_detail", args=[order.pk]))
            assert page.status_code == 200, (order.status, order.party(person))
            assert order.get_status_display() in page.content.decode()
            compare = client.get(reverse("order_versions_compare", args=[order.pk]))
            assert compare.status_code == 200


def test_the_demo_logins_see_their_orders_on_their_portal_home_and_list(client, demo):
    people = User.objects.filter(
        Q(orders_as_buyer__isnull=False) | Q(orders_as_supplier__isnull=False)
    ).distinct()
    assert people.count() >= 4

    for person in people:
        client.force_login(person)
        home = client.get(reverse("portal_home"), follow=True).content.decode()
        listed = client.get(reverse("order_list")).content.decode()
        assert "Your recent orders" in home
        latest = selectors.orders_for(user=person).first()
        assert latest.reference in home and latest.reference in listed
