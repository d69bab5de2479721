"""API token authentication with a short in-process cache.

The token row and its user are read once per TOKEN_CACHE_SECONDS per worker process instead of on
every request (the lookup-by-ID API is called in tight loops by other systems). Each request still
checks the cached token's expiry and scope and the user's password state, so an expired token stops
at once; a revoked token stops at once in the revoking process (accounts.tokens drops it) and
within TOKEN_CACHE_SECONDS elsewhere, as does a deactivated user.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.models import ApiToken, TokenScope, User
from accounts.passwords import change_required_reason
from accounts.tokens import digest

_MAX_ENTRIES = 10000
# digest of the key -> (monotonic deadline, user, token)
_cache: dict[str, tuple[float, Any, ApiToken]] = {}


def forget(hashes: list[str]) -> None:
    for h in hashes:
        _cache.pop(h, None)


def _load(hashed: str) -> tuple[User, ApiToken]:
    token = ApiToken.objects.select_related("user").filter(key_hash=hashed).first()
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
        raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已被吊销，请重新登录。"))
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("账号已停用。"))
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, token


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        found = super().authenticate(request)
        if found is None:
            return None
        user, token = found
        if token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(_("该令牌为只读令牌，不能修改数据。"))
        reason = change_required_reason(user)
        if reason:
            raise exceptions.PermissionDenied(reason)
        return user, token

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        hashed = digest(key)
        now = time.monotonic()
        hit = _cache.get(hashed)
        if hit is not None and hit[0] > now:
            if hit[2].expires_at <= timezone.now():
                _cache.pop(hashed, None)
                raise exceptions.AuthenticationFailed(_("令牌无效、已过期或已被吊销，请重新登录。"))
            return hit[1], hit[2]
        user, token = _load(hashed)
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[hashed] = (now + settings.TOKEN_CACHE_SECONDS, user, token)
        return user, token
