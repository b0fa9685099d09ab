import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.accounts.models import MEDIATORS_GROUP, CompanyProfile, User
from apps.escrow.models import PayoutAccount
from apps.orders.models import Order, OrderEvent, OrderMessage
from apps.suppliers.models import SupplierProfile

PASSWORD = "correct-horse-battery"


class AccountFactory(factory.django.DjangoModelFactory):
    """A user with a verified email address (verified=False for one still pending), able to
    log in with PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = User.Role.BUYER
    timezone = "UTC"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=self, email=self.email, primary=True, verified=extracted is not False
            )
            self.save()


class UserFactory(AccountFactory):
    """A buyer or supplier: an account with its company profile."""

    company = factory.RelatedFactory(
        "tests.factories.CompanyProfileFactory", factory_related_name="user"
    )


class CompanyProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyProfile

    user = factory.SubFactory(AccountFactory)
    company_name = factory.Sequence(lambda n: f"Company {n} Ltd.")
    country = "NL"
    contact_name = "Sam Contact"
    phone = "+31 20 555 0100"


class BuyerFactory(UserFactory):
    role = User.Role.BUYER


class SupplierProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupplierProfile
        django_get_or_create = ["user"]

    user = factory.SubFactory(AccountFactory, role=User.Role.SUPPLIER)


class PayoutAccountFactory(factory.django.DjangoModelFactory):
    """A current payout bank account (a Dutch IBAN) in the company's name, payouts possible at
    once."""

    class Meta:
        model = PayoutAccount

    supplier = factory.SubFactory("tests.factories.SupplierFactory", payout_account=None)
    holder_name = factory.LazyAttribute(
        lambda a: (
            getattr(getattr(a.supplier, "company", None), "company_name", None)
            or f"{a.supplier.email} B.V."
        )
    )
    holder_check = PayoutAccount.HolderCheck.MATCHES
    country = "NL"
    iban = "NL91ABNA0417164300"
    bic = "ABNANL2A"
    bank_name = "ABN AMRO BANK N.V."
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    payouts_from = factory.LazyAttribute(lambda a: a.created_at)


class SupplierFactory(UserFactory):
    """A basic-tier supplier with a payout bank account (payout_account=None for one without).
    SupplierFactory(supplier_profile__verified_at=...) and the factories below set its
    standing."""

    role = User.Role.SUPPLIER
    email = factory.Sequence(lambda n: f"supplier{n}@example.com")
    supplier_profile = factory.RelatedFactory(SupplierProfileFactory, factory_related_name="user")
    payout_account = factory.RelatedFactory(PayoutAccountFactory, factory_related_name="supplier")


class VerifiedSupplierFactory(SupplierFactory):
    supplier_profile = factory.RelatedFactory(
        SupplierProfileFactory,
        factory_related_name="user",
        verified_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=100)),
    )


class EligibleSupplierFactory(SupplierFactory):
    """Verified with an active Gold membership: can take Trade Assurance orders."""

    supplier_profile = factory.RelatedFactory(
        SupplierProfileFactory,
        factory_related_name="user",
        verified_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=100)),
        gold_until=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=200)),
        ta_amount=5_000_000,
    )


class MediatorFactory(AccountFactory):
    role = User.Role.STAFF
    is_staff = True
    email = factory.Sequence(lambda n: f"mediator{n}@example.com")

    @factory.post_generation
    def mediators_group(self, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=MEDIATORS_GROUP)
            self.groups.add(group)


class OrderFactory(factory.django.DjangoModelFactory):
    """A completed order by default; pass status and dates for others."""

    class Meta:
        model = Order

    buyer = factory.SubFactory(BuyerFactory)
    supplier = factory.SubFactory(EligibleSupplierFactory)
    status = Order.Status.COMPLETED
    currency = "USD"
    total_amount = 100_000
    ship_by = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    shipped_at = factory.LazyAttribute(lambda o: o.ship_by - dt.timedelta(days=1))
    funded_at = factory.LazyAttribute(lambda o: o.ship_by - dt.timedelta(days=20))
    completed_at = factory.LazyAttribute(lambda o: o.ship_by + dt.timedelta(days=20))


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    type = OrderEvent.Type.DISPUTE_OPENED


class OrderMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderMessage

    order = factory.SubFactory(OrderFactory)
    sender = factory.LazyAttribute(lambda m: m.order.buyer)
    body = "Hello"
