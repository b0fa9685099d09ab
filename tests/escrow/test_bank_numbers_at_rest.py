"""Bank account numbers are stored encrypted (apps/core/crypto.py): the database holds neither
an IBAN nor an account number in the clear, pages and payouts read them back as they were given,
staff still find an account by its number (a keyed digest), the same account given by two users
shows on the admin page, and the keys can be changed without losing a row."""

import io

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from apps.core import crypto
from apps.escrow import services
from apps.escrow.models import PayoutAccount, RefundAccount
from tests.escrow.helpers import confirmed_order
from tests.escrow.test_payout_accounts import CHINESE, DUTCH
from tests.escrow.test_refunds import give, refused_tt_refund
from tests.factories import PASSWORD, EligibleSupplierFactory

pytestmark = pytest.mark.django_db

OLD_KEY = "x1n2lzmh8-bb3Yr6J6wJ3jC0nE2WvWl-3Iq2yXoDbnU="
NEW_KEY = "Yk3m0yY1x0cQ2WmA8m4Bq6sPq1X9pWbK7dZ3vN5tL2E="

AMERICAN = {
    "holder_name": "Prairie Home Goods LLC",
    "country": "US",
    "account_number": "12345678",
    "bic": "CHASUS33",
}


def set_account(details, supplier=None):
    supplier = supplier or EligibleSupplierFactory(payout_account=None)
    return services.payout_account_set(supplier=supplier, password=PASSWORD, **details)


def stored(account):
    """The row as a copy of the database shows it."""
    table = account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "iban", "account_number", "number_digest" FROM "{table}" WHERE "id" = %s',  # noqa: S608
            [account.pk],
        )
        return cursor.fetchone()


@pytest.mark.parametrize("details", [DUTCH, CHINESE], ids=["iban", "account-number"])
def test_the_database_holds_the_number_encrypted_and_the_site_reads_it_back(details):
    account = set_account(details)
    number = "NL91ABNA0417164300" if "iban" in details else "4000023409200345678"

    iban, account_number, number_digest = stored(account)
    assert number not in iban + account_number
    assert number[-8:] not in iban + account_number
    assert (iban == "") is ("iban" not in details)  # empty stays empty, for the constraint
    assert number_digest == crypto.digest(number) and number not in number_digest

    fresh = PayoutAccount.objects.get(pk=account.pk)
    assert fresh.number == number
    assert fresh.masked.endswith(number[-4:])


def test_the_same_number_is_stored_differently_each_time():
    first, second = set_account(DUTCH), set_account(DUTCH)

    assert stored(first)[0] != stored(second)[0]
    assert stored(first)[2] == stored(second)[2]  # the digest finds both


def test_a_query_comparing_the_encrypted_column_with_a_number_is_refused_not_silently_empty():
    set_account(DUTCH)

    assert PayoutAccount.objects.filter(account_number="").count() == 1  # the constraint's test
    with pytest.raises(ValueError, match="stored encrypted"):
        list(PayoutAccount.objects.filter(iban="NL91ABNA0417164300"))
    with pytest.raises(FieldError):
        list(PayoutAccount.objects.filter(iban__icontains="4300"))


# --- staff ----------------------------------------------------------------------------------------


def test_staff_find_an_account_by_its_whole_number_however_it_is_typed(admin_client):
    wanted = set_account(DUTCH)
    other = set_account(CHINESE)
    url = reverse("admin:escrow_payoutaccount_changelist")

    for typed in ["NL91ABNA0417164300", "nl91 abna 0417 1643 00"]:
        page = admin_client.get(url, {"q": typed}).content.decode()
        assert f"/{wanted.pk}/change/" in page
        assert f"/{other.pk}/change/" not in page
    page = admin_client.get(url, {"q": "Shenzhen"}).content.decode()  # the holder, as before
    assert f"/{other.pk}/change/" in page and f"/{wanted.pk}/change/" not in page
    page = admin_client.get(url, {"q": "0417"}).content.decode()  # a part finds nothing
    assert f"/{wanted.pk}/change/" not in page


def test_the_admin_shows_who_else_gave_the_same_account(admin_client):
    mine = set_account(DUTCH)
    other_supplier = EligibleSupplierFactory(payout_account=None, email="second@example.com")
    set_account(DUTCH, supplier=other_supplier)
    alone = set_account(CHINESE)
    url = "admin:escrow_payoutaccount_change"

    page = admin_client.get(reverse(url, args=[mine.pk])).content.decode()
    assert "same account given by" in page.lower()
    assert "second@example.com (payouts)" in page
    assert "NL91ABNA0417164300" in page  # staff see the whole number to reconcile
    page = admin_client.get(reverse(url, args=[alone.pk])).content.decode()
    assert "nobody else" in page


# --- keys -----------------------------------------------------------------------------------------


def test_a_new_key_put_first_reads_old_rows_and_rotation_moves_them_to_it(admin_client):
    with override_settings(PACTLINE_DATA_KEYS=[OLD_KEY]):
        payout_account = set_account(DUTCH)
        order = confirmed_order()
        refund_account = give(refused_tt_refund(order), order.buyer, **AMERICAN)
        before = stored(payout_account)

    with override_settings(PACTLINE_DATA_KEYS=[NEW_KEY, OLD_KEY]):
        assert PayoutAccount.objects.get(pk=payout_account.pk).iban == "NL91ABNA0417164300"
        page = admin_client.get(
            reverse("admin:escrow_payoutaccount_changelist"), {"q": "NL91ABNA0417164300"}
        ).content.decode()
        assert f"/{payout_account.pk}/change/" in page  # found under the old key's digest
        call_command("data_keys_rotate", stdout=io.StringIO())
        after = stored(payout_account)
        assert after[0] != before[0] and after[2] != before[2]

    with override_settings(PACTLINE_DATA_KEYS=[NEW_KEY]):  # the old key removed
        assert PayoutAccount.objects.get(pk=payout_account.pk).iban == "NL91ABNA0417164300"
        assert RefundAccount.objects.get(pk=refund_account.pk).account_number == "12345678"
        page = admin_client.get(
            reverse("admin:escrow_payoutaccount_changelist"), {"q": "NL91ABNA0417164300"}
        ).content.decode()
        assert f"/{payout_account.pk}/change/" in page


def test_a_row_whose_key_was_removed_names_the_setting():
    with override_settings(PACTLINE_DATA_KEYS=[OLD_KEY]):
        account = set_account(DUTCH)

    with (
        override_settings(PACTLINE_DATA_KEYS=[NEW_KEY]),
        pytest.raises(crypto.DataKeyMissing, match="PACTLINE_DATA_KEYS"),
    ):
        PayoutAccount.objects.get(pk=account.pk)


def test_new_key_prints_a_key_the_site_accepts(capsys):
    call_command("data_keys_rotate", "--new-key")
    key = capsys.readouterr().out.strip()

    with override_settings(PACTLINE_DATA_KEYS=[key]):
        crypto.keys_check()
        assert crypto.decrypt(crypto.encrypt("NL91ABNA0417164300")) == "NL91ABNA0417164300"


# --- the migration --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_rows_written_before_it_and_going_back_decrypts_them():
    from django.db.migrations.executor import MigrationExecutor

    before = ("escrow", "0007_refund_through_provider")
    supplier = EligibleSupplierFactory(payout_account=None)

    def migrate(*targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(list(targets) or executor.loader.graph.leaf_nodes())

    try:
        migrate(before)
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "escrow_payoutaccount" ("holder_name", "country", "iban", '
                '"account_number", "bic", "bank_name", "created_at", "supplier_id", '
                '"payouts_from") VALUES (%s, %s, %s, %s, %s, %s, now(), %s, now()) RETURNING "id"',
                ["Noord B.V.", "NL", "NL91ABNA0417164300", "", "ABNANL2A", "", supplier.pk],
            )
            (pk,) = cursor.fetchone()

        migrate()  # 0008 and every migration after it

        account = PayoutAccount.objects.get(pk=pk)
        iban, account_number, number_digest = stored(account)
        assert "0417164300" not in iban and account_number == ""
        assert account.iban == "NL91ABNA0417164300"
        assert number_digest == crypto.digest("NL91ABNA0417164300")
        # 0009: set before the holder check existed, and not in the company's name: accepted.
        assert (account.holder_check, account.holder_checked_by) == ("approved", None)

        migrate(before)
        with connection.cursor() as cursor:
            cursor.execute('SELECT "iban" FROM "escrow_payoutaccount" WHERE "id" = %s', [pk])
            assert cursor.fetchone() == ("NL91ABNA0417164300",)
    finally:
        migrate()  # every app back at its latest migration, for the tests after this one
