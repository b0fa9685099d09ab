from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.models import Category, PriceTier, Product, ProductImage


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class ProductSupplierSerializer(serializers.Serializer):
    """The supplier of a product, with the standing buyers filter on."""

    id = serializers.IntegerField(source="supplier_id")
    company_name = serializers.SerializerMethodField()
    country = serializers.SerializerMethodField()
    verified = serializers.BooleanField(source="supplier_verified")
    gold = serializers.BooleanField(source="supplier_gold")
    trade_assurance = serializers.SerializerMethodField(
        help_text="Verified and Gold: orders are covered by Trade Assurance."
    )

    def _company(self, product):
        return getattr(product.supplier, "company", None)

    def get_company_name(self, product) -> str:
        company = self._company(product)
        return company.company_name if company else ""

    def get_country(self, product) -> str:
        company = self._company(product)
        return company.country.code if company else ""

    def get_trade_assurance(self, product) -> bool:
        return bool(product.supplier_verified and product.supplier_gold)


class PriceTierSerializer(serializers.ModelSerializer):
    unit_price = serializers.IntegerField(help_text="In minor units of the product's currency.")

    class Meta:
        model = PriceTier
        fields = ["min_quantity", "unit_price"]


class SpecificationSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class ProductImageSerializer(serializers.ModelSerializer):
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["image", "thumbnail", "width", "height"]

    def _absolute(self, field_file):
        request = self.context.get("request")
        url = field_file.url
        return request.build_absolute_uri(url) if request else url

    def get_image(self, image) -> str:
        return self._absolute(image.image)

    def get_thumbnail(self, image) -> str:
        return self._absolute(image.thumbnail)


class ProductListSerializer(serializers.ModelSerializer):
    """Prices are integers in the minor unit of `currency` (ISO 4217): 250 USD is US$ 2.50."""

    category = CategorySerializer()
    supplier = ProductSupplierSerializer(source="*")
    price_min = serializers.IntegerField(
        allow_null=True, help_text="Lowest tier unit price, in minor units of the currency."
    )
    price_max = serializers.IntegerField(
        allow_null=True, help_text="Highest tier unit price, in minor units of the currency."
    )
    moq = serializers.IntegerField(help_text="Minimum order quantity.")
    thumbnail = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "title",
            "category",
            "currency",
            "price_min",
            "price_max",
            "moq",
            "lead_time_days",
            "supplier",
            "thumbnail",
            "page_url",
            "created_at",
        ]

    def get_thumbnail(self, product) -> str | None:
        url = product.thumbnail_url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request else url

    def get_page_url(self, product) -> str:
        request = self.context.get("request")
        url = product.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class ProductDetailSerializer(ProductListSerializer):
    price_tiers = PriceTierSerializer(many=True)
    specifications = serializers.SerializerMethodField()
    images = ProductImageSerializer(many=True)

    class Meta(ProductListSerializer.Meta):
        fields = ProductListSerializer.Meta.fields + [
            "description",
            "is_active",
            "price_tiers",
            "specifications",
            "images",
        ]

    @extend_schema_field(SpecificationSerializer(many=True))
    def get_specifications(self, product):
        return product.specifications_list()
