import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from apps.accounts.models import User
from apps.suppliers import services
from apps.suppliers.models import SupplierProfile, Tier
from tests.factories import MediatorFactory, SupplierFactory, VerifiedSupplierFactory

pytestmark = pytest.mark.django_db


def profile(user):
    return SupplierProfile.objects.get(user=user)


def test_a_new_supplier_is_basic_and_not_eligible():
    supplier = profile(SupplierFactory())

    assert supplier.tier() == Tier.BASIC
    assert not supplier.is_trade_assurance_eligible()


def test_verified_without_gold_is_not_eligible():
    supplier = profile(VerifiedSupplierFactory())

    assert supplier.tier() == Tier.VERIFIED
    assert not supplier.is_trade_assurance_eligible()


def test_gold_without_verification_is_not_eligible():
    supplier = SupplierFactory()
    services.gold_membership_grant(supplier=supplier, acting_user=MediatorFactory())

    assert profile(supplier).tier() == Tier.GOLD
    assert not profile(supplier).is_trade_assurance_eligible()


def test_verified_with_active_gold_is_eligible_until_the_membership_ends():
    supplier = VerifiedSupplierFactory()
    start = timezone.now()
    services.gold_membership_grant(supplier=supplier, acting_user=MediatorFactory(), now=start)
    end = profile(supplier).gold_until

    assert end == start + dt.timedelta(days=365)
    assert profile(supplier).is_trade_assurance_eligible(at=end - dt.timedelta(seconds=1))
    assert not profile(supplier).is_trade_assurance_eligible(at=end)
    with time_machine.travel(end + dt.timedelta(days=1)):
        assert profile(supplier).tier() == Tier.VERIFIED
        assert not SupplierProfile.objects.trade_assurance_eligible().filter(user=supplier).exists()


def test_the_eligibility_queryset_agrees_with_the_model():
    eligible = VerifiedSupplierFactory()
    services.gold_membership_grant(supplier=eligible, acting_user=MediatorFactory())
    VerifiedSupplierFactory()
    SupplierFactory()

    found = SupplierProfile.objects.trade_assurance_eligible().values_list("user", flat=True)

    assert list(found) == [eligible.pk]


def test_renewing_gold_early_adds_the_year_after_the_current_one():
    supplier = VerifiedSupplierFactory()
    mediator = MediatorFactory()
    first = services.gold_membership_grant(supplier=supplier, acting_user=mediator)

    second = services.gold_membership_grant(
        supplier=supplier, acting_user=mediator, now=first.starts_at + dt.timedelta(days=300)
    )

    assert second.starts_at == first.ends_at
    assert profile(supplier).gold_until == first.ends_at + dt.timedelta(days=365)


def test_only_staff_can_grant_gold():
    supplier = SupplierFactory()
    not_staff = User.objects.create_user("someone@example.com", "pw")

    with pytest.raises(services.NotAMediator):
        services.gold_membership_grant(supplier=supplier, acting_user=not_staff)
    assert profile(supplier).gold_until is None


def test_signing_up_as_a_supplier_creates_its_profile(client):
    client.post(
        "/accounts/signup/",
        {
            "role": "supplier",
            "email": "new@supplier.example",
            "password1": "a-long-Unusual-passphrase-42",
            "password2": "a-long-Unusual-passphrase-42",
            "company_name": "New Supplier",
            "country": "CN",
            "contact_name": "Li",
            "phone": "+86 755 5550 1234",
            "timezone": "UTC",
        },
    )

    assert profile(User.objects.get(email="new@supplier.example")).tier() == Tier.BASIC
