"""API token authentication with a short in-process cache.

The token row and its user are read once per TOKEN_CACHE_SECONDS per worker process instead of on
every request (the lookup-by-ID API is called in tight loops by other systems). A deactivated user
or a deleted token therefore stops working within that many seconds.
"""

from __future__ import annotations

import time
from typing import Any

from rest_framework.authentication import TokenAuthentication

TOKEN_CACHE_SECONDS = 30
_MAX_ENTRIES = 10000


class CachedTokenAuthentication(TokenAuthentication):
    _cache: dict[str, tuple[float, Any, Any]] = {}

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
        user, token = super().authenticate_credentials(key)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now + TOKEN_CACHE_SECONDS, user, token)
        return user, token
