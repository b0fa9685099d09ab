import datetime as dt
import threading

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from apps.orders import selectors, services
from apps.orders.exceptions import (
    ContractLocked,
    InvalidContract,
    NotAParty,
    OutOfTurn,
    StaleVersion,
    SupplierNotEligible,
    WrongParty,
)
from apps.orders.models import ContractConfirmation, Order, OrderEvent
from apps.orders.services import LineInput
from apps.suppliers.models import SupplierProfile
from tests.catalog.factories import ProductFactory
from tests.factories import BuyerFactory, EligibleSupplierFactory, SupplierFactory
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return EligibleSupplierFactory()  # Trade Assurance Amount US$50,000


@pytest.fixture
def buyer():
    return BuyerFactory()


def draft(supplier, buyer, **overrides):
    return services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms(**overrides)
    )


def confirm_both(order):
    version = order.current_version.number
    services.contract_confirm(order=order, acting_user=order.buyer, version_number=version)
    return services.contract_confirm(
        order=order, acting_user=order.supplier, version_number=version
    )


def set_status(order, status):
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def line(quantity, unit_price, title="Warm white LED bulb"):
    return LineInput(
        product_title=title, specification="E27", quantity=quantity, unit_price=unit_price
    )


# --- versions and confirmation --------------------------------------------------------------


def test_an_edit_makes_a_new_version_without_confirmations(supplier, buyer):
    order = draft(supplier, buyer)
    services.contract_confirm(order=order, acting_user=buyer, version_number=1)

    v2 = services.contract_edit(order=order, acting_user=supplier, terms=terms(deposit_percent=50))

    order.refresh_from_db()
    assert order.current_version == v2 and v2.number == 2
    assert not v2.confirmations.exists()
    assert order.versions.get(number=1).confirmations.get().party == "buyer"  # history kept
    event = order.events.get(type=OrderEvent.Type.CONTRACT_EDITED)
    assert event.parameters == {"version": 2, "changed": ["deposit_percent"]}


def test_confirming_an_old_version_is_refused(supplier, buyer):
    order = draft(supplier, buyer)
    services.contract_edit(order=order, acting_user=buyer, terms=terms(remarks="Pallets please"))

    with pytest.raises(StaleVersion):
        services.contract_confirm(order=order, acting_user=supplier, version_number=1)


def test_a_party_confirms_a_version_once(supplier, buyer):
    order = draft(supplier, buyer)
    services.contract_confirm(order=order, acting_user=buyer, version_number=1)

    with pytest.raises(OutOfTurn, match="already confirmed version 1"):
        services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    assert ContractConfirmation.objects.count() == 1


def test_both_confirmations_confirm_the_order_and_fix_ship_by_in_the_suppliers_zone(
    supplier, buyer
):
    supplier.timezone = "Asia/Shanghai"
    supplier.save()
    order = draft(supplier, buyer, ship_by_date=dt.date(2027, 3, 1))

    order = confirm_both(order)

    assert order.status == Order.Status.CONFIRMED
    assert order.confirmed_at is not None
    # By the end of 1 March in Shanghai = 15:59:59 UTC.
    assert order.ship_by == dt.datetime(2027, 3, 1, 15, 59, 59, tzinfo=dt.UTC)
    assert list(order.events.values_list("type", flat=True)) == [
        "created",
        "party_confirmed",
        "party_confirmed",
        "confirmed",
    ]


def test_ship_within_days_leaves_the_deadline_to_the_deposit(supplier, buyer):
    order = confirm_both(draft(supplier, buyer, ship_by_date=None, ship_within_days=30))

    assert order.ship_by is None
    assert order.current_version.ship_within_days == 30


def test_an_edit_after_both_confirmed_reopens_the_contract(supplier, buyer):
    order = confirm_both(draft(supplier, buyer))

    services.contract_edit(order=order, acting_user=buyer, terms=terms(lines=[line(400, 1200)]))

    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert (order.covered_amount, order.confirmed_at, order.total_amount) == (0, None, 480_000)


def test_versions_compare_marks_what_changed(supplier, buyer):
    order = draft(supplier, buyer)
    services.contract_edit(
        order=order,
        acting_user=supplier,
        terms=terms(lines=[line(500, 1150), line(50, 300, "Spare driver")], incoterm="CIF"),
    )
    order = selectors.order_get_for(user=buyer, pk=order.pk)

    comparison = selectors.versions_compare(order=order, old_number=1, new_number=2)

    assert comparison.changed_fields == ["incoterm", "lines"]
    assert [changed for _old, _new, changed in comparison.lines] == [True, True]
    assert comparison.lines[1][0] is None  # a line added in version 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": []}, "lines"),
        ({"deposit_percent": 120}, "deposit_percent"),
        ({"quality_standard": "  "}, "quality_standard"),
        ({"ship_by_date": None}, "ship_by_date"),
        ({"ship_within_days": 10}, "ship_by_date"),  # both given
        ({"incoterm": "XYZ"}, "incoterm"),
        ({"ship_by_date": dt.date(9999, 12, 31)}, "ship_by_date"),
        ({"lines": [line(0, 100)]}, "lines"),
        ({"proforma_invoice": SimpleUploadedFile("pi.pdf", b"not a pdf")}, "proforma_invoice"),
    ],
)
def test_a_contract_with_a_broken_rule_is_refused_by_field(supplier, buyer, overrides, field):
    with pytest.raises(InvalidContract) as error:
        draft(supplier, buyer, **overrides)

    assert field in error.value.errors
    assert not Order.objects.exists()


# --- nothing changes once money is paid -------------------------------------------------------


@pytest.mark.parametrize("status", ["deposit_paid", "funded", "shipped", "completed"])
def test_the_contract_is_frozen_once_money_is_paid(supplier, buyer, status):
    order = set_status(confirm_both(draft(supplier, buyer)), status)

    with pytest.raises(ContractLocked):
        services.contract_edit(order=order, acting_user=supplier, terms=terms(deposit_percent=10))
    with pytest.raises(ContractLocked):
        services.order_change_request(order=order, acting_user=buyer, text="cheaper please")
    with pytest.raises(OutOfTurn, match="only refunded"):
        services.order_cancel(order=order, acting_user=buyer, reason="changed my mind")
    assert order.versions.count() == 1


def test_cancel_before_money_needs_a_reason_and_tells_the_other_party(supplier, buyer):
    order = draft(supplier, buyer)
    with pytest.raises(InvalidContract):
        services.order_cancel(order=order, acting_user=buyer, reason=" ")

    services.order_cancel(order=order, acting_user=buyer, reason="Found stock locally")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert supplier.notifications.filter(kind="order_cancelled").exists()


# --- out of turn and wrong party ---------------------------------------------------------------


def test_steps_out_of_turn_are_refused_with_a_clear_message(supplier, buyer):
    order = confirm_both(draft(supplier, buyer))

    with pytest.raises(OutOfTurn, match="pays the balance before shipment"):
        services.order_ship(
            order=order, acting_user=supplier, carrier="Maersk", tracking_number="X"
        )
    with pytest.raises(OutOfTurn, match="This order is confirmed"):
        services.order_confirm_receipt(order=order, acting_user=buyer)
    with pytest.raises(OutOfTurn):
        services.order_start_production(order=order, acting_user=supplier)
    with pytest.raises(OutOfTurn):
        services.order_record_delivery(order=order, acting_user=buyer)
    with pytest.raises(OutOfTurn, match="already confirmed by both"):
        services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_each_step_belongs_to_one_party_and_strangers_to_none(supplier, buyer):
    order = set_status(confirm_both(draft(supplier, buyer)), "funded")

    with pytest.raises(WrongParty):
        services.order_ship(order=order, acting_user=buyer, carrier="X", tracking_number="Y")
    with pytest.raises(WrongParty):
        services.order_start_production(order=order, acting_user=buyer)
    with pytest.raises(NotAParty):
        services.order_start_production(order=order, acting_user=EligibleSupplierFactory())
    with pytest.raises(NotAParty):
        services.order_message_send(order=order, acting_user=BuyerFactory(), body="hi")


def test_production_shipment_delivery_and_receipt(supplier, buyer, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    order = set_status(confirm_both(draft(supplier, buyer)), "funded")

    services.order_start_production(order=order, acting_user=supplier)
    with pytest.raises(OutOfTurn):
        services.order_start_production(order=order, acting_user=supplier)
    bill = SimpleUploadedFile("bl.pdf", b"%PDF-1.4 bill of lading", "application/pdf")
    services.order_ship(
        order=order,
        acting_user=supplier,
        carrier="Maersk",
        tracking_number="MSKU1234567",
        documents=[{"file": bill, "description": "Bill of lading"}],
    )
    services.order_record_delivery(order=order, acting_user=buyer)
    services.order_confirm_receipt(order=order, acting_user=buyer)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert (order.carrier, order.tracking_number) == ("Maersk", "MSKU1234567")
    assert order.shipping_documents.get().description == "Bill of lading"
    assert order.completed_at and order.delivered_at and order.production_started_at
    assert order.events.get(type="shipped").parameters["on_time"] is True
    assert buyer.notifications.filter(kind="order_shipped").exists()
    assert supplier.notifications.filter(kind="order_completed").exists()


# --- coverage -------------------------------------------------------------------------------


def test_coverage_is_the_amount_less_what_open_orders_use(buyer):
    supplier = EligibleSupplierFactory()
    SupplierProfile.objects.filter(user=supplier).update(ta_amount=1_000_000)  # US$10,000
    first = confirm_both(draft(supplier, buyer, lines=[line(500, 1200)]))  # US$6,000
    second = confirm_both(draft(supplier, buyer, lines=[line(250, 1200)]))  # US$3,000
    third = draft(supplier, buyer, lines=[line(400, 1250)])  # US$5,000

    preview = selectors.coverage_for(order=third)
    assert (preview.covered_amount, preview.exceeds, preview.fixed) == (100_000, True, False)

    third = confirm_both(third)
    assert [o.covered_amount for o in (first, second, third)] == [600_000, 300_000, 100_000]
    view = selectors.coverage_for(order=third)
    assert (view.fixed, view.exceeds, view.uncovered_amount) == (True, True, 400_000)

    # A finished order frees its part again.
    set_status(first, "completed")
    assert selectors.coverage_available_usd(supplier=supplier) == 600_000


def test_coverage_in_another_currency_uses_the_indicative_rate(buyer):
    supplier = EligibleSupplierFactory()
    SupplierProfile.objects.filter(user=supplier).update(ta_amount=540_000)  # US$5,400

    order = confirm_both(
        draft(supplier, buyer, currency="EUR", lines=[line(1000, 1000)])
    )  # €10,000

    assert order.covered_amount == 500_000  # US$5,400 / 1.08 = €5,000
    assert order.covered_usd == 540_000


def test_a_supplier_no_longer_eligible_cannot_get_an_order_confirmed(supplier, buyer):
    order = draft(supplier, buyer)
    services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    SupplierProfile.objects.filter(user=supplier).update(gold_until=timezone.now())

    with pytest.raises(SupplierNotEligible):
        services.contract_confirm(order=order, acting_user=supplier, version_number=1)

    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert order.current_version.confirmations.count() == 1  # the supplier's was rolled back


@pytest.mark.django_db(transaction=True)
def test_two_orders_confirmed_at_once_cannot_share_the_same_coverage():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this test is about")
    supplier, buyer = EligibleSupplierFactory(), BuyerFactory()
    SupplierProfile.objects.filter(user=supplier).update(ta_amount=1_000_000)  # US$10,000
    orders = [draft(supplier, buyer, lines=[line(800, 1000)]) for _ in range(2)]  # US$8,000 each
    for order in orders:
        services.contract_confirm(order=order, acting_user=buyer, version_number=1)
    barrier = threading.Barrier(2)
    errors = []

    def confirm(order):
        try:
            barrier.wait()
            services.contract_confirm(order=order, acting_user=supplier, version_number=1)
        except Exception as exc:  # recorded and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    covered = sorted(Order.objects.values_list("covered_usd", flat=True))
    assert covered == [200_000, 800_000]  # never 8,000 + 8,000 against a 10,000 amount


# --- starting orders and invitations -----------------------------------------------------------


def test_a_buyer_starts_an_order_from_a_product_at_or_above_its_moq(supplier, buyer):
    product = ProductFactory(supplier=supplier, moq=100, price_tiers=[(100, 250)])

    def start(quantity):
        return services.order_start(
            buyer=buyer,
            terms=terms(
                lines=[LineInput(product.title, "as listed", quantity, 250, product=product)]
            ),
        )

    with pytest.raises(InvalidContract, match="Correct the contract") as error:
        start(99)
    assert "minimum order quantity is 100" in " ".join(error.value.errors["lines"])

    order = start(100)
    assert (order.supplier, order.buyer, order.total_amount) == (supplier, buyer, 25_000)
    assert supplier.notifications.filter(kind="order_created_by_buyer").exists()


def test_orders_only_with_trade_assurance_suppliers(buyer):
    product = ProductFactory(supplier=SupplierFactory(), moq=1)

    with pytest.raises(SupplierNotEligible):
        services.order_start(
            buyer=buyer,
            terms=terms(lines=[LineInput(product.title, "x", 5, 100, product=product)]),
        )
    with pytest.raises(SupplierNotEligible):
        services.order_draft_for_buyer(
            supplier=SupplierFactory(), buyer_email=buyer.email, terms=terms()
        )


def test_a_draft_for_an_unknown_email_waits_for_its_verified_owner(
    supplier, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = services.order_draft_for_buyer(
            supplier=supplier, buyer_email="New.Buyer@Example.com", terms=terms()
        )
    assert order.buyer is None and order.buyer_email == "new.buyer@example.com"
    assert mailoutbox[-1].to == ["new.buyer@example.com"]
    assert "?as=buyer" in mailoutbox[-1].body

    newcomer = BuyerFactory(email="new.buyer@example.com", verified=False)
    address = EmailAddress.objects.get(user=newcomer)
    order.refresh_from_db()
    assert order.buyer is None  # not before the address is proven
    address.verified = False
    address.save()
    from allauth.account.signals import email_confirmed

    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)

    order.refresh_from_db()
    assert order.buyer == newcomer
    assert order in selectors.orders_for(user=newcomer)


def test_a_draft_cannot_go_to_a_supplier_account(supplier):
    other = EligibleSupplierFactory()

    with pytest.raises(InvalidContract) as error:
        services.order_draft_for_buyer(supplier=supplier, buyer_email=other.email, terms=terms())

    assert "buyer_email" in error.value.errors


def test_orders_are_scoped_to_their_parties(supplier, buyer):
    order = draft(supplier, buyer)

    assert list(selectors.orders_for(user=buyer)) == [order]
    assert list(selectors.orders_for(user=supplier)) == [order]
    assert not selectors.orders_for(user=BuyerFactory()).exists()
    assert not selectors.orders_for(user=EligibleSupplierFactory()).exists()


# --- messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Please pay to IBAN NL91 ABNA 0417 1643 00 to save fees", True),
        ("Our SWIFT code is ABNANL2A", True),
        ("Send the money by Western Union", True),
        ("You can pay us directly, outside the platform", True),
        ("Bank details attached for the T/T", True),
        ("The cartons will be 60 x 40 x 30 cm", False),
        ("Payment through Pactline is fine, thanks", False),
    ],
)
def test_supplier_messages_that_ask_for_off_platform_payment_are_flagged(
    supplier, buyer, text, flagged
):
    order = draft(supplier, buyer)

    message = services.order_message_send(order=order, acting_user=supplier, body=text)

    assert message.payment_warning is flagged
    assert buyer.notifications.filter(kind="order_message").exists()


def test_a_buyer_writing_bank_words_is_not_warned_about_itself(supplier, buyer):
    order = draft(supplier, buyer)

    message = services.order_message_send(
        order=order, acting_user=buyer, body="Which bank account?"
    )

    assert not message.payment_warning


def test_message_attachments_are_checked_by_content(supplier, buyer, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    order = draft(supplier, buyer)
    fake = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", "image/jpeg")

    with pytest.raises(InvalidContract) as error:
        services.order_message_send(
            order=order, acting_user=buyer, body="see photo", attachment=fake
        )

    assert "attachment" in error.value.errors
    assert not order.messages.exists()
