"""Demo payout bank accounts: the three established suppliers have one (set long ago, so their
payouts are not held); Baltic Timber, new, has none yet and is asked for one. Safe to run any
number of times: an account already there is left as it is."""

import datetime as dt

from django.utils import timezone

from apps.accounts.models import User
from apps.escrow.models import PayoutAccount
from apps.escrow.services import payout_holder_check

# Made-up numbers in the right shapes; the Turkish IBAN is the IBAN registry's example.
DEMO_PAYOUT_ACCOUNTS = {
    "supplier@demo.pactline.test": {
        "holder_name": "Shenzhen Brightway Electronics Co., Ltd.",
        "country": "CN",
        "account_number": "4000023409200345678",
        "bic": "ICBKCNBJSZN",
        "bank_name": "Industrial and Commercial Bank of China, Shenzhen Branch",
    },
    "supplier2@demo.pactline.test": {
        "holder_name": "Jaipur Textile Works Pvt. Ltd.",
        "country": "IN",
        "account_number": "50200012345678",
        "bic": "HDFCINBBXXX",
        "bank_name": "HDFC Bank Ltd.",
    },
    "supplier3@demo.pactline.test": {
        "holder_name": "Anatolia Ceramics A.S.",
        "country": "TR",
        "iban": "TR330006100519786457841326",
        "bic": "ISBKTRISXXX",
        "bank_name": "Türkiye İş Bankası A.Ş.",
    },
}


def run(*, stdout):
    set_at = timezone.now() - dt.timedelta(days=400)
    for email, details in DEMO_PAYOUT_ACCOUNTS.items():
        supplier = User.objects.get(email=email)
        _account, created = PayoutAccount.objects.get_or_create(
            supplier=supplier,
            replaced_at=None,
            defaults={
                **details,
                "created_at": set_at,
                "payouts_from": set_at,
                "holder_check": payout_holder_check(supplier, details["holder_name"]),
            },
        )
        stdout.write(f"{'created' if created else 'kept'} payout account of {email}")
