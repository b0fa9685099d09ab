"""Statements for a period and a currency, on the page, as a CSV download and in the API: the
period's days are the viewer's, a wrong period is an error on the form (or a 400 with the
message on the parameter), and the file holds the viewer's own lines only, in the viewer's
time zone and language, with nothing a spreadsheet would run as a formula."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.escrow import services
from apps.escrow.models import LedgerAccount, LedgerEntry
from apps.orders import services as order_services
from tests.escrow.helpers import confirmed_order
from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

# 23:30 UTC on 1 March is 00:30 on 2 March in Amsterdam (UTC+1 in winter).
LATE_ON_THE_FIRST = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
ON_THE_FIFTH = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)


def paid_in_full(at, **terms):
    order = confirmed_order(**terms)
    services.payment_start(
        order=order, acting_user=order.buyer, purpose="full", method="card", now=at
    )
    order.refresh_from_db()
    return order


def two_payments_by_one_buyer():
    """The same buyer pays a US$6,000.00 order late on 1 March (UTC) and a €6,000.00 order on
    5 March; the buyer reads the time in Amsterdam."""
    first = paid_in_full(LATE_ON_THE_FIRST)
    buyer = first.buyer
    buyer.timezone = "Europe/Amsterdam"
    buyer.save()
    second = confirmed_order(currency="EUR")
    second.buyer = buyer
    second.buyer_email = buyer.email
    second.save()
    services.payment_start(
        order=second, acting_user=buyer, purpose="full", method="card", now=ON_THE_FIFTH
    )
    return buyer, first, second


def page_for(client, user, **query):
    client.force_login(user)
    return client.get(reverse("statements"), query)


def csv_for(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("statements_csv"), query)
    assert response.status_code == 200, response
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return response, body[1:]


def rows_of(body, delimiter=","):
    return list(csv.reader(io.StringIO(body), delimiter=delimiter))


# --- the page ------------------------------------------------------------------------------------


def test_a_period_is_days_in_the_viewers_time_zone(client):
    buyer, first, second = two_payments_by_one_buyer()

    second_of_march = page_for(client, buyer, date_from="2026-03-02", date_to="2026-03-02")
    first_of_march = page_for(client, buyer, date_from="2026-03-01", date_to="2026-03-01")
    from_the_third = page_for(client, buyer, date_from="2026-03-03")

    lines = list(second_of_march.context["page"].object_list)
    assert [line.entry.order_id for line in lines] == [first.pk]
    assert first.reference in second_of_march.content.decode()
    assert second.reference not in second_of_march.content.decode()
    assert "No lines in this period" in first_of_march.content.decode()
    assert [line.entry.order_id for line in from_the_third.context["page"].object_list] == [
        second.pk
    ]


def test_a_currency_shows_only_its_lines(client):
    buyer, first, second = two_payments_by_one_buyer()

    euros = page_for(client, buyer, currency="EUR")
    everything = page_for(client, buyer)

    assert [line.currency for line in euros.context["page"].object_list] == ["EUR"]
    assert len(everything.context["page"].object_list) == 2


def test_a_period_ending_before_it_starts_is_an_error_on_the_form(client):
    buyer, _first, _second = two_payments_by_one_buyer()

    backwards = page_for(client, buyer, date_from="2026-03-05", date_to="2026-03-01")
    not_a_date = page_for(client, buyer, date_from="2026-02-30")

    assert backwards.status_code == 200
    assert backwards.context["form"].errors == {
        "date_to": ["The period ends before it starts: choose a later end date."]
    }
    assert list(backwards.context["page"].object_list) == []
    assert "Correct the period above" in backwards.content.decode()
    assert not_a_date.status_code == 200
    assert not_a_date.context["form"].errors == {"date_from": ["Enter a valid date."]}


def test_the_pages_of_a_period_keep_the_period(client):
    order = paid_in_full(LATE_ON_THE_FIRST)
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MAEU1234567"
    )
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    for _ in range(30):
        services.payout_request(supplier=order.supplier, amount=100, currency="USD")

    page = page_for(client, order.supplier, date_from="2026-01-01", currency="USD")

    assert page.context["page"].paginator.count == 61  # release + 30 × (payable, payouts)
    html = page.content.decode()
    assert "?date_from=2026-01-01&amp;currency=USD&amp;page=2" in html
    assert 'href="/statements/csv/?date_from=2026-01-01&amp;currency=USD" download' in html


def test_the_download_link_leaves_out_the_page_number(client):
    order = paid_in_full(LATE_ON_THE_FIRST)

    page = page_for(client, order.buyer, currency="USD", page="1").content.decode()

    assert 'href="/statements/csv/?currency=USD" download' in page


# --- the CSV download ----------------------------------------------------------------------------


def test_the_csv_holds_the_viewers_own_lines_in_its_time_zone(client):
    buyer, first, second = two_payments_by_one_buyer()
    someone_else = paid_in_full(ON_THE_FIFTH)

    response, body = csv_for(client, buyer)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="pactline-statement.csv"'
    assert "no-store" in response["Cache-Control"]
    header, *rows = rows_of(body)
    assert header == [
        "Date (Europe/Amsterdam)",
        "Type",
        "Description",
        "Order",
        "Account",
        "Currency",
        "Amount",
        "Ledger entry",
    ]
    assert [row[0] for row in rows] == ["2026-03-05 13:00:00", "2026-03-02 00:30:00"]
    assert [row[3] for row in rows] == [second.reference, first.reference]
    assert [(row[5], row[6]) for row in rows] == [("EUR", "-6000.00"), ("USD", "-6000.00")]
    assert {row[1] for row in rows} == {"Payment into escrow"}
    assert {row[4] for row in rows} == {"Buyer funding (external)"}
    entry = LedgerEntry.objects.get(order=first)
    assert rows[1][2] == entry.description and rows[1][7] == str(entry.pk)
    assert someone_else.reference not in body


def test_the_csv_follows_the_filters_and_names_the_period(client):
    buyer, first, _second = two_payments_by_one_buyer()

    response, body = csv_for(
        client, buyer, date_from="2026-03-01", date_to="2026-03-02", currency="USD"
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="pactline-statement-from-2026-03-01-to-2026-03-02-USD.csv"'
    )
    _header, *rows = rows_of(body)
    assert [row[3] for row in rows] == [first.reference]


def test_a_supplier_reads_releases_and_payouts_in_the_csv(client):
    order = paid_in_full(LATE_ON_THE_FIRST)
    order_services.order_ship(
        order=order, acting_user=order.supplier, carrier="Maersk", tracking_number="MAEU1234567"
    )
    order_services.order_confirm_receipt(order=order, acting_user=order.buyer)
    services.payout_request(supplier=order.supplier, amount=100_050, currency="USD")

    _response, body = csv_for(client, order.supplier)

    amounts = sorted((row[1], row[4], row[6]) for row in rows_of(body)[1:])
    assert amounts == [
        ("Payout to supplier", "Payouts (external)", "1000.50"),
        ("Payout to supplier", "Supplier payable", "-1000.50"),
        ("Release to supplier", "Supplier payable", "6000.00"),
    ]


def test_in_dutch_the_csv_uses_decimal_commas_and_semicolons(client):
    order = paid_in_full(LATE_ON_THE_FIRST)
    order.buyer.language = "nl"
    order.buyer.save()

    _response, body = csv_for(client, order.buyer)

    header, row = rows_of(body, delimiter=";")
    assert header[1:3] == ["Soort", "Beschrijving"]
    assert row[6] == "-6000,00"
    assert row[1] == "Betaling in escrow"


def test_the_csv_never_hands_a_spreadsheet_a_formula(client):
    order = paid_in_full(LATE_ON_THE_FIRST)
    funding, escrow = services.ledger_accounts(
        (LedgerAccount.Kind.BUYER_FUNDING, "USD", None, order.buyer_id),
        (LedgerAccount.Kind.ESCROW, "USD", order.pk, None),
    )
    services.entry_post(
        key="test:formula",
        kind=LedgerEntry.Kind.PAYMENT,
        order=order,
        description='=HYPERLINK("http://evil.example/","click")',
        postings=[(funding, -100), (escrow, 100)],
    )

    _response, body = csv_for(client, order.buyer)

    descriptions = [row[2] for row in rows_of(body)[1:]]
    assert '\'=HYPERLINK("http://evil.example/","click")' in descriptions
    assert not any(text.startswith(("=", "+", "-", "@")) for text in descriptions)


def test_a_wrong_period_sends_the_download_back_to_the_form(client):
    order = paid_in_full(LATE_ON_THE_FIRST)
    client.force_login(order.buyer)

    response = client.get(reverse("statements_csv"), {"date_from": "2026-03-05", "date_to": "x"})

    assert response.status_code == 302
    assert response["Location"] == "/statements/?date_from=2026-03-05&date_to=x"
    page = client.get(response["Location"])
    assert page.context["form"].errors == {"date_to": ["Enter a valid date."]}


def test_only_buyers_and_suppliers_download_statements(client, admin_user):
    anonymous = client.get(reverse("statements_csv"))
    client.force_login(admin_user)
    staff = client.get(reverse("statements_csv"))

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert staff.status_code == 403


# --- the API -------------------------------------------------------------------------------------


def api_lines(user, **query):
    api = APIClient()
    api.force_authenticate(user)
    return api.get("/api/v1/statements/", query)


def test_the_api_filters_the_statement_by_period_and_currency():
    buyer, first, second = two_payments_by_one_buyer()

    on_the_second = api_lines(buyer, date_from="2026-03-02", date_to="2026-03-02").json()
    in_euros = api_lines(buyer, currency="EUR").json()
    everything = api_lines(buyer).json()

    assert [line["order_id"] for line in on_the_second["results"]] == [first.pk]
    assert [line["order_id"] for line in in_euros["results"]] == [second.pk]
    assert everything["count"] == 2


def test_the_calendars_first_and_last_days_are_a_period_like_any_other(client):
    buyer, _first, _second = two_payments_by_one_buyer()

    widest = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    on_the_page = page_for(client, buyer, **widest)
    in_the_api = api_lines(buyer, **widest)
    _response, body = csv_for(client, buyer, **widest)
    last_day = api_lines(buyer, date_from="9999-12-31")

    assert on_the_page.context["page"].paginator.count == 2
    assert in_the_api.json()["count"] == 2
    assert len(rows_of(body)) == 3
    assert last_day.status_code == 200 and last_day.json()["count"] == 0


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"date_from": "2026-03-05", "date_to": "2026-03-01"},
            {"date_to": ["The period ends before it starts: choose a later end date."]},
        ),
        ({"date_from": "yesterday"}, {"date_from": ["Enter a valid date."]}),
        (
            {"currency": "XXX"},
            {"currency": ["Select a valid choice. XXX is not one of the available choices."]},
        ),
    ],
)
def test_the_api_answers_a_wrong_filter_with_400_on_the_parameter(query, errors):
    response = api_lines(BuyerFactory(), **query)

    assert response.status_code == 400
    assert response.json() == errors
