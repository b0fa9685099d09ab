from importlib import import_module

import pytest
from playwright.sync_api import expect

from apps.suppliers.seed import demo_pdf
from tests.e2e.helpers import log_in
from tests.factories import MediatorFactory, SupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def migration_data(transactional_db):
    """The agreement and the Mediators' permissions come from a data migration; transactional
    tests empty the tables between tests, so run that migration step again."""
    from django.apps import apps

    migration = import_module("apps.suppliers.migrations.0002_agreement_and_mediator_permissions")
    migration.forwards(apps, None)


def test_a_supplier_is_verified_by_a_mediator_in_admin(new_page, live_server, tmp_path):
    supplier = SupplierFactory(company__company_name="Brightway Electronics")
    mediator = MediatorFactory()
    licence = tmp_path / "licence.pdf"
    licence.write_bytes(demo_pdf("Business licence"))

    seller = new_page(timezone_id="Asia/Shanghai")
    log_in(seller, supplier.email)
    seller.get_by_role("link", name="Trade Assurance").first.click()
    seller.get_by_role("link", name="Apply for verification").click()
    expect(seller.get_by_role("heading", name="Trade Assurance Services Agreement")).to_be_visible()
    seller.get_by_label("Full legal name of the director or owner").fill("Li Wei")
    seller.get_by_label("Company registration number").fill("91440300MA5F")
    seller.get_by_label("Registered address").fill("88 Keji Road, Shenzhen")
    seller.get_by_label("Business licence").set_input_files(str(licence))
    seller.get_by_label("I have read and accept").check()
    seller.get_by_role("button", name="Send application").click()
    expect(seller.get_by_text("Waiting for review")).to_be_visible()

    admin = new_page()
    log_in(admin, mediator.email)
    admin.goto("/admin/suppliers/verificationapplication/")
    admin.get_by_role("link", name="Brightway Electronics").click()
    admin.get_by_label("Decision").select_option("approve")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.get_by_text("was changed successfully")).to_be_visible()

    seller.reload()
    expect(seller.get_by_text("Approved")).to_be_visible()
    expect(seller.locator(".badge", has_text="Verified").first).to_be_visible()
