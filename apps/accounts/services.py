"""Every write to accounts goes through here."""

from django.db import transaction

from apps.accounts.models import CompanyProfile, User
from apps.suppliers.services import supplier_profile_create

SELF_SERVICE_ROLES = (User.Role.BUYER, User.Role.SUPPLIER)


@transaction.atomic
def account_register(
    *, user, role, company_name, country, contact_name, phone, timezone_name="UTC"
) -> User:
    """Saves a newly signed-up user with its role and company profile in one transaction.

    Only buyer and supplier can be chosen at signup; staff are made by staff.
    """
    if role not in SELF_SERVICE_ROLES:
        raise ValueError(f"Role {role!r} cannot be chosen at signup.")
    user.role = role
    user.timezone = timezone_name or "UTC"
    user.full_clean(exclude=["password"])
    user.save()
    CompanyProfile.objects.create(
        user=user,
        company_name=company_name,
        country=country,
        contact_name=contact_name,
        phone=phone,
    )
    if role == User.Role.SUPPLIER:
        supplier_profile_create(user=user)
    return user


@transaction.atomic
def account_settings_update(*, user, **changes) -> User:
    """Updates the user's own preferences (time zone, language) and company profile.

    Unknown keys are refused, so callers cannot change a role or staff flag through here.
    """
    user_fields = {"timezone", "language"}
    profile_fields = {"company_name", "country", "contact_name", "phone"}
    unknown = set(changes) - user_fields - profile_fields
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")

    user_changes = {k: v for k, v in changes.items() if k in user_fields}
    if user_changes:
        for name, value in user_changes.items():
            setattr(user, name, value)
        user.full_clean(exclude=["password"])
        user.save(update_fields=list(user_changes))

    profile_changes = {k: v for k, v in changes.items() if k in profile_fields}
    if profile_changes:
        profile, _ = CompanyProfile.objects.get_or_create(
            user=user,
            defaults={"company_name": "", "country": "", "contact_name": "", "phone": ""},
        )
        for name, value in profile_changes.items():
            setattr(profile, name, value)
        profile.full_clean(exclude=["user"])
        profile.save()
    return user
