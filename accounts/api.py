from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import second_factor, tokens
from accounts.models import ApiToken, TokenKind
from accounts.passwords import change_required_reason
from accounts.services import attempt_login, check_second_factor


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128)
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True, help_text="动态口令（须用第二因素的角色）")
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="用途，例如“现场核查 App”")


class TokenView(APIView):
    """Exchange username and password (and the one-time code, for the roles that need a second
    factor) for an API token that expires (same lockout rules as the login page)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    policy_public = True  # anyone may try to sign in (throttled like the login page)
    policy_public = True  # anyone may try to sign in (throttled like the login page)

    @extend_schema(request=TokenRequestSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        ser = TokenRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        result = attempt_login(username=data["username"], password=data["password"])
        if result.user is None:
            return Response({"detail": result.error}, status=status.HTTP_401_UNAUTHORIZED)
        user = result.user
        if second_factor.required(user):
            device = second_factor.device(user)
            if device is None:
                detail = _("请先在网页登录并绑定身份验证器（动态口令），再登录本应用。")
                return Response({"detail": detail}, status=status.HTTP_403_FORBIDDEN)
            if not data.get("otp"):
                return Response({"detail": _("请输入动态口令。"), "otp_required": True}, status=status.HTTP_401_UNAUTHORIZED)
            checked = check_second_factor(user=user, code=data["otp"], verify=lambda c: second_factor.verify(device, c))
            if checked.user is None:
                return Response({"detail": checked.error, "otp_required": True}, status=status.HTTP_401_UNAUTHORIZED)
        reason = change_required_reason(user)
        if reason:
            return Response({"detail": reason}, status=status.HTTP_403_FORBIDDEN)
        issued = tokens.issue(user=user, name=data.get("name") or _("应用登录"), kind=TokenKind.LOGIN)
        return Response({"token": issued.key, "expires_at": issued.token.expires_at.isoformat()})


class LogoutView(APIView):
    """Revoke the token this request is made with."""

    permission_classes = [IsAuthenticated]
    policy_public = True  # any signed-in caller, about its own token only

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            tokens.revoke(actor=request.user, token=request.auth, reason=_("退出登录"))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
