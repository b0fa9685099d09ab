import pytest
from django.core.management import call_command

from apps.orders.models import Order

pytestmark = pytest.mark.django_db


def test_the_demo_has_orders_in_every_state_and_a_second_run_adds_none(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    call_command("seed_demo")
    count = Order.objects.count()

    call_command("seed_demo")

    assert Order.objects.count() == count
    assert set(Order.objects.values_list("status", flat=True)) == set(Order.Status.values)
    assert Order.objects.filter(buyer__isnull=True, buyer_email="new.importer@example.com").exists()
    assert not Order.objects.filter(current_version__isnull=True).exists()
