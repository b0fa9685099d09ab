"""Every API path answers OPTIONS (what a browser's CORS preflight or an API explorer sends)
without a server error, for buyers, suppliers, staff and anonymous callers alike. The fields
of each endpoint are described once, in the OpenAPI schema."""

import re

import pytest
import yaml
from django.test import Client
from rest_framework.test import APIClient

from tests.escrow.helpers import confirmed_order
from tests.factories import MediatorFactory

pytestmark = pytest.mark.django_db


def schema_paths():
    return list(yaml.safe_load(Client().get("/api/schema/").content)["paths"])


def concrete(path, pk):
    """The path with each {parameter} filled: an id where one is expected, else a name."""
    path = path.replace("{provider_name}", "sandbox")
    return re.sub(r"\{[^}]+\}", str(pk), path)


@pytest.mark.parametrize("who", ["buyer", "supplier", "staff", "anonymous"])
def test_every_api_path_answers_options_without_a_server_error(who):
    order = confirmed_order()
    client = APIClient()
    user = {"buyer": order.buyer, "supplier": order.supplier, "staff": MediatorFactory()}.get(who)
    if user is not None:
        client.force_authenticate(user)
    paths = schema_paths()
    assert len(paths) > 20  # the whole API, not an empty schema

    answers = {path: client.options(concrete(path, order.pk)).status_code for path in paths}

    assert {path: code for path, code in answers.items() if code >= 500} == {}
    if who == "buyer":
        assert answers["/api/v1/orders/{id}/payments/"] == 200
