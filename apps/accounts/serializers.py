from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from apps.accounts.models import User, phone_validator, time_zone_choices


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("Email"))
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class CompanySerializer(serializers.Serializer):
    company_name = serializers.CharField(max_length=200)
    country = CountryField()
    contact_name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=32, validators=[phone_validator])


class MeSerializer(serializers.ModelSerializer):
    company = CompanySerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "role", "timezone", "language", "date_joined", "company"]
        read_only_fields = ["id", "email", "role", "date_joined", "company"]


class MeUpdateSerializer(serializers.Serializer):
    """What a user may change about themselves through the API."""

    timezone = serializers.ChoiceField(choices=time_zone_choices(), required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    company_name = serializers.CharField(max_length=200, required=False)
    country = CountryField(required=False)
    contact_name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=32, validators=[phone_validator], required=False)
