import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from apps.accounts.models import MEDIATORS_GROUP, CompanyProfile, User

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


class SupplierFactory(UserFactory):
    role = User.Role.SUPPLIER
    email = factory.Sequence(lambda n: f"supplier{n}@example.com")


class MediatorFactory(AccountFactory):
    role = User.Role.STAFF
    is_staff = True
    email = factory.Sequence(lambda n: f"mediator{n}@example.com")

    @factory.post_generation
    def mediators_group(self, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=MEDIATORS_GROUP)
            self.groups.add(group)
