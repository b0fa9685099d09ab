"""The holder check of payout accounts. The accounts set before it are checked here by the same
rule: in the company's name, `matches`; otherwise `approved` with nobody named (they were
accepted before the check existed; the admin's "holder check" filter lists them for review)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def check_existing(apps, schema_editor):
    from apps.escrow.bank import holder_is_company

    PayoutAccount = apps.get_model("escrow", "PayoutAccount")
    CompanyProfile = apps.get_model("accounts", "CompanyProfile")
    companies = dict(CompanyProfile.objects.values_list("user_id", "company_name"))
    rows = PayoutAccount.objects.values_list("pk", "holder_name", "supplier_id")
    for pk, holder, supplier_id in rows.iterator():
        matches = holder_is_company(holder, companies.get(supplier_id, ""))
        PayoutAccount.objects.filter(pk=pk).update(
            holder_check="matches" if matches else "approved"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0008_bank_numbers_encrypted"),
        ("accounts", "0003_notification"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="payoutaccount",
            name="holder_check",
            field=models.CharField(
                choices=[
                    ("matches", "The holder is the company"),
                    ("waiting", "Waiting for Pactline to check the holder"),
                    ("approved", "Holder checked by Pactline"),
                    ("refused", "Holder refused by Pactline"),
                ],
                default="waiting",
                max_length=8,
                verbose_name="holder check",
            ),
        ),
        migrations.AddField(
            model_name="payoutaccount",
            name="holder_checked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="holder checked at"),
        ),
        migrations.AddField(
            model_name="payoutaccount",
            name="holder_checked_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="holder checked by",
            ),
        ),
        migrations.AddField(
            model_name="payoutaccount",
            name="holder_refusal_reason",
            field=models.CharField(
                blank=True, max_length=300, verbose_name="why the holder was refused"
            ),
        ),
        migrations.RunPython(check_existing, migrations.RunPython.noop),
    ]
