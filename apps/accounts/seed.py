"""Demo accounts with known logins (listed in README.md). Safe to run any number of times."""

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.accounts.models import MEDIATORS_GROUP, CompanyProfile, User
from apps.suppliers.services import supplier_profile_create

# Public on purpose: the demo logins are listed in README.md. Never used outside seed_demo.
DEMO_PASSWORD = "pactline-demo"  # noqa: S105

DEMO_USERS = [
    {
        "email": "buyer@demo.pactline.test",
        "joined_days_ago": 600,
        "role": User.Role.BUYER,
        "timezone": "Europe/Amsterdam",
        "company": ("Noordzee Imports B.V.", "NL", "Anouk de Vries", "+31 20 555 0101"),
    },
    {
        "email": "buyer2@demo.pactline.test",
        "joined_days_ago": 420,
        "role": User.Role.BUYER,
        "timezone": "America/Chicago",
        "company": ("Prairie Home Goods LLC", "US", "Mark Olsen", "+1 312 555 0188"),
    },
    {
        "email": "supplier@demo.pactline.test",
        "joined_days_ago": 1500,
        "role": User.Role.SUPPLIER,
        "timezone": "Asia/Shanghai",
        "company": (
            "Shenzhen Brightway Electronics Co., Ltd.",
            "CN",
            "Li Wei",
            "+86 755 5550 1234",
        ),
    },
    {
        "email": "supplier2@demo.pactline.test",
        "joined_days_ago": 800,
        "role": User.Role.SUPPLIER,
        "timezone": "Asia/Kolkata",
        "company": ("Jaipur Textile Works Pvt. Ltd.", "IN", "Priya Sharma", "+91 141 555 0199"),
    },
    {
        "email": "supplier3@demo.pactline.test",
        "joined_days_ago": 1200,
        "role": User.Role.SUPPLIER,
        "timezone": "Europe/Istanbul",
        "company": ("Anatolia Ceramics A.S.", "TR", "Emre Yilmaz", "+90 212 555 0142"),
    },
    {
        "email": "supplier4@demo.pactline.test",
        "joined_days_ago": 30,
        "role": User.Role.SUPPLIER,
        "timezone": "Europe/Warsaw",
        "company": ("Baltic Timber Sp. z o.o.", "PL", "Tomasz Nowak", "+48 58 555 0177"),
    },
    {
        "email": "mediator@demo.pactline.test",
        "joined_days_ago": 900,
        "role": User.Role.STAFF,
        "timezone": "Europe/Amsterdam",
        "company": None,
        "is_staff": True,
        "groups": [MEDIATORS_GROUP],
    },
    {
        "email": "admin@demo.pactline.test",
        "joined_days_ago": 1600,
        "role": User.Role.STAFF,
        "timezone": "UTC",
        "company": None,
        "is_staff": True,
        "is_superuser": True,
    },
]


def run(*, stdout):
    now = timezone.now()
    for spec in DEMO_USERS:
        user, created = User.objects.update_or_create(
            email=spec["email"],
            defaults={
                "role": spec["role"],
                "timezone": spec["timezone"],
                # Blank: the browser's language or the switcher decides, as for new users.
                "language": "",
                "is_staff": spec.get("is_staff", False),
                "is_superuser": spec.get("is_superuser", False),
                "is_active": True,
                "date_joined": now - dt.timedelta(days=spec["joined_days_ago"]),
            },
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        for name in spec.get("groups", []):
            user.groups.add(Group.objects.get(name=name))
        if spec["role"] == User.Role.SUPPLIER:
            supplier_profile_create(user=user)
        if spec["company"]:
            company_name, country, contact_name, phone = spec["company"]
            CompanyProfile.objects.update_or_create(
                user=user,
                defaults={
                    "company_name": company_name,
                    "country": country,
                    "contact_name": contact_name,
                    "phone": phone,
                },
            )
        stdout.write(f"{'created' if created else 'updated'} {user.email} ({user.role})")
