"""Every stylesheet and script comes from our own static/, never from a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import BuyerFactory

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"', re.IGNORECASE)


@pytest.mark.parametrize(
    "url",
    ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/api/docs/"],
)
def test_public_pages_load_assets_only_from_our_static_files(client, url):
    page = client.get(url).content.decode()

    assets = ASSET.findall(page)
    assert assets
    for asset in assets:
        # Same origin only: a path on this site, never another host (no "//host" either).
        assert asset.startswith("/") and not asset.startswith("//"), asset
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/").split("?")[0]), asset


def test_portal_pages_load_bootstrap_and_htmx_from_static(client):
    client.force_login(BuyerFactory())

    page = client.get(reverse("buyer_home")).content.decode()

    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in page
    assert re.search(r'src="/static/django_htmx/htmx-2[\w.]*\.js"', page)
    assert "cdn" not in page.lower()


def test_swagger_ui_is_served_from_static_not_a_cdn(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    script = client.get("/api/docs/?script=").content.decode()
    assert "https://" not in script.replace("https://swagger.io", "")


def test_the_default_favicon_path_points_at_ours(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.url == "/static/img/favicon.svg"
