"""apps/core/sql.py reads rows as plain SQL; what it gives back is what the ORM gives."""

import pytest
from django.forms.models import model_to_dict

from apps.core.sql import row_get
from apps.orders.models import Order, OrderEvent
from tests.escrow.helpers import confirmed_order

pytestmark = pytest.mark.django_db


def test_a_row_read_equals_the_orms_instance():
    order = confirmed_order()
    event = OrderEvent.objects.filter(order=order).exclude(parameters={}).first() or (
        OrderEvent.objects.create(order=order, type="confirmed", parameters={"amount": 5})
    )

    for model, pk in ((Order, order.pk), (OrderEvent, event.pk)):
        read = row_get(model, '"id" = %s', [pk])
        by_orm = model.objects.get(pk=pk)
        fields = [f.attname for f in model._meta.concrete_fields]
        assert {f: getattr(read, f) for f in fields} == {f: getattr(by_orm, f) for f in fields}
        assert not read._state.adding
    assert isinstance(row_get(OrderEvent, '"id" = %s', [event.pk]).parameters, dict)
    assert row_get(Order, '"id" = %s', [order.pk + 10_000]) is None


def test_a_locked_read_still_reads_the_row():
    order = confirmed_order()
    locked = row_get(Order, '"id" = %s', [order.pk], for_update=True)
    assert model_to_dict(locked) == model_to_dict(Order.objects.get(pk=order.pk))
