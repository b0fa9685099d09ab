"""Order pages: who may see and act on which order, the list, the portal homes and the nav.

Helpers here make real orders through the services (drafted, confirmed, then moved along with
a status update where the escrow step that would do it is not ours to call)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.orders import services
from apps.orders.models import Order, ShippingDocument
from tests.catalog.factories import ProductFactory
from tests.factories import (
    BuyerFactory,
    EligibleSupplierFactory,
    MediatorFactory,
    SupplierFactory,
)
from tests.orders.helpers import terms

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="proforma.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


# --- orders made the real way ----------------------------------------------------------------


def draft_order(supplier=None, buyer=None, **overrides):
    supplier = supplier or EligibleSupplierFactory()
    buyer = buyer or BuyerFactory()
    return services.order_draft_for_buyer(
        supplier=supplier, buyer_email=buyer.email, terms=terms(**overrides)
    )


def confirmed_order(**kwargs):
    order = draft_order(**kwargs)
    for party in (order.buyer, order.supplier):
        services.contract_confirm(order=order, acting_user=party, version_number=1)
    order.refresh_from_db()
    return order


def moved_to(order, status, **fields):
    """Where the escrow services would have moved the order (payments are not ours here)."""
    Order.objects.filter(pk=order.pk).update(status=status, **fields)
    order.refresh_from_db()
    return order


def funded_order(**kwargs):
    now = timezone.now()
    return moved_to(
        confirmed_order(**kwargs), Order.Status.FUNDED, deposit_paid_at=now, funded_at=now
    )


def shipped_order(**kwargs):
    order = funded_order(**kwargs)
    services.order_ship(
        order=order,
        acting_user=order.supplier,
        carrier="Maersk",
        tracking_number="MAEU1234567",
        documents=[{"file": pdf("bill-of-lading.pdf"), "description": "Bill of lading"}],
    )
    order.refresh_from_db()
    return order


def with_files(order):
    """An order with one of each private file: a proforma, an attachment, a shipping document."""
    services.contract_edit(
        order=order, acting_user=order.supplier, terms=terms(proforma_invoice=pdf())
    )
    message = services.order_message_send(
        order=order, acting_user=order.buyer, body="Our logo", attachment=pdf("logo.pdf")
    )
    document = ShippingDocument.objects.create(order=order, file=pdf("packing-list.pdf"))
    return order, message, document


# --- every order URL is the two parties' only -------------------------------------------------

ORDER_PAGES = ["order_detail", "order_contract_edit", "order_versions_compare"]
ORDER_ACTIONS = [
    "order_confirm",
    "order_change_request",
    "order_cancel",
    "order_start_production",
    "order_ship",
    "order_record_delivery",
    "order_confirm_receipt",
    "order_message_send",
]
ACTION_DATA = {
    "order_confirm": {"version_number": "1"},
    "order_change_request": {"body": "Please make it 600 pieces."},
    "order_cancel": {"reason": "Not needed any more."},
    "order_ship": {
        "carrier": "DHL",
        "tracking_number": "123",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    },
    "order_message_send": {"body": "Hello"},
}


def file_urls(order, message, document):
    return {
        "order_proforma": reverse("order_proforma", args=[order.pk, 2]),
        "order_message_attachment": reverse(
            "order_message_attachment", args=[order.pk, message.pk]
        ),
        "order_shipping_document": reverse("order_shipping_document", args=[order.pk, document.pk]),
    }


OUTSIDERS = {
    "another buyer": BuyerFactory,
    "another supplier": EligibleSupplierFactory,
}


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("name", ORDER_PAGES)
def test_another_party_gets_404_on_an_order_page(client, name, outsider):
    order = draft_order()
    client.force_login(OUTSIDERS[outsider]())

    assert client.get(reverse(name, args=[order.pk])).status_code == 404


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("name", ORDER_ACTIONS)
def test_another_party_gets_404_on_an_order_action_and_nothing_changes(client, name, outsider):
    order = draft_order()
    client.force_login(OUTSIDERS[outsider]())

    response = client.post(reverse(name, args=[order.pk]), ACTION_DATA.get(name, {}))

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert order.events.count() == 1 and not order.messages.exists()


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(
    "name", ["order_proforma", "order_message_attachment", "order_shipping_document"]
)
def test_another_party_gets_404_on_an_order_file(client, name, outsider):
    urls = file_urls(*with_files(draft_order()))
    client.force_login(OUTSIDERS[outsider]())

    assert client.get(urls[name]).status_code == 404


@pytest.mark.parametrize(
    "name", ["order_proforma", "order_message_attachment", "order_shipping_document"]
)
def test_both_parties_and_staff_download_an_order_file(client, name):
    order, message, document = with_files(draft_order())
    url = file_urls(order, message, document)[name]

    for person in (order.buyer, order.supplier, MediatorFactory()):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_file_of_one_order_is_not_reachable_through_another_order(client):
    order, message, document = with_files(draft_order())
    mine = draft_order(buyer=BuyerFactory())
    client.force_login(mine.buyer)

    response = client.get(reverse("order_message_attachment", args=[mine.pk, message.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ORDER_PAGES)
def test_an_order_page_sends_anonymous_visitors_to_log_in(client, name):
    order = draft_order()

    response = client.get(reverse(name, args=[order.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ORDER_ACTIONS)
def test_an_order_action_sends_anonymous_visitors_to_log_in(client, name):
    order = draft_order()

    response = client.post(reverse(name, args=[order.pk]), ACTION_DATA.get(name, {}))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


@pytest.mark.parametrize("name", ["order_list", "order_draft"])
def test_portal_order_pages_send_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_starting_an_order_sends_anonymous_visitors_to_log_in(client):
    product = ProductFactory(supplier=EligibleSupplierFactory())

    response = client.get(reverse("order_start", args=[product.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_draft_page_is_for_suppliers_only(client):
    client.force_login(BuyerFactory())

    assert client.get(reverse("order_draft")).status_code == 403
    assert client.post(reverse("order_draft"), {"buyer_email": "x@example.com"}).status_code == 403
    assert not Order.objects.exists()


def test_starting_from_a_product_is_for_buyers_only(client):
    product = ProductFactory(supplier=EligibleSupplierFactory())
    client.force_login(SupplierFactory())

    assert client.get(reverse("order_start", args=[product.pk])).status_code == 403
    assert client.post(reverse("order_start", args=[product.pk]), {}).status_code == 403
    assert not Order.objects.exists()


@pytest.mark.parametrize("party", ["buyer", "supplier"])
def test_both_parties_see_the_order_page(client, party):
    order = draft_order()
    client.force_login(getattr(order, party))

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Order {order.reference}" in page
    assert "Warm white LED bulb" in page
    assert "Confirm contract version 1" in page


def test_the_order_page_of_an_order_without_a_contract_still_shows(client):
    from tests.factories import OrderFactory

    order = OrderFactory()  # history without versions, as the demo data has
    client.force_login(order.buyer)

    response = client.get(reverse("order_detail", args=[order.pk]))

    assert response.status_code == 200
    assert "Completed" in response.content.decode()


# --- the list, the homes and the navigation ---------------------------------------------------


def test_the_order_list_shows_only_the_users_orders_with_the_next_step(client):
    mine = draft_order()
    other = draft_order()
    client.force_login(mine.buyer)

    page = client.get(reverse("order_list")).content.decode()

    assert mine.reference in page
    assert other.reference not in page
    assert "Your turn" in page
    assert "US$\xa06,000.00" in page


def test_the_order_list_filters_by_status(client):
    supplier = EligibleSupplierFactory()
    draft = draft_order(supplier=supplier)
    confirmed = confirmed_order(supplier=supplier)
    client.force_login(supplier)

    page = client.get(reverse("order_list"), {"status": "confirmed"}).content.decode()

    assert confirmed.reference in page
    assert draft.reference not in page


def test_the_order_list_says_when_a_filter_finds_nothing(client):
    order = draft_order()
    client.force_login(order.supplier)

    page = client.get(reverse("order_list"), {"status": "shipped"}).content.decode()

    assert "No orders with this status" in page


def test_the_order_list_shows_whose_turn_it_is_after_a_change_request(client):
    order = draft_order()
    services.order_change_request(order=order, acting_user=order.buyer, text="600 pieces")
    client.force_login(order.supplier)

    page = client.get(reverse("order_list")).content.decode()

    assert "the buyer asked for a change" in page


def test_the_buyer_home_lists_recent_orders_with_the_next_step(client):
    order = confirmed_order()
    client.force_login(order.buyer)

    page = client.get(reverse("buyer_home")).content.decode()

    assert order.reference in page
    assert "Your turn: pay into escrow" in page
    assert "You have no Trade Assurance orders yet" not in page


def test_the_supplier_home_lists_recent_orders_and_offers_a_draft(client):
    order = confirmed_order()
    client.force_login(order.supplier)

    page = client.get(reverse("supplier_home")).content.decode()

    assert order.reference in page
    assert "Waiting for the buyer&#x27;s payment" in page
    assert "Draft Trade Assurance Order" in page
    assert reverse("order_draft") in page


def test_the_supplier_home_without_orders_keeps_its_empty_state_and_the_draft_button(client):
    client.force_login(SupplierFactory())

    page = client.get(reverse("supplier_home")).content.decode()

    assert "You have no orders or products yet" in page
    assert "Draft Trade Assurance Order" in page


@pytest.mark.parametrize("factory", [BuyerFactory, SupplierFactory])
def test_the_navigation_has_orders(client, factory):
    client.force_login(factory())

    page = client.get(reverse("portal_home"), follow=True).content.decode()

    assert f'href="{reverse("order_list")}">Orders</a>' in page


def test_the_product_page_offers_a_trade_assurance_order_to_buyers(client):
    product = ProductFactory(supplier=EligibleSupplierFactory())
    client.force_login(BuyerFactory())

    page = client.get(product.get_absolute_url()).content.decode()

    assert "Start Trade Assurance order" in page
    assert reverse("order_start", args=[product.pk]) in page


def test_the_product_page_of_a_supplier_without_trade_assurance_offers_no_order(client):
    product = ProductFactory(supplier=SupplierFactory())
    client.force_login(BuyerFactory())

    page = client.get(product.get_absolute_url()).content.decode()

    assert "Start Trade Assurance order" not in page


def test_the_order_page_queries_do_not_grow_with_the_orders_history(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = draft_order()
    client.force_login(order.buyer)
    url = reverse("order_detail", args=[order.pk])
    with CaptureQueriesContext(connection) as fresh:
        client.get(url)
    for n in range(3):
        services.order_message_send(order=order, acting_user=order.supplier, body=f"Note {n}")
        services.contract_edit(
            order=order, acting_user=order.supplier, terms=terms(deposit_percent=10 + n)
        )

    with CaptureQueriesContext(connection) as grown:
        client.get(url)

    assert len(grown) == len(fresh)
