from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import attempt_login


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class TokenView(APIView):
    """Exchange username and password for an API token (same lockout rules as the login page)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    policy_public = True  # anyone may try to sign in (throttled like the login page)

    @extend_schema(request=TokenRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        ser = TokenRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        result = attempt_login(username=ser.validated_data["username"], password=ser.validated_data["password"])
        if result.user is None:
            return Response({"detail": result.error}, status=status.HTTP_401_UNAUTHORIZED)
        token, _ = Token.objects.get_or_create(user=result.user)
        return Response({"token": token.key})
