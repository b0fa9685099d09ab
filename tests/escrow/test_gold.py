"""A year of Gold bought through the payment provider: by card at once, by bank transfer when the
signed webhook says the money arrived (in parts, replayed, or failed), through the supplier's
page, the API and the admin's sandbox action; the fee is one balanced ledger entry per transfer
and the year is added once, after the current one."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from apps.accounts.models import Notification, User
from apps.escrow import services
from apps.escrow.exceptions import PaymentRefused
from apps.escrow.models import GoldPurchase, LedgerAccount, LedgerEntry
from apps.orders.exceptions import WrongParty
from apps.suppliers.models import GoldMembership, SupplierProfile
from apps.suppliers.selectors import storefront_figures
from tests.escrow.helpers import assert_ledger_invariants, json_of, webhook
from tests.factories import BuyerFactory, EligibleSupplierFactory, VerifiedSupplierFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
PRICE = 299_900  # PACTLINE_GOLD_PRICE_USD's default: US$2,999.00
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
YEAR = dt.timedelta(days=365)
GOLD = "/api/v1/gold-purchases/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def gold_until(supplier):
    return SupplierProfile.objects.get(user=supplier).gold_until


def balance(kind, user=None):
    account = LedgerAccount.objects.filter(kind=kind, user=user, currency="USD").first()
    return account.balance if account else 0


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_client(user):
    client = Client()
    client.force_login(user)
    return client


# --- by card ------------------------------------------------------------------------------------


def test_a_verified_supplier_buys_a_year_of_gold_by_card_and_can_take_trade_assurance_orders():
    supplier = VerifiedSupplierFactory()
    assert not storefront_figures(supplier=supplier, use_cache=False).is_trade_assurance_eligible

    purchase = services.gold_purchase_start(supplier=supplier, method="card")

    assert purchase.status == GoldPurchase.Status.PAID
    assert (purchase.amount, purchase.received_amount, purchase.currency) == (PRICE, PRICE, "USD")
    assert purchase.membership.source == GoldMembership.Source.PAYMENT
    assert (purchase.membership.starts_at, purchase.membership.ends_at) == (NOW, NOW + YEAR)
    assert gold_until(supplier) == NOW + YEAR
    fresh = User.objects.get(pk=supplier.pk)
    assert storefront_figures(supplier=fresh, use_cache=False).is_trade_assurance_eligible
    # The fee: from the supplier's funding (external) to Pactline's revenue, one entry.
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.MEMBERSHIP)
    assert entry.idempotency_key == f"gold:{purchase.pk}:capture"
    assert balance(Kind.SUPPLIER_FUNDING, supplier) == -PRICE
    assert balance(Kind.PLATFORM_REVENUE) == PRICE
    assert Notification.objects.filter(user=supplier, kind="gold_granted").count() == 1
    assert_ledger_invariants()


def test_renewing_adds_the_new_year_after_the_current_one():
    supplier = EligibleSupplierFactory(supplier_profile__gold_until=NOW + dt.timedelta(days=30))

    purchase = services.gold_purchase_start(supplier=supplier, method="card")

    ends = NOW + dt.timedelta(days=30)
    assert (purchase.membership.starts_at, purchase.membership.ends_at) == (ends, ends + YEAR)
    assert gold_until(supplier) == ends + YEAR


def test_a_membership_that_does_not_end_within_ninety_days_cannot_be_renewed_yet():
    supplier = EligibleSupplierFactory(supplier_profile__gold_until=NOW + dt.timedelta(days=200))

    with pytest.raises(PaymentRefused) as refused:
        services.gold_purchase_start(supplier=supplier, method="card")

    assert "you can renew it from Sept. 19, 2026" in refused.value.text  # 200 - 90 days on
    assert not GoldPurchase.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert gold_until(supplier) == NOW + dt.timedelta(days=200)


def test_a_buyer_cannot_buy_gold_and_a_method_must_be_chosen():
    with pytest.raises(WrongParty):
        services.gold_purchase_start(supplier=BuyerFactory(), method="card")
    with pytest.raises(PaymentRefused) as refused:
        services.gold_purchase_start(supplier=VerifiedSupplierFactory(), method="cash")
    assert refused.value.field == "method"
    assert not GoldPurchase.objects.exists()


# --- by bank transfer ---------------------------------------------------------------------------


def test_a_transfer_in_two_parts_adds_the_year_when_the_price_is_in_and_books_only_the_price():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")
    assert purchase.status == GoldPurchase.Status.PENDING
    assert purchase.instructions["payment_reference"] == purchase.provider_reference
    client = Client()

    first = {"reference": purchase.provider_reference, "amount": 100_000}
    assert webhook(client, "payment.transfer_received", first, event_id="evt_1").status_code == 200
    purchase.refresh_from_db()
    assert (purchase.status, purchase.received_amount) == (GoldPurchase.Status.PENDING, 100_000)
    assert gold_until(supplier) is None

    second = {"reference": purchase.provider_reference, "amount": 250_000}  # 50,100 too much
    webhook(client, "payment.transfer_received", second, event_id="evt_2")
    purchase.refresh_from_db()
    assert (purchase.status, purchase.received_amount) == (GoldPurchase.Status.PAID, PRICE)
    assert gold_until(supplier) == NOW + YEAR
    assert balance(Kind.PLATFORM_REVENUE) == PRICE  # the excess goes back with the provider
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MEMBERSHIP).count() == 2
    assert_ledger_invariants()


def test_a_transfer_replayed_twenty_times_is_counted_once():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")
    client = Client()
    data = {"reference": purchase.provider_reference, "amount": PRICE}

    answers = [
        json_of(webhook(client, "payment.transfer_received", data, event_id="evt_same"))
        for _ in range(20)
    ]

    assert [a["status"] for a in answers] == ["processed"] + ["duplicate"] * 19
    assert balance(Kind.PLATFORM_REVENUE) == PRICE
    assert GoldMembership.objects.filter(supplier=supplier).count() == 1


def test_a_badly_signed_gold_webhook_changes_nothing():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")

    answer = Client().post(
        "/api/v1/escrow/webhooks/sandbox/",
        data=b'{"id":"evt_x","type":"payment.succeeded","data":{"reference":"%s"}}'
        % purchase.provider_reference.encode(),
        content_type="application/json",
        HTTP_PACTLINE_SIGNATURE="t=1,v1=00",
    )

    assert answer.status_code == 400
    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.PENDING
    assert not LedgerEntry.objects.exists()


def test_while_a_transfer_is_on_its_way_no_second_purchase_starts():
    supplier = VerifiedSupplierFactory()
    services.gold_purchase_start(supplier=supplier, method="tt")

    with pytest.raises(PaymentRefused) as refused:
        services.gold_purchase_start(supplier=supplier, method="card")

    assert "still on its way" in refused.value.text
    assert GoldPurchase.objects.count() == 1


def test_a_failed_transfer_tells_the_supplier_and_a_new_purchase_can_start():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")

    webhook(Client(), "payment.failed", {"reference": purchase.provider_reference})

    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.FAILED
    failed = Notification.objects.get(user=supplier, kind="gold_payment_failed")
    assert purchase.provider_reference in failed.body
    assert gold_until(supplier) is None
    again = services.gold_purchase_start(supplier=supplier, method="card")
    assert again.status == GoldPurchase.Status.PAID
    # Money arriving late for the failed purchase is not taken.
    webhook(
        Client(),
        "payment.transfer_received",
        {"reference": purchase.provider_reference, "amount": PRICE},
    )
    assert balance(Kind.PLATFORM_REVENUE) == PRICE


def test_a_transfer_not_made_can_be_cancelled_to_pay_by_card_and_arrives_to_no_effect():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")

    services.gold_purchase_cancel(purchase=purchase, acting_user=supplier)

    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.CANCELLED
    assert services.gold_purchase_start(supplier=supplier, method="card").status == "paid"
    webhook(
        Client(),
        "payment.transfer_received",
        {"reference": purchase.provider_reference, "amount": PRICE},
    )
    assert balance(Kind.PLATFORM_REVENUE) == PRICE  # only the card payment
    assert GoldMembership.objects.filter(supplier=supplier).count() == 1


def test_a_transfer_partly_arrived_or_someone_elses_cannot_be_cancelled():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")

    with pytest.raises(WrongParty):
        services.gold_purchase_cancel(purchase=purchase, acting_user=VerifiedSupplierFactory())
    webhook(
        Client(),
        "payment.transfer_received",
        {"reference": purchase.provider_reference, "amount": 1_000},
    )
    with pytest.raises(PaymentRefused) as refused:
        services.gold_purchase_cancel(purchase=purchase, acting_user=supplier)

    assert "Part of this transfer has arrived" in refused.value.text
    purchase.refresh_from_db()
    assert (purchase.status, purchase.received_amount) == (GoldPurchase.Status.PENDING, 1_000)


# --- the supplier's page ------------------------------------------------------------------------


def test_the_supplier_buys_gold_by_card_on_its_page():
    supplier = VerifiedSupplierFactory()
    client = page_client(supplier)

    page = client.get("/supplier/gold/")
    assert page.status_code == 200
    assert "Buy a year of Gold: US$\xa02,999.00" in page.content.decode()

    answer = client.post("/supplier/gold/", {"method": "card"}, follow=True)

    text = answer.content.decode()
    assert "US$\xa02,999.00 paid by card: your Gold membership runs until June 1, 2027." in text
    assert "Active until June 1, 2027" in text
    assert gold_until(supplier) == NOW + YEAR


def test_the_supplier_pays_by_transfer_sees_how_and_the_sandbox_transfer_completes_it():
    supplier = VerifiedSupplierFactory()
    client = page_client(supplier)

    text = client.post("/supplier/gold/", {"method": "tt"}, follow=True).content.decode()
    purchase = GoldPurchase.objects.get(supplier=supplier)
    assert "your year of Gold starts when the money arrives" in text
    assert purchase.provider_reference in text  # the payment reference to quote
    assert "NL00 SBOX 0000 0000 00" in text

    text = client.post(f"/supplier/gold/{purchase.pk}/simulate/", follow=True).content.decode()
    assert "Sandbox: the transfer arrived. Your Gold membership runs until June 1, 2027." in text
    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.PAID


def test_a_refusal_is_shown_on_the_form_and_in_dutch_for_a_dutch_supplier():
    supplier = EligibleSupplierFactory(
        supplier_profile__gold_until=NOW + dt.timedelta(days=200), language="nl"
    )
    client = page_client(supplier)

    page = client.get("/supplier/gold/")
    assert page.status_code == 200
    answer = client.post("/supplier/gold/", {"method": "card"})

    assert answer.status_code == 200
    assert "u kunt het verlengen vanaf 19 september 2026" in answer.content.decode()
    assert not GoldPurchase.objects.exists()


def test_the_supplier_cancels_a_transfer_on_its_page_and_can_buy_again():
    supplier = VerifiedSupplierFactory()
    client = page_client(supplier)
    client.post("/supplier/gold/", {"method": "tt"})
    purchase = GoldPurchase.objects.get(supplier=supplier)

    text = client.post(f"/supplier/gold/{purchase.pk}/cancel/", follow=True).content.decode()

    assert f"The transfer (reference {purchase.provider_reference}) is cancelled." in text
    assert "Buy a year of Gold" in text  # the form is back
    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.CANCELLED
    again = client.post(f"/supplier/gold/{purchase.pk}/cancel/", follow=True).content.decode()
    assert "This payment is cancelled: there is nothing to cancel." in again


def test_someone_elses_purchase_cannot_be_simulated_and_a_buyer_has_no_gold_page():
    owner = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=owner, method="tt")

    other = page_client(VerifiedSupplierFactory())
    assert other.post(f"/supplier/gold/{purchase.pk}/simulate/").status_code == 404
    assert other.post(f"/supplier/gold/{purchase.pk}/cancel/").status_code == 404
    assert page_client(BuyerFactory()).get("/supplier/gold/").status_code in (403, 404)
    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.PENDING


def test_the_trade_assurance_page_links_to_buying_gold():
    text = page_client(VerifiedSupplierFactory()).get("/supplier/trade-assurance/").content
    assert b'href="/supplier/gold/"' in text


def test_the_fee_is_on_the_suppliers_statement():
    supplier = VerifiedSupplierFactory()
    services.gold_purchase_start(supplier=supplier, method="card")

    lines = json_of(api_for(supplier).get("/api/v1/statements/"))["results"]

    assert [(line["amount"], line["kind"]) for line in lines] == [(-PRICE, "membership")]


# --- the API --------------------------------------------------------------------------------------


def test_the_api_buys_gold_and_lists_only_the_callers_purchases():
    supplier, other = VerifiedSupplierFactory(), VerifiedSupplierFactory()
    services.gold_purchase_start(supplier=other, method="tt")
    client = api_for(supplier)

    answer = client.post(GOLD, {"method": "card"}, format="json")

    assert answer.status_code == 201
    body = answer.json()
    assert (body["status"], body["amount"], body["currency"]) == ("paid", PRICE, "USD")
    assert body["membership_ends_at"] == (NOW + YEAR).isoformat().replace("+00:00", "Z")
    listed = client.get(GOLD).json()
    assert [p["id"] for p in listed["results"]] == [body["id"]]


def test_the_api_refuses_clearly():
    supplier = VerifiedSupplierFactory()
    client = api_for(supplier)

    assert client.post(GOLD, {"method": "cash"}, format="json").status_code == 400
    assert client.post(GOLD, {"method": "tt"}, format="json").status_code == 201
    second = client.post(GOLD, {"method": "card"}, format="json")
    assert second.status_code == 400
    assert "still on its way" in str(second.json())
    buyer = api_for(BuyerFactory())
    assert buyer.post(GOLD, {"method": "card"}, format="json").status_code == 403
    assert buyer.get(GOLD).status_code == 403


def test_the_api_cancels_the_callers_own_pending_transfer_only():
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")
    url = f"{GOLD}{purchase.pk}/cancel/"

    assert api_for(VerifiedSupplierFactory()).post(url).status_code == 404
    answer = api_for(supplier).post(url)

    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")
    again = api_for(supplier).post(url)
    assert again.status_code == 400
    assert "nothing to cancel" in str(again.json())


def test_an_idempotency_key_buys_once_and_refuses_another_body():
    client = api_for(VerifiedSupplierFactory())

    first = client.post(GOLD, {"method": "card"}, format="json", HTTP_IDEMPOTENCY_KEY="gold-1")
    again = client.post(GOLD, {"method": "card"}, format="json", HTTP_IDEMPOTENCY_KEY="gold-1")
    other = client.post(GOLD, {"method": "tt"}, format="json", HTTP_IDEMPOTENCY_KEY="gold-1")

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 409)
    assert again.json() == first.json()
    assert GoldPurchase.objects.count() == 1


# --- the admin ----------------------------------------------------------------------------------


def test_staff_see_gold_purchases_read_only_and_can_simulate_a_sandbox_transfer(admin_client):
    supplier = VerifiedSupplierFactory()
    purchase = services.gold_purchase_start(supplier=supplier, method="tt")

    listing = admin_client.get("/admin/escrow/goldpurchase/")
    assert listing.status_code == 200
    assert purchase.provider_reference in listing.content.decode()
    admin_client.post(
        "/admin/escrow/goldpurchase/",
        {"action": "simulate_transfer", "_selected_action": [purchase.pk]},
    )

    purchase.refresh_from_db()
    assert purchase.status == GoldPurchase.Status.PAID
    assert gold_until(supplier) == NOW + YEAR
    assert admin_client.get(f"/admin/escrow/goldpurchase/{purchase.pk}/delete/").status_code == 403


def test_timestamps_are_shown_in_the_suppliers_time_zone():
    supplier = VerifiedSupplierFactory(timezone="Asia/Tokyo")
    services.gold_purchase_start(supplier=supplier, method="card")

    text = page_client(supplier).get("/supplier/gold/").content.decode()

    assert "June 1, 2026, 9 p.m." in text  # 12:00 UTC is 21:00 in Tokyo
