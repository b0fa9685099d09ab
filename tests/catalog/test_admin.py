import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.catalog.models import Category
from tests.catalog.factories import CategoryFactory, ProductFactory
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AccountFactory(role="staff", is_staff=True, is_superuser=True))
    return client


def test_staff_see_products_and_hide_them_through_the_service(admin_client):
    product = ProductFactory(title="Counterfeit watch")

    assert (
        "Counterfeit watch"
        in admin_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    )
    assert (
        admin_client.get(reverse("admin:catalog_product_change", args=[product.pk])).status_code
        == 200
    )
    admin_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "_selected_action": [product.pk]},
    )

    product.refresh_from_db()
    assert not product.is_active


def test_the_category_tree_stays_two_levels_deep(admin_client):
    top = CategoryFactory(name="Home", slug="home")
    child = CategoryFactory(name="Kitchen", slug="kitchen", parent=top)

    response = admin_client.post(
        reverse("admin:catalog_category_add"),
        {"name": "Knives", "slug": "knives", "parent": child.pk, "position": 0},
    )

    assert response.status_code == 200  # the form again, with the error
    assert not Category.objects.filter(slug="knives").exists()


def test_a_subcategory_cannot_have_subcategories_of_its_own():
    child = CategoryFactory(slug="kitchen", parent=CategoryFactory(slug="home"))

    with pytest.raises(ValidationError, match="two levels"):
        Category(name="Knives", slug="knives", parent=child).full_clean()
