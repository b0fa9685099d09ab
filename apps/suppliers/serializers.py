from rest_framework import serializers


class StorefrontSerializer(serializers.Serializer):
    """A supplier's public storefront: standing and trust figures computed from real orders.
    Rates are fractions from 0 to 1, or null when there is no data yet."""

    id = serializers.IntegerField(source="supplier.pk")
    name = serializers.CharField(source="supplier.company.company_name")
    country = serializers.CharField(source="supplier.company.country.code")
    tier = serializers.CharField(source="figures.tier")
    verified = serializers.BooleanField(source="figures.is_verified")
    gold = serializers.BooleanField(source="figures.is_gold")
    trade_assurance = serializers.BooleanField(source="figures.is_trade_assurance_eligible")
    trade_assurance_amount_usd_minor = serializers.SerializerMethodField()
    member_since = serializers.DateTimeField(source="figures.member_since")
    years_on_platform = serializers.IntegerField(source="figures.years_on_platform")
    completed_orders_12m = serializers.IntegerField(source="figures.completed_orders")
    completed_value_12m_usd_minor = serializers.IntegerField(
        source="figures.completed_value_usd_minor"
    )
    on_time_shipment_rate = serializers.FloatField(source="figures.on_time_rate", allow_null=True)
    shipments_due_12m = serializers.IntegerField(source="figures.shipments_due")
    response_rate_30d = serializers.FloatField(source="figures.response_rate", allow_null=True)
    average_response_hours_30d = serializers.FloatField(
        source="figures.average_response_hours", allow_null=True
    )
    dispute_rate_12m = serializers.FloatField(source="figures.dispute_rate", allow_null=True)
    figures_computed_at = serializers.DateTimeField(source="figures.computed_at")

    def get_trade_assurance_amount_usd_minor(self, obj) -> int | None:
        figures = obj["figures"]
        return figures.ta_amount if figures.is_trade_assurance_eligible else None
