import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import MEDIATORS_GROUP, User
from apps.accounts.seed import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_mediators_group_comes_with_the_migrations():
    assert Group.objects.filter(name=MEDIATORS_GROUP).exists()


def test_seed_demo_twice_leaves_one_of_each_demo_login(client):
    call_command("seed_demo", stdout=None)
    counts = User.objects.values_list("role").order_by("role")
    before = list(counts)

    call_command("seed_demo")

    assert list(counts) == before
    assert User.objects.filter(role=User.Role.BUYER).count() >= 2
    assert User.objects.filter(role=User.Role.SUPPLIER).count() >= 3
    mediator = User.objects.get(email="mediator@demo.pactline.test")
    assert mediator.is_mediator


@pytest.mark.parametrize(
    ("email", "home"),
    [
        ("buyer@demo.pactline.test", "buyer_home"),
        ("supplier@demo.pactline.test", "supplier_home"),
        ("mediator@demo.pactline.test", "admin:index"),
    ],
)
def test_demo_logins_from_the_readme_work(client, email, home):
    call_command("seed_demo")

    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})

    assert response.url == reverse(home)


def test_the_demo_suppliers_payout_accounts_are_in_their_company_names():
    """So that the demo's suppliers can be paid out at once, as the README's walk-through does."""
    from apps.escrow.models import PayoutAccount
    from apps.escrow.seed import DEMO_PAYOUT_ACCOUNTS

    call_command("seed_demo", stdout=None)

    accounts = PayoutAccount.objects.filter(supplier__email__in=DEMO_PAYOUT_ACCOUNTS)
    assert accounts.count() == len(DEMO_PAYOUT_ACCOUNTS)
    assert {a.holder_check for a in accounts} == {PayoutAccount.HolderCheck.MATCHES}
