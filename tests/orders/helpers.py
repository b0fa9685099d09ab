import datetime as dt

from django.utils import timezone

from apps.orders.services import ContractTerms, LineInput


def terms(**overrides):
    """Valid contract terms: 500 pieces at US$12.00 = US$6,000.00, 30% deposit."""
    values = {
        "lines": [
            LineInput(
                product_title="Warm white LED bulb",
                specification="E27, 2700 K, 806 lm, CE/RoHS",
                quantity=500,
                unit_price=1200,
            )
        ],
        "currency": "USD",
        "quality_standard": "AQL 2.5 level II; colour temperature 2700 K ± 100 K",
        "shipping_method": "sea",
        "incoterm": "FOB",
        "shipping_address": "Noordzee Imports B.V., Havenweg 1, 3089 Rotterdam, NL",
        "deposit_percent": 30,
        "ship_by_date": timezone.localdate() + dt.timedelta(days=45),
    }
    values.update(overrides)
    return ContractTerms(**values)
