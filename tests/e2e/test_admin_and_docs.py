import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, MediatorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mediator_signs_in_to_admin_through_the_site_login(page, live_server):
    mediator = MediatorFactory()

    page.goto("/admin/")
    # The admin has no login form of its own: allauth's, with its rate limits, stands in.
    expect(page.get_by_role("heading", name="Sign In")).to_be_visible()
    page.get_by_label("Email").fill(mediator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("link", name="Pactline administration")).to_be_visible()


def test_the_api_documentation_renders_from_our_own_files(page):
    page.goto("/api/docs/")

    expect(page.get_by_text("/api/v1/auth/token/").first).to_be_visible()
    expect(page.get_by_text("/api/v1/me/").first).to_be_visible()
