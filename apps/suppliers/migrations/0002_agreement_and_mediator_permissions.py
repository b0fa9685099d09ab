import datetime as dt

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGREEMENT_BODY = """Trade Assurance Services Agreement, version 2026-11

1. What Trade Assurance covers. For every order placed and paid through Pactline, Trade
Assurance covers the products listed in the confirmed purchase contract against (a) shipment
after the agreed ship-by date and (b) products whose quality, quantity or description does not
match the contract, including its quality standard and specifications.

2. What it does not cover. Services or costs outside the contract (extra freight, customs
duties, installation), manufacturer warranties, and losses beyond the order value.

3. Escrow. Buyers pay deposit and balance into escrow held by Pactline. The supplier is paid
when the buyer confirms receipt or the inspection period ends without a dispute.

4. Refunds. If the supplier does not ship by the ship-by date (after any extension the buyer
grants), the buyer is refunded in full from escrow. If a mediator decides a dispute for the
buyer, the refund is paid from escrow or, after release, from the supplier's Trade Assurance
coverage, and the supplier owes Pactline that amount.

5. Trade Assurance Amount. Pactline sets each eligible supplier's Trade Assurance Amount from its
performance and may change it; the supplier is told why when it is lowered.

6. Supplier obligations. The supplier keeps its verification details and certificates true and
current, ships only against a confirmed contract, answers buyers and mediators within the
deadlines Pactline publishes, and does not ask buyers to pay outside Pactline.
"""

MEDIATOR_PERMISSIONS = {
    "suppliers": [
        "view_verificationapplication",
        "change_verificationapplication",
        "view_certificate",
        "view_supplierprofile",
        "change_supplierprofile",
        "view_goldmembership",
        "add_goldmembership",
        "view_tradeassuranceamountchange",
        "view_servicesagreement",
    ],
}


def forwards(apps, schema_editor):
    """Also called by tests with the live app registry to restore this data after a flush."""
    ServicesAgreement = apps.get_model("suppliers", "ServicesAgreement")
    ServicesAgreement.objects.get_or_create(
        version="2026-11",
        defaults={
            "title": "Trade Assurance Services Agreement",
            "body": AGREEMENT_BODY,
            "published_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        },
    )
    # Permissions are normally created after all migrations; make them now so the group can
    # have them on a fresh database.
    app_config = apps.get_app_config("suppliers")
    stub = getattr(app_config, "models_module", None) is None  # historical configs have none;
    if stub:  # create_permissions skips those, so lend it one for the call
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    if stub:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    mediators, _ = Group.objects.get_or_create(name="Mediators")
    for app_label, codenames in MEDIATOR_PERMISSIONS.items():
        mediators.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0001_initial"),
        ("accounts", "0002_mediators_group"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
