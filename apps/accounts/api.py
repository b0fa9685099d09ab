from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as ModelValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.serializers import (
    MeSerializer,
    MeUpdateSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from apps.accounts.services import account_settings_update


class AuthTokenView(APIView):
    """Exchange an email and password for an API token; DELETE revokes the caller's token."""

    permission_classes = [AllowAny]
    throttle_scope = "auth_token"

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"].lower()
        user = authenticate(request, email=email, password=serializer.validated_data["password"])
        if user is None:
            raise ValidationError({"non_field_errors": [_("Wrong email or password.")]})
        if not EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            raise ValidationError(
                {"email": [_("Verify your email address first: follow the link we sent you.")]}
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user, with role, preferences and company profile."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeUpdateSerializer, responses=MeSerializer)
    def patch(self, request):
        serializer = MeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            account_settings_update(user=request.user, **serializer.validated_data)
        except ModelValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        request.user.refresh_from_db()
        return Response(MeSerializer(request.user).data)
