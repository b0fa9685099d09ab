"""Payouts go to the supplier company's own account: an account whose holder is not the company
name (give or take case, punctuation and the legal form) waits until staff have checked it, and
the supplier, the staff and the API all see why."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from apps.escrow import services
from apps.escrow.bank import holder_is_company
from apps.escrow.exceptions import PayoutAccountNotReady
from apps.escrow.models import Payout, PayoutAccount
from apps.orders.exceptions import NotAParty, OutOfTurn
from tests.escrow.helpers import assert_ledger_invariants
from tests.escrow.test_pages import completed, messages_of
from tests.factories import PASSWORD, MediatorFactory

pytestmark = pytest.mark.django_db

COMPANY = "Shenzhen Brightway Electronics Co., Ltd."
ACCOUNT = {"country": "CN", "account_number": "4000 0234 0920 0345 678", "bic": "ICBKCNBJSZN"}


@pytest.mark.parametrize(
    ("holder", "company", "same"),
    [
        ("SHENZHEN BRIGHTWAY ELECTRONICS CO LTD", COMPANY, True),
        ("Shenzhen Brightway Electronics Company Limited", COMPANY, True),
        ("Jaipur Textile Works Private Limited", "Jaipur Textile Works Pvt. Ltd.", True),
        ("Anatolia Seramik A.Ş.", "Anatolia Seramik AS", True),
        ("Noordzee Imports BV", "Noordzee Imports B.V.", True),
        ("Wei Zhang", COMPANY, False),  # a person
        ("Brightway Trading Co., Ltd.", COMPANY, False),  # another company
        ("深圳明亮电子有限公司", COMPANY, False),  # the name in another script: staff check
        ("Co., Ltd.", "Co Ltd", False),  # nothing but the legal form
        ("Shenzhen Brightway", COMPANY, False),
    ],
)
def test_the_holder_is_the_company_give_or_take_case_punctuation_and_legal_form(
    holder, company, same
):
    assert holder_is_company(holder, company) is same


def supplier_with_balance(company=COMPANY):
    """A supplier with US$ 4,200.00 released to it and no payout account yet."""
    order = completed()
    supplier = order.supplier
    supplier.company.company_name = company
    supplier.company.save()
    PayoutAccount.objects.filter(supplier=supplier).delete()
    return supplier


def set_account(supplier, holder):
    return services.payout_account_set(
        supplier=supplier, password=PASSWORD, holder_name=holder, **ACCOUNT
    )


def test_an_account_in_the_company_name_takes_payouts_at_once():
    supplier = supplier_with_balance()

    account = set_account(supplier, "SHENZHEN BRIGHTWAY ELECTRONICS CO LTD")
    payout = services.payout_request(supplier=supplier, amount=100_000, currency="USD")

    assert account.holder_check == PayoutAccount.HolderCheck.MATCHES
    assert payout.account == account
    assert_ledger_invariants()


def test_another_holder_waits_for_staff_who_are_told_and_the_supplier_is_told_why(
    django_capture_on_commit_callbacks,
):
    supplier = supplier_with_balance()
    finance = MediatorFactory(is_superuser=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        account = set_account(supplier, "Wei Zhang")

    assert account.holder_check == PayoutAccount.HolderCheck.WAITING
    to_supplier, to_staff = sorted(mail.outbox, key=lambda m: m.to != [supplier.email])
    assert 'The account holder "Wei Zhang" is not your company name' in to_supplier.body
    assert to_staff.to == [finance.email]
    assert to_staff.subject == f"[Pactline] Check the payout account holder of {supplier.email}"
    assert f"/admin/escrow/payoutaccount/{account.pk}/change/" in to_staff.body
    assert "•••• 5678" in to_staff.body and "4000023409200345678" not in to_staff.body
    with pytest.raises(PayoutAccountNotReady) as caught:
        services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    assert caught.value.http_status == 409
    assert "“Wei Zhang”, not by your company “Shenzhen Brightway" in str(caught.value.message)
    assert not Payout.objects.exists()
    assert_ledger_invariants()


def test_staff_approve_the_holder_and_payouts_go_there(
    admin_client, django_capture_on_commit_callbacks
):
    supplier = supplier_with_balance()
    account = set_account(supplier, "Wei Zhang")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:escrow_payoutaccount_changelist"),
            {"action": "approve_holder", "_selected_action": [account.pk]},
            follow=True,
        )

    assert "1 account holder approved; the supplier is emailed." in messages_of(response)
    account.refresh_from_db()
    assert account.holder_check == PayoutAccount.HolderCheck.APPROVED
    assert account.holder_checked_by.is_superuser and account.holder_checked_at
    [email] = mail.outbox
    assert email.to == [supplier.email]
    assert "payouts can go there" in email.body
    payout = services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    assert payout.account == account
    # Approving again, or an account that needs no check, is refused by name.
    response = admin_client.post(
        reverse("admin:escrow_payoutaccount_changelist"),
        {"action": "approve_holder", "_selected_action": [account.pk]},
        follow=True,
    )
    assert (
        f"Payout account {account.pk}: This account's holder is not waiting for a check: "
        "Holder checked by Pactline." in messages_of(response)
    )
    assert_ledger_invariants()


def test_only_staff_approve_and_only_the_current_account():
    supplier = supplier_with_balance()
    first = set_account(supplier, "Wei Zhang")
    with pytest.raises(NotAParty):
        services.payout_account_holder_approve(account=first, acting_user=supplier)

    set_account(supplier, "Li Na")  # replaced before anyone checked it
    with pytest.raises(OutOfTurn):
        services.payout_account_holder_approve(
            account=first, acting_user=MediatorFactory(is_superuser=True)
        )
    first.refresh_from_db()
    assert first.holder_check == PayoutAccount.HolderCheck.WAITING


def test_the_pages_and_the_api_say_the_account_waits(client):
    supplier = supplier_with_balance()
    client.force_login(supplier)
    response = client.post(
        reverse("supplier_payout_account"),
        {"holder_name": "Wei Zhang", "password": PASSWORD, **ACCOUNT},
        follow=True,
    )

    assert (
        "Its holder is not your company name, so Pactline checks it before payouts go there"
        in messages_of(response)[0]
    )
    page = client.get(reverse("supplier_payout_account")).content.decode()
    assert "its holder, “Wei Zhang”, is not your company name" in page
    page = client.get(reverse("supplier_payouts")).content.decode()
    assert "start once Pactline has checked its holder" in page

    api = APIClient()
    api.force_authenticate(supplier)
    assert api.get("/api/v1/payout-account/").json()["holder_check"] == "waiting"
    response = api.post("/api/v1/payouts/", {"amount": 100_000, "currency": "USD"}, format="json")
    assert response.status_code == 409
    assert "once Pactline has checked it" in response.json()["detail"][0]


def test_the_admin_page_shows_the_company_beside_the_holder(admin_client):
    supplier = supplier_with_balance()
    account = set_account(supplier, "Wei Zhang")

    page = admin_client.get(
        reverse("admin:escrow_payoutaccount_change", args=[account.pk])
    ).content.decode()

    assert COMPANY in page and "Wei Zhang" in page
    listing = admin_client.get(
        reverse("admin:escrow_payoutaccount_changelist"), {"holder_check__exact": "waiting"}
    ).content.decode()
    assert f"/{account.pk}/change/" in listing


def test_once_verified_the_registered_name_counts_not_the_editable_profile(
    settings, tmp_path, admin_client
):
    """The profile's company name is the supplier's to edit; a verified supplier's account is
    compared with the name staff checked against its business licence."""
    from apps.suppliers import services as supplier_services
    from tests.suppliers.test_verification import apply

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    supplier = supplier_with_balance(company="Wei Zhang")  # renamed after a personal account
    application = apply(supplier)
    application.registered_company_name = COMPANY
    application.save(update_fields=["registered_company_name"])
    supplier_services.verification_approve(application=application, acting_user=MediatorFactory())

    waiting = set_account(supplier, "Wei Zhang")
    assert waiting.holder_waiting
    # Staff judge the holder against the same name the rule used.
    page = admin_client.get(reverse("admin:escrow_payoutaccount_change", args=[waiting.pk]))
    assert page.context["adminform"].form.instance == waiting
    assert f'<div class="readonly">{COMPANY}</div>' in page.content.decode()
    assert not set_account(supplier, "SHENZHEN BRIGHTWAY ELECTRONICS CO LTD").holder_waiting


def test_staff_refuse_a_holder_with_a_reason_the_supplier_reads_until_it_changes_the_account(
    admin_client, client, django_capture_on_commit_callbacks, settings
):
    settings.PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS = 0  # the change's safety wait is tested apart
    supplier = supplier_with_balance()
    account = set_account(supplier, "Wei Zhang")
    url = reverse("admin:escrow_payoutaccount_refuse_holder", args=[account.pk])
    change_page = admin_client.get(reverse("admin:escrow_payoutaccount_change", args=[account.pk]))
    assert url in change_page.content.decode()

    # No reason: the form says so, and nothing changes.
    response = admin_client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    account.refresh_from_db()
    assert account.holder_waiting
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url, {"reason": "A personal account of the director."}, follow=True
        )

    assert "was refused; the supplier is emailed." in messages_of(response)[0]
    account.refresh_from_db()
    assert account.holder_refused and account.holder_checked_by.is_superuser
    [email] = mail.outbox
    assert email.to == [supplier.email]
    assert "A personal account of the director." in email.body
    with pytest.raises(PayoutAccountNotReady) as caught:
        services.payout_request(supplier=supplier, amount=100_000, currency="USD")
    assert "(A personal account of the director.)" in str(caught.value.message)
    client.force_login(supplier)
    page = client.get(reverse("supplier_payout_account")).content.decode()
    assert "Pactline's reason: A personal account of the director." in page
    api = APIClient()
    api.force_authenticate(supplier)
    body = api.get("/api/v1/payout-account/").json()
    assert (body["holder_check"], body["holder_refusal_reason"]) == (
        "refused",
        "A personal account of the director.",
    )

    # A new account in the company's name is checked anew, and paid out to.
    new = set_account(supplier, COMPANY)
    assert new.holder_check == PayoutAccount.HolderCheck.MATCHES
    assert services.payout_request(supplier=supplier, amount=100_000, currency="USD").account == new
    # A decided account cannot be refused again.
    response = admin_client.post(
        reverse("admin:escrow_payoutaccount_refuse_holder", args=[account.pk]),
        {"reason": "Again"},
        follow=True,
    )
    assert "has been replaced" in messages_of(response)[0]
    assert_ledger_invariants()


def test_only_staff_who_may_change_payout_accounts_refuse_holders(client):
    supplier = supplier_with_balance()
    account = set_account(supplier, "Wei Zhang")
    url = reverse("admin:escrow_payoutaccount_refuse_holder", args=[account.pk])
    staff_without_permission = MediatorFactory()
    client.force_login(staff_without_permission)

    response = client.post(url, {"reason": "No"})

    assert response.status_code == 403
    account.refresh_from_db()
    assert account.holder_waiting
    with pytest.raises(NotAParty):
        services.payout_account_holder_refuse(account=account, acting_user=supplier, reason="x")
