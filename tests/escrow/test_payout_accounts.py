"""The bank account payouts go to: its details checked (IBAN digits and length, the country of
IBAN and BIC, an account number with its BIC), set and changed only with the password, every
change a new row with the old one kept, the supplier emailed, payouts to a changed account held
for a while, and each payout keeping where it went. Pages, API and admin, with who may see what."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from apps.escrow import services
from apps.escrow.bank import bank_details_check, uses_iban
from apps.escrow.exceptions import BankDetailsInvalid, PayoutAccountNotReady
from apps.escrow.models import LedgerEntry, Payout, PayoutAccount
from apps.escrow.seed import DEMO_PAYOUT_ACCOUNTS
from apps.escrow.views import sandbox_payout_simulate
from apps.orders.exceptions import WrongParty
from tests.escrow.helpers import IBANS, assert_ledger_invariants
from tests.escrow.test_pages import completed, messages_of
from tests.factories import PASSWORD, BuyerFactory, EligibleSupplierFactory, MediatorFactory

pytestmark = pytest.mark.django_db

DUTCH = {"holder_name": "Noord B.V.", "country": "NL", "iban": "nl91 abna 0417 1643 00"}
CHINESE = {
    "holder_name": "Shenzhen Brightway Electronics Co., Ltd.",
    "country": "CN",
    "account_number": "4000 0234 0920 0345 678",
    "bic": "ICBKCNBJSZN",
}


def new_supplier():
    """A supplier without a payout account, trading as the DUTCH account's holder."""
    return EligibleSupplierFactory(payout_account=None, company__company_name=DUTCH["holder_name"])


def set_account(supplier, details=DUTCH, password=PASSWORD, **kwargs):
    return services.payout_account_set(
        supplier=supplier, password=password, **{**details, **kwargs}
    )


def refusal(**details):
    with pytest.raises(BankDetailsInvalid) as caught:
        bank_details_check(**{"holder_name": "Noord B.V.", "country": "NL", **details})
    return caught.value.errors


# --- the details ---------------------------------------------------------------------------------


def test_an_iban_is_kept_compact_with_the_bank_found_from_it():
    details = bank_details_check(**DUTCH)

    assert details.iban == "NL91ABNA0417164300"
    assert (details.bic, details.bank_name) == ("ABNANL2A", "ABN AMRO BANK N.V.")
    assert details.account_number == ""


def test_an_iban_with_a_typo_is_refused_on_its_check_digits():
    errors = refusal(iban="NL91ABNA0417164301")

    assert errors == {"iban": ["This IBAN's check digits do not match: look for a typo."]}


def test_an_iban_of_the_wrong_length_says_how_long_it_is():
    assert refusal(iban="NL91ABNA041716430") == {
        "iban": ["An IBAN from Netherlands has 18 characters."]
    }


def test_an_iban_of_a_bank_elsewhere_than_the_country_chosen_is_refused():
    assert refusal(iban=IBANS["DE"]) == {
        "iban": ["This IBAN is of a bank in Germany, not in Netherlands."]
    }


def test_an_iban_country_asks_for_the_iban_not_an_account_number():
    assert refusal(account_number="417164300") == {
        "iban": ["Banks in Netherlands use IBANs: enter the IBAN."]
    }


def test_an_account_number_goes_with_a_bic_of_the_banks_country():
    china = {"holder_name": "Brightway", "country": "CN", "account_number": "4000023409200345678"}

    assert refusal(**china) == {
        "bic": ["Transfers to China go by SWIFT: enter the bank's BIC (SWIFT code)."]
    }
    assert refusal(**china, bic="ABNANL2A") == {
        "bic": ["This BIC is of a bank in Netherlands, not in China."]
    }
    assert refusal(**china, bic="ICBK") == {
        "bic": ["A BIC (SWIFT code) has 8 or 11 letters and digits, such as ABNANL2A."]
    }
    assert bank_details_check(**CHINESE).account_number == "4000023409200345678"


def test_an_account_number_must_look_like_one():
    errors = refusal(country="CN", account_number="12", bic="ICBKCNBJSZN")

    assert errors == {"account_number": ["Enter the account number: 4 to 34 letters and digits."]}


def test_the_holder_and_the_country_are_required():
    assert refusal(holder_name="  ", iban="NL91ABNA0417164300") == {
        "holder_name": ["Enter the name the account is held in."]
    }
    assert refusal(holder_name="x" * 141, iban="NL91ABNA0417164300") == {
        "holder_name": ["Enter the account holder's name in at most 140 characters."]
    }
    assert refusal(country="XX") == {"country": ["Choose the country the bank is in."]}


def test_only_countries_in_the_iban_registry_use_ibans():
    assert uses_iban("NL") and uses_iban("TR") and uses_iban("PL")
    assert not uses_iban("CN") and not uses_iban("US") and not uses_iban("IN")
    assert not uses_iban("DZ")  # its format is reserved, not in use


def test_the_demo_accounts_pass_the_checks():
    for details in DEMO_PAYOUT_ACCOUNTS.values():
        checked = bank_details_check(
            holder_name=details["holder_name"],
            country=details["country"],
            iban=details.get("iban", ""),
            account_number=details.get("account_number", ""),
            bic=details["bic"],
        )
        assert checked.iban == details.get("iban", "")
        assert checked.account_number == details.get("account_number", "")


def test_numbers_are_masked_to_their_last_four():
    assert PayoutAccount(iban="NL91ABNA0417164300").masked == "NL91 •••• 4300"
    assert PayoutAccount(account_number="4000023409200345678").masked == "•••• 5678"


# --- setting and changing it ---------------------------------------------------------------------


def test_the_first_account_takes_payouts_at_once_and_is_emailed(
    django_capture_on_commit_callbacks,
):
    supplier = new_supplier()

    with django_capture_on_commit_callbacks(execute=True):
        account = set_account(supplier)

    assert account.payouts_from == account.created_at and account.replaced_at is None
    [email] = mail.outbox
    assert email.to == [supplier.email]
    assert email.subject == "[Pactline] Your payout bank account was added"
    assert "NL91 •••• 4300" in email.body and "Noord B.V." in email.body
    assert "0417" not in email.body  # never the whole number


def test_a_wrong_password_changes_nothing_and_is_said_with_the_other_errors(
    django_capture_on_commit_callbacks,
):
    supplier = new_supplier()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(BankDetailsInvalid) as caught,
    ):
        set_account(supplier, password="not-it", iban="NL91ABNA0417164301")

    assert caught.value.errors == {
        "iban": ["This IBAN's check digits do not match: look for a typo."],
        "password": ["This is not your password."],
    }
    assert not PayoutAccount.objects.exists() and not mail.outbox


def test_only_suppliers_have_a_payout_account():
    with pytest.raises(WrongParty):
        set_account(BuyerFactory())


def test_a_change_keeps_the_old_account_and_holds_payouts_to_the_new_one(
    settings, django_capture_on_commit_callbacks
):
    settings.PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS = 24
    order = completed()
    supplier = order.supplier
    supplier.company.company_name = CHINESE["holder_name"]  # the new account is the company's
    supplier.company.save()
    old = PayoutAccount.objects.get(supplier=supplier)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        new = set_account(supplier, CHINESE)

    old.refresh_from_db()
    assert old.replaced_at == new.created_at
    assert new.payouts_from == new.created_at + dt.timedelta(hours=24)
    [email] = mail.outbox
    assert email.subject == "[Pactline] Your payout bank account was changed"
    assert "from NL91 •••• 4300 to •••• 5678" in email.body
    assert "Payouts to the new account start on" in email.body
    with pytest.raises(PayoutAccountNotReady) as caught:
        services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    assert caught.value.http_status == 409
    assert "payouts to it start on" in str(caught.value.message)
    assert not Payout.objects.exists() and not LedgerEntry.objects.filter(kind="payout").exists()

    with time_machine.travel(new.payouts_from + dt.timedelta(seconds=1)):
        payout = services.payout_request(supplier=supplier, amount=100_000, currency="USD")

    assert payout.account == new
    assert payout.destination == "•••• 5678 · Shenzhen Brightway Electronics Co., Ltd."
    assert LedgerEntry.objects.get(kind="payout").description == f"Payout {payout.pk} to •••• 5678"
    assert_ledger_invariants()


def test_the_same_details_again_change_nothing(django_capture_on_commit_callbacks):
    supplier = new_supplier()
    first = set_account(supplier)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = set_account(supplier, {**DUTCH, "iban": "NL91ABNA0417164300"})

    assert again == first and PayoutAccount.objects.count() == 1 and not mail.outbox


def test_a_payout_needs_an_account():
    order = completed()
    PayoutAccount.objects.filter(supplier=order.supplier).delete()

    with pytest.raises(PayoutAccountNotReady) as caught:
        services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")

    assert str(caught.value.message) == "Add the bank account your payouts go to first."
    assert not Payout.objects.exists()
    assert_ledger_invariants()


def test_a_payout_keeps_where_it_went_when_the_account_changes_later():
    order = completed()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")

    set_account(order.supplier, CHINESE)

    payout.refresh_from_db()
    assert payout.destination.startswith("NL91 •••• 4300 · ")
    assert payout.account.iban == "NL91ABNA0417164300" and payout.account.replaced_at


# --- pages ---------------------------------------------------------------------------------------


def page_post(client, data):
    return client.post(reverse("supplier_payout_account"), data)


def test_a_supplier_without_an_account_is_asked_for_one_before_paying_out(client):
    order = completed()
    PayoutAccount.objects.filter(supplier=order.supplier).delete()
    client.force_login(order.supplier)

    page = client.get(reverse("supplier_payouts")).content.decode()

    assert "Payouts need a bank account to go to." in page
    assert "Request payout" not in page
    response = client.post(reverse("supplier_payouts"), {"amount": "100", "currency": "USD"})
    assert response.context["form"].non_field_errors() == [
        "Add the bank account your payouts go to first."
    ]
    assert not Payout.objects.exists()


def test_a_supplier_adds_its_account_on_the_page(client):
    supplier = new_supplier()
    client.force_login(supplier)

    response = client.post(
        reverse("supplier_payout_account"), {**DUTCH, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("supplier_payouts")
    assert messages_of(response) == ["Payouts now go to NL91 •••• 4300."]
    page = response.content.decode()
    assert "NL91 •••• 4300" in page and "Change bank account" in page
    assert PayoutAccount.objects.get(supplier=supplier).iban == "NL91ABNA0417164300"


def test_a_wrong_password_on_the_page_keeps_what_was_typed(client):
    supplier = new_supplier()
    client.force_login(supplier)

    response = page_post(client, {**DUTCH, "password": "not-it"})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"password": ["This is not your password."]}
    assert 'value="Noord B.V."' in response.content.decode()
    assert not PayoutAccount.objects.exists()


def test_bad_bank_details_on_the_page_are_form_errors(client):
    client.force_login(new_supplier())

    response = page_post(client, {**CHINESE, "bic": "", "password": PASSWORD})

    assert response.context["form"].errors == {
        "bic": ["Transfers to China go by SWIFT: enter the bank's BIC (SWIFT code)."]
    }
    assert not PayoutAccount.objects.exists()


def test_a_changed_account_shows_when_payouts_start_and_the_earlier_one(client, settings):
    settings.PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS = 48
    supplier = EligibleSupplierFactory()  # has a Dutch account
    client.force_login(supplier)

    response = page_post(client, {**CHINESE, "password": PASSWORD})
    page = client.get(reverse("supplier_payout_account")).content.decode()

    assert response.status_code == 302
    assert "Payouts to this account start on" in page
    assert "Earlier accounts" in page and "NL91 •••• 4300" in page and "•••• 5678" in page


def test_guessing_the_password_on_the_page_is_stopped(client):
    supplier = new_supplier()
    client.force_login(supplier)
    for _attempt in range(10):
        page_post(client, {**DUTCH, "password": "guess"})

    response = page_post(client, {**DUTCH, "password": PASSWORD})

    assert response.context["form"].non_field_errors() == [
        "Too many attempts to confirm your password. Wait a minute and try again."
    ]
    assert not PayoutAccount.objects.exists()


def test_the_payout_account_page_is_for_suppliers(client):
    url = reverse("supplier_payout_account")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(BuyerFactory())
    assert client.get(url).status_code == 403
    assert client.post(url, {**DUTCH, "password": PASSWORD}).status_code == 403


def test_the_payouts_list_shows_where_each_payout_went(client):
    order = completed()
    services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")
    client.force_login(order.supplier)

    page = client.get(reverse("supplier_payouts")).content.decode()

    assert "NL91 •••• 4300 · " in page


# --- API -----------------------------------------------------------------------------------------

URL = "/api/v1/payout-account/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_sets_and_shows_the_account_masked():
    supplier = new_supplier()
    client = api(supplier)
    assert client.get(URL).status_code == 404

    response = client.put(URL, {**CHINESE, "password": PASSWORD}, "json")

    assert response.status_code == 200, response.json()
    body = client.get(URL).json()
    assert body == response.json()
    assert body["account"] == "•••• 5678" and body["bic"] == "ICBKCNBJSZN"
    assert "4000023409200345678" not in str(body) and "password" not in body


def test_the_api_refuses_bad_details_and_a_wrong_password_by_field():
    client = api(new_supplier())

    response = client.put(URL, {**DUTCH, "iban": "NL91ABNA0417164301", "password": "x"}, "json")

    assert response.status_code == 400
    assert response.json() == {
        "iban": ["This IBAN's check digits do not match: look for a typo."],
        "password": ["This is not your password."],
    }
    assert client.put(URL, {"country": "NL"}, "json").json().keys() == {"holder_name", "password"}
    assert not PayoutAccount.objects.exists()


def test_the_api_throttles_password_guesses_but_not_reads():
    client = api(new_supplier())
    guess = {**DUTCH, "password": "guess"}
    answers = [client.put(URL, guess, "json").status_code for _attempt in range(11)]

    assert answers[:10] == [400] * 10 and answers[10] == 429
    assert {client.get(URL).status_code for _ in range(12)} == {404}


def test_a_payout_without_an_account_is_a_409_through_the_api():
    order = completed()
    PayoutAccount.objects.filter(supplier=order.supplier).delete()

    response = api(order.supplier).post(
        "/api/v1/payouts/", {"amount": 100_000, "currency": "USD"}, "json"
    )

    assert response.status_code == 409
    assert response.json() == {"detail": ["Add the bank account your payouts go to first."]}


def test_payouts_in_the_api_say_where_they_went():
    order = completed()
    services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")

    [payout] = api(order.supplier).get("/api/v1/payouts/").json()["results"]

    assert payout["destination"].startswith("NL91 •••• 4300 · ")


def test_only_suppliers_reach_the_payout_account_api():
    assert APIClient().get(URL).status_code == 401
    buyer = api(BuyerFactory())
    assert buyer.get(URL).status_code == 403
    assert buyer.put(URL, {**DUTCH, "password": PASSWORD}, "json").status_code == 403


def test_one_supplier_never_sees_anothers_account():
    set_account(new_supplier())

    assert api(new_supplier()).get(URL).status_code == 404


# --- admin ---------------------------------------------------------------------------------------


def test_staff_see_accounts_current_and_replaced_but_cannot_edit_them(client):
    supplier = EligibleSupplierFactory()
    set_account(supplier, CHINESE)
    staff = MediatorFactory(is_superuser=True)
    client.force_login(staff)

    listing = client.get(reverse("admin:escrow_payoutaccount_changelist"))
    current = client.get(reverse("admin:escrow_payoutaccount_changelist") + "?current=yes")

    assert listing.status_code == 200
    page = listing.content.decode()
    assert "NL91 •••• 4300" in page and "•••• 5678" in page
    assert "NL91 •••• 4300" not in current.content.decode()
    assert client.get(reverse("admin:escrow_payoutaccount_add")).status_code == 403


def test_the_change_email_is_in_the_suppliers_language_and_time_zone(
    django_capture_on_commit_callbacks,
):
    supplier = EligibleSupplierFactory(language="nl", timezone="Asia/Shanghai")
    mail.outbox.clear()

    with (
        time_machine.travel(dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        set_account(supplier, CHINESE)

    [email] = mail.outbox
    assert email.subject == "[Pactline] Je bankrekening voor uitbetalingen is gewijzigd"
    assert "2 maart 2026 04:30" in email.body  # 20:30 UTC is 04:30 the next day in Shanghai


def test_the_account_page_says_when_the_bank_refused_the_last_payout(client):
    order = completed()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")
    client.force_login(order.supplier)
    assert "The bank refused" not in client.get(reverse("supplier_payout_account")).content.decode()

    sandbox_payout_simulate(payout=payout, outcome="failed")

    page = client.get(reverse("supplier_payout_account")).content.decode()
    assert "The bank refused the last payout to this account" in page
    assert "The bank said: Sandbox: the beneficiary account is closed" in page


def test_the_supplier_portal_asks_for_an_account_until_there_is_one(client):
    supplier = new_supplier()
    client.force_login(supplier)
    ask = "Add the bank account your payouts go to, so that money released to you can be paid out."

    assert ask in client.get(reverse("supplier_home")).content.decode()
    set_account(supplier)
    assert ask not in client.get(reverse("supplier_home")).content.decode()


def test_staff_are_asked_to_chase_a_payout_the_bank_never_answered(
    settings, django_capture_on_commit_callbacks
):
    """The clock's escrow.payout_chase: a payout unanswered after PACTLINE_PAYOUT_CHASE_DAYS is
    put to the staff who move payouts, again every as many days, until the bank answers."""
    from apps.core.sweeps import sweep_run

    settings.PACTLINE_PAYOUT_CHASE_DAYS = 5
    order = completed()
    payout = services.payout_request(supplier=order.supplier, amount=100_000, currency="USD")
    assert payout.chase_at == payout.created_at + dt.timedelta(days=5)
    finance = MediatorFactory(is_superuser=True)
    MediatorFactory()  # moves no payouts: not asked
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        early = sweep_run("escrow.payout_chase", now=payout.chase_at - dt.timedelta(seconds=1))
        due = sweep_run("escrow.payout_chase", now=payout.chase_at + dt.timedelta(seconds=1))
        again = sweep_run("escrow.payout_chase", now=payout.chase_at + dt.timedelta(seconds=2))

    assert (early.done, due.done, again.done) == (0, 1, 0)
    assert [m.to for m in mail.outbox] == [[finance.email]]
    assert "unanswered for 5 days: chase the provider" in mail.outbox[0].subject
    assert payout.destination in mail.outbox[0].body
    assert order.supplier.email in mail.outbox[0].body
    assert f"/admin/escrow/payout/{payout.pk}/change/" in mail.outbox[0].body
    payout.refresh_from_db()
    assert payout.chase_at > payout.created_at + dt.timedelta(days=9)

    # Paid, it is chased no more.
    sandbox_payout_simulate(payout=payout, outcome="paid")
    assert sweep_run("escrow.payout_chase", now=payout.chase_at + dt.timedelta(days=1)).due == 0
