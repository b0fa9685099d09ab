"""Starting, drafting, confirming, editing and comparing the contract through the pages."""

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.orders import services
from apps.orders.models import ContractVersion, Order, OrderEvent
from apps.suppliers.models import SupplierProfile
from tests.catalog.factories import ProductFactory
from tests.factories import BuyerFactory, EligibleSupplierFactory, SupplierFactory
from tests.orders.test_pages import (
    PDF,
    confirmed_order,
    draft_order,
    funded_order,
    moved_to,
    pdf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def terms_data(**overrides):
    in_a_month = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    data = {
        "currency": "USD",
        "quality_standard": "AQL 2.5 level II",
        "ship_by_rule": "date",
        "ship_by_date": in_a_month,
        "ship_within_days": "",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Havenweg 1, Rotterdam, NL",
        "deposit_percent": "30",
        "remarks": "",
    }
    return {**data, **overrides}


def lines_data(*lines, initial=0):
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for n, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{n}-{key}"] = value
    return data


def free_line(**overrides):
    line = {
        "product": "",
        "product_title": "Custom gift box",
        "specification": "Printed, 20 × 20 cm",
        "quantity": "1000",
        "unit_price": "1.25",
    }
    return {**line, **overrides}


def empty_line():
    return {
        "product": "",
        "product_title": "",
        "specification": "",
        "quantity": "",
        "unit_price": "",
    }


# --- a buyer starts from a product ------------------------------------------------------------


@pytest.fixture
def product():
    return ProductFactory(
        title="Steel water bottle",
        supplier=EligibleSupplierFactory(),
        moq=100,
        price_tiers=[(100, 420), (500, 390)],
        specifications=[{"name": "Material", "value": "304 steel"}],
    )


def start_data(**overrides):
    data = terms_data(specification="304 steel, 750 ml", quantity="500")
    data.pop("currency")
    return {**data, **overrides}


def test_the_start_page_prefills_from_the_product(client, product):
    client.force_login(BuyerFactory())

    page = client.get(reverse("order_start", args=[product.pk])).content.decode()

    assert "Material: 304 steel" in page  # the specification and the quality standard
    assert 'value="100"' in page  # the MOQ
    assert "US$\xa0420.00" in page
    assert "What is protected" in page


def test_a_buyer_starts_an_order_priced_by_the_tier_of_the_quantity(client, product):
    buyer = BuyerFactory()
    client.force_login(buyer)

    response = client.post(reverse("order_start", args=[product.pk]), start_data())

    order = Order.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("order_detail", args=[order.pk])
    assert order.buyer == buyer and order.supplier == product.supplier
    line = order.current_version.lines.get()
    assert (line.product, line.quantity, line.unit_price) == (product, 500, 390)
    assert order.total_amount == 195_000


def test_the_quote_follows_the_quantity(client, product):
    client.force_login(BuyerFactory())

    response = client.get(
        reverse("order_start", args=[product.pk]), {"quantity": "500"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert 'id="order-quote"' in page and "<html" not in page
    assert "US$\xa01,950.00" in page


def test_a_quantity_below_the_minimum_order_is_refused(client, product):
    client.force_login(BuyerFactory())

    response = client.post(reverse("order_start", args=[product.pk]), start_data(quantity="99"))

    assert response.status_code == 200
    assert "The minimum order quantity is 100." in response.content.decode()
    assert 'id="id_quantity_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_a_deposit_over_100_percent_is_refused_on_the_start_page(client, product):
    client.force_login(BuyerFactory())

    response = client.post(
        reverse("order_start", args=[product.pk]), start_data(deposit_percent="120")
    )

    assert response.status_code == 200
    assert 'id="id_deposit_percent_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_a_supplier_without_trade_assurance_cannot_be_ordered_from(client):
    product = ProductFactory(supplier=SupplierFactory())
    client.force_login(BuyerFactory())

    response = client.get(reverse("order_start", args=[product.pk]), follow=True)

    assert "cannot take Trade Assurance orders" in response.content.decode()
    assert response.redirect_chain[-1][0] == product.get_absolute_url()


def test_a_supplier_that_lost_gold_after_the_page_opened_is_refused_with_a_message(client, product):
    client.force_login(BuyerFactory())
    page = reverse("order_start", args=[product.pk])
    SupplierProfile.objects.filter(user=product.supplier).update(gold_until=timezone.now())

    response = client.post(page, start_data(), follow=True)

    assert "cannot take Trade Assurance orders" in response.content.decode()
    assert not Order.objects.exists()


# --- a supplier drafts for a buyer ------------------------------------------------------------


def draft_data(buyer_email, *lines, **overrides):
    return {
        "buyer_email": buyer_email,
        **terms_data(**overrides),
        **lines_data(*(lines or (free_line(), empty_line()))),
    }


def test_a_supplier_drafts_an_order_for_a_buyer_with_an_account(client):
    supplier, buyer = EligibleSupplierFactory(), BuyerFactory()
    product = ProductFactory(supplier=supplier, moq=10, title="LED bulb")
    client.force_login(supplier)

    response = client.post(
        reverse("order_draft"),
        draft_data(
            buyer.email,
            free_line(product=str(product.pk), product_title="", quantity="20", unit_price="2"),
            free_line(),
            empty_line(),
        ),
        follow=True,
    )

    order = Order.objects.get()
    assert order.buyer == buyer and order.supplier == supplier
    assert [
        (line.product_title, line.unit_price) for line in order.current_version.lines.all()
    ] == [
        ("LED bulb", 200),
        ("Custom gift box", 125),
    ]
    assert "waiting in" in messages_of(response)[0]


def test_a_draft_for_an_email_without_an_account_invites_that_person(
    client, django_capture_on_commit_callbacks
):
    client.force_login(EligibleSupplierFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("order_draft"), draft_data("new.buyer@example.com"), follow=True
        )

    order = Order.objects.get()
    assert order.buyer is None and order.buyer_email == "new.buyer@example.com"
    assert "invitation to sign up" in messages_of(response)[0]
    assert mail.outbox[-1].to == ["new.buyer@example.com"]
    assert "invited, no account yet" in response.content.decode()


def test_the_draft_page_offers_the_suppliers_own_active_products_only(client):
    supplier = EligibleSupplierFactory()
    ProductFactory(supplier=supplier, title="Mine and active")
    ProductFactory(supplier=supplier, title="Mine but hidden", is_active=False)
    ProductFactory(title="Someone else's")
    client.force_login(supplier)

    page = client.get(reverse("order_draft")).content.decode()

    assert "Mine and active" in page
    assert "Mine but hidden" not in page and "Someone else" not in page


def test_a_draft_naming_another_suppliers_product_is_refused(client):
    client.force_login(EligibleSupplierFactory())
    other = ProductFactory(title="Someone else's")

    response = client.post(
        reverse("order_draft"), draft_data("b@example.com", free_line(product=str(other.pk)))
    )

    assert response.status_code == 200
    assert 'id="id_lines-0-product_error"' in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"deposit_percent": "120"}, "deposit_percent", "less than or equal to 100"),
        ({"quality_standard": ""}, "quality_standard", "This field is required"),
        ({"ship_by_date": ""}, "ship_by_date", "Choose the ship-by date."),
        ({"ship_by_rule": "days", "ship_within_days": "400"}, "ship_within_days", "365"),
        ({"incoterm": "XYZ"}, "incoterm", "Select a valid choice"),
        ({"buyer_email": "not an email"}, "buyer_email", "valid email"),
    ],
)
def test_a_draft_with_bad_terms_shows_the_errors_and_saves_nothing(
    client, overrides, field, message
):
    client.force_login(EligibleSupplierFactory())
    data = draft_data("b@example.com")
    data.update(overrides)

    response = client.post(reverse("order_draft"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert not Order.objects.exists()


def test_a_ship_by_date_in_the_past_is_refused_by_the_contract_rules(client):
    client.force_login(EligibleSupplierFactory())
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    response = client.post(reverse("order_draft"), draft_data("b@e.com", ship_by_date=yesterday))

    assert "The ship-by date has passed." in response.content.decode()
    assert 'id="id_ship_by_date_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_a_line_price_that_cannot_be_read_is_shown_on_that_line(client):
    client.force_login(EligibleSupplierFactory())

    response = client.post(
        reverse("order_draft"), draft_data("b@e.com", free_line(unit_price="1,250"))
    )

    assert 'id="id_lines-0-unit_price_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_a_draft_without_any_line_is_refused(client):
    client.force_login(EligibleSupplierFactory())

    response = client.post(reverse("order_draft"), draft_data("b@e.com", empty_line()))

    assert "A contract needs at least one product line." in response.content.decode()
    assert not Order.objects.exists()


def test_a_proforma_that_is_not_a_pdf_is_refused(client):
    client.force_login(EligibleSupplierFactory())
    data = draft_data("b@e.com")
    data["proforma_invoice"] = SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )

    response = client.post(reverse("order_draft"), data)

    assert 'id="id_proforma_invoice_error"' in response.content.decode()
    assert "judged by its content" in response.content.decode()
    assert not Order.objects.exists()


def test_a_proforma_over_the_size_limit_is_refused(client, settings):
    settings.PACTLINE_UPLOAD_MAX_BYTES = 100
    client.force_login(EligibleSupplierFactory())
    data = draft_data("b@e.com")
    data["proforma_invoice"] = SimpleUploadedFile("big.pdf", PDF + b"0" * 200)

    response = client.post(reverse("order_draft"), data)

    assert 'id="id_proforma_invoice_error"' in response.content.decode()
    assert not Order.objects.exists()


def test_a_draft_with_a_pdf_proforma_keeps_it_on_the_version(client):
    client.force_login(EligibleSupplierFactory())
    data = draft_data("b@e.com")
    data["proforma_invoice"] = pdf()

    client.post(reverse("order_draft"), data)

    assert Order.objects.get().current_version.proforma_invoice


def test_a_supplier_without_trade_assurance_is_told_on_the_draft_page(client):
    client.force_login(SupplierFactory())

    page = client.get(reverse("order_draft")).content.decode()
    response = client.post(reverse("order_draft"), draft_data("b@e.com"))

    assert "You cannot take Trade Assurance orders at the moment" in page
    assert "cannot take Trade Assurance orders" in response.content.decode()
    assert not Order.objects.exists()


def test_a_draft_for_another_supplier_is_refused_on_the_buyer_email(client):
    other = SupplierFactory()
    client.force_login(EligibleSupplierFactory())

    response = client.post(reverse("order_draft"), draft_data(other.email))

    assert 'id="id_buyer_email_error"' in response.content.decode()
    assert not Order.objects.exists()


# --- confirming ---------------------------------------------------------------------------------


def test_both_parties_confirm_and_the_order_is_confirmed(client):
    order = draft_order()
    for person in (order.buyer, order.supplier):
        client.force_login(person)
        response = client.post(
            reverse("order_confirm", args=[order.pk]), {"version_number": "1"}, follow=True
        )

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert "Both parties confirmed version 1" in messages_of(response)[0]


def test_confirming_an_older_version_is_refused_with_a_message(client):
    order = draft_order()
    services.contract_edit(order=order, acting_user=order.supplier, terms=_terms(deposit=50))
    client.force_login(order.buyer)

    response = client.post(
        reverse("order_confirm", args=[order.pk]), {"version_number": "1"}, follow=True
    )

    assert "The contract changed while you were looking at it" in messages_of(response)[0]
    assert not order.current_version.confirmations.exists()


def test_confirming_twice_is_refused_with_a_message(client):
    order = draft_order()
    client.force_login(order.buyer)
    url = reverse("order_confirm", args=[order.pk])
    client.post(url, {"version_number": "1"})

    response = client.post(url, {"version_number": "1"}, follow=True)

    assert "You have already confirmed version 1." in messages_of(response)
    assert order.current_version.confirmations.count() == 1


def test_confirming_a_confirmed_order_is_refused_with_a_message(client):
    order = confirmed_order()
    client.force_login(order.buyer)

    response = client.post(
        reverse("order_confirm", args=[order.pk]), {"version_number": "1"}, follow=True
    )

    assert "already confirmed by both parties" in messages_of(response)[0]


def test_the_order_page_shows_each_partys_confirmation(client):
    order = draft_order()
    services.contract_confirm(order=order, acting_user=order.supplier, version_number=1)
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "The supplier has confirmed it." in page
    assert page.count(">Confirmed<") == 1 and page.count("Not confirmed yet") == 1


# --- editing and comparing ----------------------------------------------------------------------


def _terms(deposit=30):
    from tests.orders.helpers import terms

    return terms(deposit_percent=deposit)


def edit_data(order, **overrides):
    line = free_line(
        product_title="Warm white LED bulb",
        specification="E27, 2700 K, 806 lm, CE/RoHS",
        quantity="600",
        unit_price="12.00",
    )
    return {**terms_data(**overrides), **lines_data(line, empty_line(), initial=1)}


def test_the_edit_page_is_prefilled_and_says_confirmations_will_be_cleared(client):
    order = draft_order()
    services.contract_confirm(order=order, acting_user=order.buyer, version_number=1)
    client.force_login(order.supplier)

    page = client.get(reverse("order_contract_edit", args=[order.pk])).content.decode()

    assert "Confirmations will be cleared" in page
    assert "Save as version 2" in page
    assert 'value="12.00"' in page and 'value="500"' in page
    assert "AQL 2.5 level II; colour temperature" in page


def test_an_edit_makes_a_new_version_and_clears_confirmations(client):
    order = draft_order()
    services.contract_confirm(order=order, acting_user=order.buyer, version_number=1)
    client.force_login(order.supplier)

    response = client.post(reverse("order_contract_edit", args=[order.pk]), edit_data(order))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.current_version.number == 2
    assert not order.current_version.confirmations.exists()
    assert order.current_version.lines.get().quantity == 600
    assert order.total_amount == 720_000


def test_an_unchanged_line_is_kept_when_editing_other_terms(client):
    order = draft_order()
    client.force_login(order.buyer)
    data = {
        **terms_data(deposit_percent="50"),
        **lines_data(
            free_line(
                product_title="Warm white LED bulb",
                specification="E27, 2700 K, 806 lm, CE/RoHS",
                quantity="500",
                unit_price="12.00",
            ),
            initial=1,
        ),
    }

    client.post(reverse("order_contract_edit", args=[order.pk]), data)

    version = Order.objects.get().current_version
    assert version.number == 2 and version.deposit_percent == 50
    assert version.lines.get().quantity == 500


def test_a_line_can_be_removed_when_editing(client):
    order = draft_order()
    client.force_login(order.supplier)
    keep = free_line()
    remove = free_line(product_title="Old item", DELETE="on")
    data = {**terms_data(), **lines_data(remove, keep, initial=2)}

    client.post(reverse("order_contract_edit", args=[order.pk]), data)

    titles = [line.product_title for line in Order.objects.get().current_version.lines.all()]
    assert titles == ["Custom gift box"]


def test_the_buyer_edits_without_a_proforma_field(client):
    order = draft_order()
    client.force_login(order.buyer)

    page = client.get(reverse("order_contract_edit", args=[order.pk])).content.decode()

    assert "proforma_invoice" not in page


def test_an_edit_with_bad_terms_saves_nothing(client):
    order = draft_order()
    client.force_login(order.supplier)

    response = client.post(
        reverse("order_contract_edit", args=[order.pk]), edit_data(order, deposit_percent="120")
    )

    assert response.status_code == 200
    assert 'id="id_deposit_percent_error"' in response.content.decode()
    assert order.versions.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_contract_cannot_be_edited_once_money_is_paid(client, method):
    order = funded_order()
    client.force_login(order.buyer)
    url = reverse("order_contract_edit", args=[order.pk])

    response = getattr(client, method)(url, edit_data(order) if method == "post" else None)

    assert response.status_code == 302
    assert response.url == reverse("order_detail", args=[order.pk])
    page = client.get(response.url).content.decode()
    assert "Money has been paid on this order, so its contract can no longer change." in page
    assert "Edit the contract" not in page
    assert order.versions.count() == 1


def test_a_cancelled_order_cannot_be_edited(client):
    order = draft_order()
    services.order_cancel(order=order, acting_user=order.buyer, reason="No longer needed")
    client.force_login(order.supplier)

    response = client.post(
        reverse("order_contract_edit", args=[order.pk]), edit_data(order), follow=True
    )

    assert "its contract can no longer change" in messages_of(response)[0]
    assert order.versions.count() == 1


def test_an_edit_after_both_confirmed_reopens_the_order(client):
    order = confirmed_order()
    client.force_login(order.supplier)

    client.post(reverse("order_contract_edit", args=[order.pk]), edit_data(order))

    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and order.current_version.number == 2


def test_the_compare_page_highlights_what_changed(client):
    order = draft_order()
    services.contract_edit(
        order=order,
        acting_user=order.supplier,
        terms=_terms(deposit=50),
    )
    client.force_login(order.buyer)

    response = client.get(
        reverse("order_versions_compare", args=[order.pk]), {"old": "1", "new": "2"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Version 1 and version 2" in page
    changed_rows = [row for row in page.split("<tr") if "table-warning" in row]
    assert len(changed_rows) == 1 and "Deposit" in changed_rows[0]
    assert ">changed</span>" in changed_rows[0]
    assert "30%" in changed_rows[0] and "50%" in changed_rows[0]


def test_the_compare_page_marks_changed_lines(client):
    order = draft_order()
    client.force_login(order.supplier)
    client.post(reverse("order_contract_edit", args=[order.pk]), edit_data(order))

    page = client.get(reverse("order_versions_compare", args=[order.pk])).content.decode()

    assert "Version 1 and version 2" in page  # the latest two by default
    line_rows = page.split('id="lines-heading"')[1]
    assert "table-warning" in line_rows and ">changed</span>" in line_rows
    assert "500 ×" in line_rows and "600 ×" in line_rows


def test_the_compare_page_refuses_a_version_that_does_not_exist(client):
    order = draft_order()
    client.force_login(order.buyer)

    response = client.get(
        reverse("order_versions_compare", args=[order.pk]), {"old": "1", "new": "9"}
    )

    assert response.status_code == 404


def test_the_order_page_lists_versions_with_a_link_to_compare(client):
    order = draft_order()
    services.contract_edit(order=order, acting_user=order.supplier, terms=_terms(deposit=50))
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Contract versions" in page
    assert f"{reverse('order_versions_compare', args=[order.pk])}?old=1&amp;new=2" in page
    assert "Purchase contract, version 2" in page


def test_a_change_request_is_sent_by_the_buyer_and_shown_to_the_supplier(client):
    order = draft_order()
    client.force_login(order.buyer)

    client.post(reverse("order_change_request", args=[order.pk]), {"body": "Make it 600 pieces."})
    client.force_login(order.supplier)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "Make it 600 pieces." in page and "Change request" in page
    assert "Your turn: the buyer asked for a change" in page
    assert order.events.filter(type=OrderEvent.Type.CHANGE_REQUESTED).exists()


def test_an_empty_change_request_shows_an_error_and_sends_nothing(client):
    order = draft_order()
    client.force_login(order.buyer)

    response = client.post(reverse("order_change_request", args=[order.pk]), {"body": " "})

    assert response.status_code == 200
    assert 'id="id_body_error"' in response.content.decode()
    assert not order.messages.exists()


def test_a_supplier_cannot_ask_itself_for_a_change(client):
    order = draft_order()
    client.force_login(order.supplier)

    response = client.post(
        reverse("order_change_request", args=[order.pk]), {"body": "Hm"}, follow=True
    )

    assert "The other party does this step." in messages_of(response)
    assert not order.messages.exists()


def test_a_change_request_after_money_is_paid_is_refused(client):
    order = funded_order()
    client.force_login(order.buyer)

    response = client.post(
        reverse("order_change_request", args=[order.pk]), {"body": "More"}, follow=True
    )

    assert "can no longer change" in messages_of(response)[0]
    assert not order.messages.exists()


def test_the_proforma_link_shows_on_the_contract(client):
    order = draft_order()
    services.contract_edit(order=order, acting_user=order.supplier, terms=_terms_with_pdf())
    client.force_login(order.buyer)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert reverse("order_proforma", args=[order.pk, 2]) in page


def _terms_with_pdf():
    from tests.orders.helpers import terms

    return terms(proforma_invoice=pdf())


def test_a_version_is_never_changed_by_a_later_edit(client):
    order = draft_order()
    client.force_login(order.supplier)
    client.post(reverse("order_contract_edit", args=[order.pk]), edit_data(order))

    first = ContractVersion.objects.get(order=order, number=1)
    assert first.lines.get().quantity == 500
    assert moved_to(order, Order.Status.DRAFT).current_version.number == 2
