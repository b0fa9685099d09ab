import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import link_in_mail

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-Unusual-passphrase-42"


def sign_up(page, *, role_link, email, company, country, contact, phone):
    page.goto("/")
    page.get_by_role("link", name=role_link).click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Country").select_option(country)
    page.get_by_label("Contact name").fill(contact)
    page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()


def verify_and_log_in(page, message, email):
    page.goto(link_in_mail(message))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_buyer_signs_up_verifies_the_email_and_lands_on_the_buyer_portal(
    page, live_server, mailoutbox
):
    sign_up(
        page,
        role_link="Sign up as a buyer",
        email="anouk@noordzee.example",
        company="Noordzee Imports",
        country="NL",
        contact="Anouk de Vries",
        phone="+31 20 555 0101",
    )
    # The portal is closed until the address is verified.
    page.goto("/buyer/")
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()

    assert [m.to for m in mailoutbox] == [["anouk@noordzee.example"]]
    verify_and_log_in(page, mailoutbox[0], "anouk@noordzee.example")

    expect(page).to_have_url(f"{live_server.url}/buyer/")
    expect(page.get_by_role("heading", name="Buyer portal")).to_be_visible()
    expect(page.get_by_text("Welcome, Noordzee Imports")).to_be_visible()
    expect(page.get_by_text("You have no Trade Assurance orders yet")).to_be_visible()
    # The browser's time zone was picked up at signup and is what times are shown in.
    expect(page.get_by_text("Times shown in Europe/Amsterdam")).to_be_visible()


def test_a_supplier_signs_up_verifies_the_email_and_lands_on_the_supplier_portal(
    new_page, live_server, mailoutbox
):
    page = new_page(timezone_id="Asia/Shanghai")
    sign_up(
        page,
        role_link="Sign up as a supplier",
        email="li.wei@brightway.example",
        company="Brightway Electronics",
        country="CN",
        contact="Li Wei",
        phone="+86 755 5550 1234",
    )
    verify_and_log_in(page, mailoutbox[0], "li.wei@brightway.example")

    expect(page).to_have_url(f"{live_server.url}/supplier/")
    expect(page.get_by_role("heading", name="Supplier portal")).to_be_visible()
    expect(page.get_by_text("Welcome, Brightway Electronics")).to_be_visible()
    expect(page.get_by_text("Times shown in Asia/Shanghai")).to_be_visible()

    # A supplier who wanders into the buyer portal is told so, kindly.
    page.goto("/buyer/")
    expect(page.get_by_role("heading", name="This page is not for your account")).to_be_visible()
    page.get_by_role("link", name="Go to your portal").click()
    expect(page).to_have_url(f"{live_server.url}/supplier/")


def test_a_visitor_reads_the_site_in_dutch(page):
    page.goto("/")
    page.get_by_label("Language").select_option("nl")
    expect(page.get_by_role("link", name="Aanmelden als koper")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
