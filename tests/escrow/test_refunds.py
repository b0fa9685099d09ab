"""Money back to the buyer goes through the payment provider: every credit to a buyer's funding
account becomes refunds to the payments it came from, newest first. A card or Pay Later refund
is done at once; a bank transfer waits for the buyer's bank (refund.succeeded / refund.failed).
An undelivered refund comes back onto the books as owed to the buyer until staff send it again.
Every test ends with the ledger's invariants and the refunds' own."""

import datetime as dt
import logging

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.escrow import services
from apps.escrow.exceptions import BankDetailsInvalid
from apps.escrow.models import LedgerAccount, LedgerEntry, Refund, RefundAccount
from apps.escrow.providers.sandbox import signed_event
from apps.escrow.services import WebhookOutcome
from apps.orders import services as order_services
from apps.orders.exceptions import NotAParty, OutOfTurn
from tests.escrow.helpers import (
    assert_ledger_invariants,
    assert_refunds_match_ledger,
    confirmed_order,
    json_of,
)
from tests.factories import PASSWORD, BuyerFactory, MediatorFactory

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
TOTAL, DEPOSIT, BALANCE = 600_000, 180_000, 420_000  # the helper's contract, in US cents


@pytest.fixture
def order():
    return confirmed_order()


@pytest.fixture(autouse=True)
def _invariants():
    yield
    assert_ledger_invariants()
    assert_refunds_match_ledger()


def pay(order, purpose, method):
    return services.payment_start(
        order=order, acting_user=order.buyer, purpose=purpose, method=method
    )


def deliver(event_type, data, *, event_id=None, now=None):
    now = now or timezone.now()
    body, signature = signed_event(
        event_type, data, timestamp=int(now.timestamp()), event_id=event_id
    )
    return services.webhook_receive(
        provider_name="sandbox", body=body, signature_header=signature, now=now
    )


def tt_deposit_card_balance(order):
    """Deposit by T/T (arrives through the webhook), then the balance by card: funded."""
    deposit = pay(order, "deposit", "tt")
    deliver(
        "payment.transfer_received", {"reference": deposit.provider_reference, "amount": DEPOSIT}
    )
    balance = pay(order, "balance", "card")
    return deposit, balance


def refund_in_full(order, **kwargs):
    return services.escrow_refund(
        order=order, acting_user=order.supplier, reason="Out of stock", **kwargs
    )


def ship(order):
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MSKU1234567"
    )


def balance(kind, user):
    account = LedgerAccount.objects.filter(kind=kind, user=user, currency="USD").first()
    return account.balance if account else 0


def processing_tt_refund(order):
    """Funded by T/T and card, refunded in full: the T/T part is on its way."""
    tt_deposit_card_balance(order)
    refund_in_full(order)
    return Refund.objects.get(order=order, method="tt")


# --- where the money goes -------------------------------------------------------------------------


def test_a_full_refund_goes_back_to_each_payment_newest_first(order):
    deposit, balance_payment = tt_deposit_card_balance(order)

    entry = refund_in_full(order)

    refunds = list(Refund.objects.filter(order=order).order_by("pk"))
    assert [(r.payment_id, r.method, r.amount, r.status) for r in refunds] == [
        (balance_payment.pk, "card", BALANCE, "refunded"),  # a card refund is done at once
        (deposit.pk, "tt", DEPOSIT, "processing"),  # a bank transfer waits for the bank
    ]
    assert {r.entry_id for r in refunds} == {entry.pk}
    assert all(r.provider_reference.startswith("re_sbx_") for r in refunds)
    assert refunds[0].refunded_at is not None and refunds[1].refunded_at is None
    assert balance(Kind.BUYER_FUNDING, order.buyer) == 0
    # The buyer is told where its money goes; the supplier (who refunded) hears nothing.
    told = order.buyer.notifications.get(kind="order_refunded")
    assert "It goes back the way you paid" in told.body
    assert not order.supplier.notifications.filter(kind="order_refunded").exists()


def test_a_partial_refund_takes_the_newest_payment_first_then_the_older(order):
    deposit, balance_payment = tt_deposit_card_balance(order)
    ship(order)

    services.escrow_refund(
        order=order, acting_user=order.supplier, amount=500_000, reason="Half the lot damaged"
    )

    assert sorted(Refund.objects.filter(order=order).values_list("method", "amount")) == [
        ("card", BALANCE),
        ("tt", 80_000),
    ]


def test_later_refunds_of_an_order_skip_what_a_payment_already_returned(order):
    """A claim paid from coverage after a partial refund: the card gave back all it brought, so
    the claim goes to the T/T deposit."""
    deposit, _balance = tt_deposit_card_balance(order)
    ship(order)
    services.escrow_refund(order=order, acting_user=order.supplier, amount=BALANCE, reason="Bad")

    services.coverage_claim_pay(order=order, amount=50_000, key="claim-1")

    claim = Refund.objects.get(entry__kind=LedgerEntry.Kind.COVERAGE_CLAIM)
    assert (claim.payment_id, claim.method, claim.amount) == (deposit.pk, "tt", 50_000)


def test_an_overpayment_goes_back_to_the_transfer_it_came_with(order):
    deposit = pay(order, "deposit", "tt")

    deliver(
        "payment.transfer_received",
        {"reference": deposit.provider_reference, "amount": DEPOSIT + 7_500},
    )

    refund = Refund.objects.get(order=order)
    assert (refund.payment_id, refund.method, refund.amount, refund.status) == (
        deposit.pk,
        "tt",
        7_500,
        "processing",
    )


def test_a_replayed_refund_entry_sends_nothing_twice(order):
    tt_deposit_card_balance(order)
    refund_in_full(order)

    # The key refund:<order> is taken: the entry is a replay and returns the first.
    services.entry_post(
        key=f"refund:{order.pk}",
        kind=LedgerEntry.Kind.REFUND,
        order=order,
        description="replay",
        postings=[],
    )

    assert Refund.objects.filter(order=order).count() == 2


# --- the buyer's bank answers ---------------------------------------------------------------------


def test_the_bank_takes_a_refund_by_transfer_and_the_buyer_hears(
    order, django_capture_on_commit_callbacks
):
    refund = processing_tt_refund(order)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = deliver(
            "refund.succeeded", {"reference": refund.provider_reference}, event_id="evt_r1"
        )

    refund.refresh_from_db()
    assert outcome == WebhookOutcome.PROCESSED
    assert refund.status == "refunded" and refund.refunded_at is not None
    assert [m.to for m in mail.outbox] == [[order.buyer.email]]
    assert "refund has arrived" in mail.outbox[0].subject
    assert "1,800.00 to your Bank transfer (T/T) payment" in mail.outbox[0].body

    # A replay of the same event changes nothing.
    assert (
        deliver("refund.succeeded", {"reference": refund.provider_reference}, event_id="evt_r1")
        == WebhookOutcome.DUPLICATE
    )


def test_a_refused_refund_is_held_for_the_buyer_who_is_told(
    order, django_capture_on_commit_callbacks
):
    refund = processing_tt_refund(order)
    finance = MediatorFactory(is_superuser=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            "refund.failed",
            {"reference": refund.provider_reference, "reason": "Account closed"},
        )

    refund.refresh_from_db()
    assert (refund.status, refund.failure_reason) == ("failed", "Account closed")
    assert refund.failed_at is not None
    # The money came back: the buyer's funding shows it was not delivered, Pactline owes it.
    assert balance(Kind.BUYER_FUNDING, order.buyer) == -DEPOSIT
    assert balance(Kind.REFUND_OWED, order.buyer) == DEPOSIT
    failed = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND_FAILED)
    assert failed.idempotency_key == f"refund-failed:{refund.pk}"
    emails = {m.to[0]: m for m in mail.outbox}
    assert set(emails) == {order.buyer.email, finance.email}
    assert "could not be delivered" in emails[order.buyer.email].subject
    assert "Account closed" in emails[order.buyer.email].body
    # Staff hear at once, since the money waits for one of them.
    assert "not delivered: send it again" in emails[finance.email].subject
    assert order.buyer.email in emails[finance.email].body


def test_a_bank_that_sends_a_refund_back_later_leaves_it_owed_once(order):
    refund = processing_tt_refund(order)
    deliver("refund.succeeded", {"reference": refund.provider_reference})

    deliver("refund.failed", {"reference": refund.provider_reference, "reason": "Returned"})
    again = deliver("refund.failed", {"reference": refund.provider_reference})

    refund.refresh_from_db()
    assert refund.status == "failed"
    assert again == WebhookOutcome.IGNORED
    assert balance(Kind.REFUND_OWED, order.buyer) == DEPOSIT


def test_a_refund_said_done_after_it_failed_changes_nothing_and_is_logged(order, caplog):
    refund = processing_tt_refund(order)
    deliver("refund.failed", {"reference": refund.provider_reference})

    with caplog.at_level(logging.WARNING, logger="apps.escrow.services"):
        outcome = deliver("refund.succeeded", {"reference": refund.provider_reference})

    refund.refresh_from_db()
    assert (outcome, refund.status) == (WebhookOutcome.IGNORED, "failed")
    assert "reconcile" in caplog.text
    assert balance(Kind.REFUND_OWED, order.buyer) == DEPOSIT


def test_refund_events_for_no_refund_or_of_an_unknown_type_are_ignored(order):
    refund = processing_tt_refund(order)

    assert deliver("refund.succeeded", {"reference": "re_sbx_nobody"}) == WebhookOutcome.IGNORED
    assert (
        deliver("refund.updated", {"reference": refund.provider_reference})
        == WebhookOutcome.IGNORED
    )
    refund.refresh_from_db()
    assert refund.status == "processing"


# --- staff ----------------------------------------------------------------------------------------


def test_staff_send_an_undelivered_refund_again_once(order):
    refund = processing_tt_refund(order)
    deliver("refund.failed", {"reference": refund.provider_reference})
    staff = MediatorFactory()

    again = services.refund_retry(refund=refund, acting_user=staff)

    assert (again.retry_of_id, again.payment_id, again.amount, again.status) == (
        refund.pk,
        refund.payment_id,
        DEPOSIT,
        "processing",
    )
    assert again.provider_reference != refund.provider_reference
    assert balance(Kind.REFUND_OWED, order.buyer) == 0
    assert balance(Kind.BUYER_FUNDING, order.buyer) == 0
    with pytest.raises(OutOfTurn, match="sent again already"):
        services.refund_retry(refund=refund, acting_user=staff)
    # The new refund can be refused in turn, and sent again in turn.
    deliver("refund.failed", {"reference": again.provider_reference})
    third = services.refund_retry(refund=again, acting_user=staff)
    assert third.retry_of_id == again.pk


def test_only_staff_send_again_and_only_an_undelivered_refund(order):
    refund = processing_tt_refund(order)

    with pytest.raises(OutOfTurn, match="only an undelivered refund"):
        services.refund_retry(refund=refund, acting_user=MediatorFactory())
    deliver("refund.failed", {"reference": refund.provider_reference})
    for someone in (order.buyer, order.supplier):
        with pytest.raises(NotAParty):
            services.refund_retry(refund=refund, acting_user=someone)
    assert not Refund.objects.filter(retry_of=refund).exists()


def test_staff_record_the_banks_answer_when_no_webhook_came(order):
    refund = processing_tt_refund(order)
    staff = MediatorFactory()

    services.refund_advance(refund=refund, acting_user=staff, to="failed")

    refund.refresh_from_db()
    assert refund.status == "failed"
    assert balance(Kind.REFUND_OWED, order.buyer) == DEPOSIT
    with pytest.raises(OutOfTurn, match="already"):
        services.refund_advance(refund=refund, acting_user=staff, to="refunded")
    with pytest.raises(NotAParty):
        services.refund_advance(refund=refund, acting_user=order.supplier, to="refunded")


def test_the_admin_sends_again_and_reports_what_it_refused(order, admin_client):
    refund = processing_tt_refund(order)
    card = Refund.objects.get(order=order, method="card")
    deliver("refund.failed", {"reference": refund.provider_reference})
    changelist = reverse("admin:escrow_refund_changelist")

    response = admin_client.post(
        changelist,
        {"action": "send_again", "_selected_action": [refund.pk, card.pk]},
        follow=True,
    )

    text = response.content.decode()
    assert "1 refund was sent again." in text
    assert f"Refund {card.pk}: This refund is refunded: only an undelivered refund" in text
    assert Refund.objects.filter(retry_of=refund).count() == 1

    response = admin_client.post(
        changelist,
        {"action": "mark_refunded", "_selected_action": [refund.retry.pk]},
        follow=True,
    )
    assert "1 refund is now refunded." in response.content.decode()


# --- the buyer sees it ----------------------------------------------------------------------------


def test_either_party_lists_the_refunds_and_no_one_else(order, client):
    refund = processing_tt_refund(order)
    url = f"/api/v1/orders/{order.pk}/refunds/"

    assert client.get(url).status_code in (401, 403)
    for user in (order.buyer, order.supplier):
        client.force_login(user)
        rows = json_of(client.get(url))
        assert [(r["method"], r["amount"], r["status"]) for r in rows] == [
            ("card", BALANCE, "refunded"),
            ("tt", DEPOSIT, "processing"),
        ]
        assert rows[1]["reference"] == refund.provider_reference
        assert rows[1]["payment"] == refund.payment_id
    client.force_login(BuyerFactory())
    assert client.get(url).status_code == 404


def test_the_order_page_shows_the_refunds_and_the_sandbox_bank_answers(order, client):
    refund = processing_tt_refund(order)
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Money sent back to the buyer" in page
    assert refund.provider_reference in page
    assert "On its way" in page and "My bank refused it" in page

    simulate = reverse("order_refund_simulate", args=[order.pk, refund.pk])
    response = client.post(simulate, {"outcome": "failed"}, follow=True)
    assert "your bank refused the refund of US$\xa01,800.00" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == "failed"
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Not delivered" in page and "Pactline holds this money for you" in page

    # Answered once, the bank cannot answer again.
    response = client.post(simulate, {"outcome": "refunded"}, follow=True)
    assert "Only a sandbox refund that the bank has not answered" in response.content.decode()


def test_no_one_else_answers_for_the_buyers_bank(order, client):
    refund = processing_tt_refund(order)
    simulate = reverse("order_refund_simulate", args=[order.pk, refund.pk])

    client.force_login(BuyerFactory())
    assert client.post(simulate, {"outcome": "refunded"}).status_code == 404
    client.force_login(order.supplier)
    assert client.post(simulate, {"outcome": "refunded"}).status_code == 403
    client.force_login(order.buyer)
    assert client.get(simulate).status_code == 405
    refund.refresh_from_db()
    assert refund.status == "processing"


def test_the_buyer_hears_of_an_undelivered_refund_in_its_language(
    order, django_capture_on_commit_callbacks
):
    order.buyer.language = "nl"
    order.buyer.save()
    refund = processing_tt_refund(order)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deliver("refund.failed", {"reference": refund.provider_reference, "reason": "Gesloten"})

    assert "kon niet worden afgeleverd" in mail.outbox[0].subject
    assert "Gesloten" in mail.outbox[0].body


# --- the clock chases unanswered transfers back ---------------------------------------------------


def test_staff_are_asked_to_chase_a_transfer_back_the_bank_never_answered(
    order, settings, django_capture_on_commit_callbacks
):
    from apps.core.sweeps import sweep_run

    settings.PACTLINE_REFUND_CHASE_DAYS = 10
    refund = processing_tt_refund(order)
    card = Refund.objects.get(order=order, method="card")
    assert card.chase_at is None
    assert refund.chase_at == refund.created_at + dt.timedelta(days=10)
    finance = MediatorFactory(is_superuser=True)
    clerk = MediatorFactory()  # staff in a group that may change refunds
    group = Group.objects.create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="change_refund"))
    clerk.groups.add(group)
    MediatorFactory()  # a mediator who does not move refunds is not asked
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        early = sweep_run("escrow.refund_chase", now=refund.chase_at - dt.timedelta(seconds=1))
        due = sweep_run("escrow.refund_chase", now=refund.chase_at + dt.timedelta(seconds=1))
        again = sweep_run("escrow.refund_chase", now=refund.chase_at + dt.timedelta(seconds=2))

    assert (early.done, due.done, again.done) == (0, 1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([finance.email, clerk.email])
    assert "unanswered for 10 days: chase the provider" in mail.outbox[0].subject
    assert order.buyer.email in mail.outbox[0].body
    assert f"/admin/escrow/refund/{refund.pk}/change/" in mail.outbox[0].body
    refund.refresh_from_db()
    assert refund.chase_at > timezone.now() + dt.timedelta(days=19)  # asked again in 10 days

    # Answered, it is chased no more.
    deliver("refund.succeeded", {"reference": refund.provider_reference})
    later = sweep_run("escrow.refund_chase", now=refund.chase_at + dt.timedelta(days=1))
    assert later.due == 0


# --- another bank account for a refund that did not arrive ----------------------------------------

DUTCH = {"holder_name": "Noordzee Imports B.V.", "country": "NL", "iban": "NL91 ABNA 0417 1643 00"}


def refused_tt_refund(order):
    refund = processing_tt_refund(order)
    deliver("refund.failed", {"reference": refund.provider_reference, "reason": "Account closed"})
    refund.refresh_from_db()
    return refund


def give(refund, buyer, password=PASSWORD, **details):
    return services.refund_account_give(
        refund=refund, buyer=buyer, password=password, **(details or DUTCH)
    )


def test_the_buyer_gives_a_bank_account_and_the_refund_is_sent_again_there(
    order, django_capture_on_commit_callbacks
):
    refund = refused_tt_refund(order)
    finance = MediatorFactory(is_superuser=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        account = give(refund, order.buyer)

    assert (account.iban, account.bic, account.masked) == (
        "NL91ABNA0417164300",
        "ABNANL2A",
        "NL91 •••• 4300",
    )
    emails = {m.to[0]: m for m in mail.outbox}
    assert set(emails) == {order.buyer.email, finance.email}
    assert "NL91 •••• 4300" in emails[order.buyer.email].body
    assert "someone may be using your Pactline login" in emails[order.buyer.email].body
    assert "the buyer gave a bank account, send it again" in emails[finance.email].subject

    again = services.refund_retry(refund=refund, acting_user=finance)

    assert (again.method, again.account, again.status) == ("tt", account, "processing")
    assert again.destination == "NL91 •••• 4300 · Noordzee Imports B.V."
    assert again.payment_id == refund.payment_id and again.amount == DEPOSIT
    assert balance(Kind.REFUND_OWED, order.buyer) == 0


def test_giving_other_details_replaces_the_account_and_the_same_again_changes_nothing(order):
    refund = refused_tt_refund(order)
    first = give(refund, order.buyer)

    assert give(refund, order.buyer) == first
    second = give(
        refund,
        order.buyer,
        holder_name="Noordzee Imports B.V.",
        country="DE",
        iban="DE89370400440532013000",
    )

    first.refresh_from_db()
    assert first.replaced_at is not None and second.replaced_at is None
    again = services.refund_retry(refund=refund, acting_user=MediatorFactory())
    assert again.account == second


def test_bad_details_and_a_wrong_password_are_refused_on_their_fields(order):
    refund = refused_tt_refund(order)

    with pytest.raises(BankDetailsInvalid) as caught:
        give(refund, order.buyer, password="wrong", holder_name="X", country="NL", iban="NL00X")

    assert set(caught.value.errors) == {"iban", "password"}
    assert not RefundAccount.objects.exists()


def test_only_the_buyer_gives_an_account_and_only_for_a_refund_not_delivered(order):
    refund = processing_tt_refund(order)

    with pytest.raises(OutOfTurn, match="not delivered"):
        give(refund, order.buyer)
    deliver("refund.failed", {"reference": refund.provider_reference})
    with pytest.raises(NotAParty):
        give(refund, BuyerFactory())
    services.refund_retry(refund=refund, acting_user=MediatorFactory())
    with pytest.raises(OutOfTurn, match="not yet sent again"):
        give(refund, order.buyer)
    assert not RefundAccount.objects.exists()


def test_the_buyer_gives_the_account_on_a_page_of_its_own(order, client):
    refund = refused_tt_refund(order)
    detail = reverse("order_detail", args=[order.pk])
    page_url = reverse("order_refund_account", args=[order.pk, refund.pk])
    client.force_login(order.buyer)

    assert "Give a bank account for this refund" in client.get(detail).content.decode()
    assert client.get(page_url).status_code == 200

    wrong = client.post(page_url, {**DUTCH, "password": "wrong"})
    assert wrong.status_code == 200
    assert "This is not your password." in wrong.content.decode()
    assert 'value="NL91 ABNA 0417 1643 00"' in wrong.content.decode()  # the details stay

    response = client.post(page_url, {**DUTCH, "password": PASSWORD}, follow=True)
    text = response.content.decode()
    assert "our team sends the refund of US$\xa01,800.00 to NL91 •••• 4300" in text
    assert "Our team sends it to NL91 •••• 4300, the account you gave." in text


def test_no_one_else_gives_an_account_for_the_buyers_refund(order, client):
    refund = refused_tt_refund(order)
    page_url = reverse("order_refund_account", args=[order.pk, refund.pk])
    card = Refund.objects.get(order=order, method="card")

    client.force_login(BuyerFactory())
    assert client.get(page_url).status_code == 404
    client.force_login(order.supplier)
    assert client.get(page_url).status_code == 403
    client.force_login(order.buyer)
    delivered = client.get(reverse("order_refund_account", args=[order.pk, card.pk]), follow=True)
    assert "Only a refund that was not delivered" in delivered.content.decode()
    assert not RefundAccount.objects.exists()


def test_sent_again_without_new_details_a_refund_goes_where_the_refused_one_went(order):
    refund = refused_tt_refund(order)
    give(refund, order.buyer)
    staff = MediatorFactory()
    second = services.refund_retry(refund=refund, acting_user=staff)
    deliver("refund.failed", {"reference": second.provider_reference})

    third = services.refund_retry(refund=second, acting_user=staff)

    assert third.account == second.account and third.destination == second.destination


def test_the_buyer_gives_the_account_through_the_api(order):
    refund = refused_tt_refund(order)
    url = f"/api/v1/orders/{order.pk}/refunds/{refund.pk}/bank-account/"
    api = APIClient()
    right = {**DUTCH, "password": PASSWORD}

    assert api.post(url, right, format="json").status_code in (401, 403)
    for stranger in (BuyerFactory(), order.supplier):
        api.force_authenticate(stranger)
        assert api.post(url, right, format="json").status_code == 404
    api.force_authenticate(order.buyer)
    wrong = api.post(url, {**DUTCH, "password": "wrong"}, format="json")
    assert wrong.status_code == 400
    assert json_of(wrong) == {"password": ["This is not your password."]}

    given = api.post(url, right, format="json")

    assert given.status_code == 201
    assert (json_of(given)["account"], json_of(given)["refund"]) == ("NL91 •••• 4300", refund.pk)
    card = Refund.objects.get(order=order, method="card")
    card_url = f"/api/v1/orders/{order.pk}/refunds/{card.pk}/bank-account/"
    assert api.post(card_url, right, format="json").status_code == 409


def test_the_api_throttles_password_guesses_for_a_refund_account(order):
    refund = refused_tt_refund(order)
    url = f"/api/v1/orders/{order.pk}/refunds/{refund.pk}/bank-account/"
    api = APIClient()
    api.force_authenticate(order.buyer)
    guess = {**DUTCH, "password": "guess"}

    answers = [api.post(url, guess, format="json").status_code for _attempt in range(11)]

    assert answers[:10] == [400] * 10 and answers[10] == 429
    # Reads are not counted.
    assert api.get(f"/api/v1/orders/{order.pk}/refunds/").status_code == 200


def test_a_refused_refund_nobody_sent_again_is_put_to_staff_again(
    order, settings, django_capture_on_commit_callbacks
):
    from apps.core.sweeps import sweep_run

    settings.PACTLINE_REFUND_CHASE_DAYS = 10
    refund = refused_tt_refund(order)
    assert refund.chase_at == refund.failed_at + dt.timedelta(days=10)
    finance = MediatorFactory(is_superuser=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        due = sweep_run("escrow.refund_chase", now=refund.chase_at + dt.timedelta(seconds=1))

    assert due.done == 1
    assert [m.to for m in mail.outbox] == [[finance.email]]
    assert "held for 10 days: send it again" in mail.outbox[0].subject
    assert "nobody has sent it again" in mail.outbox[0].body

    # Sent again, it is off the list (the new refund on its way has a chase of its own).
    again = services.refund_retry(refund=refund, acting_user=finance)
    refund.refresh_from_db()
    later = refund.chase_at + dt.timedelta(days=1)
    assert list(services.refund_chase_due(later)) == [again]


def test_without_the_refund_permission_in_the_database_only_superusers_hear(
    order, django_capture_on_commit_callbacks
):
    """A missing permission row (a database set up without Django's permissions) must not turn
    "who may change refunds" into "every staff member without permissions"."""
    refund = processing_tt_refund(order)
    finance = MediatorFactory(is_superuser=True)
    MediatorFactory()
    Permission.objects.filter(codename="change_refund").delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        deliver("refund.failed", {"reference": refund.provider_reference})

    staff_told = [m.to[0] for m in mail.outbox if "send it again" in m.subject]
    assert staff_told == [finance.email]
