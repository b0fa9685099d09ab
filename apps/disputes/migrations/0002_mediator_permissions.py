from django.contrib.auth.management import create_permissions
from django.db import migrations

MEDIATOR_PERMISSIONS = [
    "view_case",
    "change_case",
    "view_evidence",
    "view_offer",
    "view_decision",
    "add_decision",
    "view_caseevent",
]


def forwards(apps, schema_editor):
    """Grants the Mediators group its dispute permissions. Also called by tests with the live
    app registry to restore them after a flush."""
    app_config = apps.get_app_config("disputes")
    stub = getattr(app_config, "models_module", None) is None  # historical configs have none
    if stub:
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    if stub:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    mediators, _ = Group.objects.get_or_create(name="Mediators")
    mediators.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="disputes", codename__in=MEDIATOR_PERMISSIONS
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0001_initial"),
        ("accounts", "0002_mediators_group"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
