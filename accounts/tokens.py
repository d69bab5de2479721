"""API tokens: issued with an expiry and a scope, listed and revoked by their owner and by the
administrator who manages the owner; all revoked on password change, an app's login token on logout.

Only the SHA-256 of a key is stored. accounts.authentication keeps a short per-process cache of
looked-up tokens; revoking here drops the token from this process's cache at once, and other
processes notice within TOKEN_CACHE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import duties
from accounts.models import ApiToken, TokenKind, TokenScope, User
from audit.services import record

MAX_NAMED_DAYS = 365


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    key: str  # shown once; never stored


def _snapshot(token: ApiToken) -> dict[str, str]:
    return {
        "name": token.name,
        "kind": token.kind,
        "scope": token.scope,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat(),
    }


@transaction.atomic
def issue(
    *,
    user: User,
    name: str,
    kind: str = TokenKind.LOGIN,
    scope: str = TokenScope.WRITE,
    days: int | None = None,
    actor: User | None = None,
) -> Issued:
    if days is None:
        days = settings.API_TOKEN_LOGIN_DAYS if kind == TokenKind.LOGIN else settings.API_TOKEN_NAMED_DAYS
    days = max(1, min(int(days), MAX_NAMED_DAYS))
    key = secrets.token_urlsafe(30)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        kind=kind,
        scope=scope,
        key_hash=digest(key),
        prefix=key[:8],
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    record("token.issue", actor=actor or user, obj=user, region_code=user.region_id or "", after=_snapshot(token))
    return Issued(token, key)


def live(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by("-created_at")


def _forget(hashes: list[str]) -> None:
    """Drop the tokens from this process's cache now, and again once the revocation is committed
    (a request in between could have cached the row as it still was)."""
    from accounts.authentication import forget

    forget(hashes)
    transaction.on_commit(lambda: forget(hashes))


@transaction.atomic
def revoke(*, actor: User, token: ApiToken, reason: str = "") -> None:
    if actor.pk != token.user_id:
        duties.check_manage_credentials(actor, token.user)
    if token.revoked_at is not None:
        return
    token.revoked_at, token.revoked_by, token.revoke_reason = timezone.now(), actor, reason[:100]
    token.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record(
        "token.revoke",
        actor=actor,
        obj=token.user,
        region_code=token.user.region_id or "",
        after={**_snapshot(token), "reason": reason},
    )
    _forget([token.key_hash])


@transaction.atomic
def revoke_all(*, user: User, actor: User | None, reason: str, kinds: list[str] | None = None) -> int:
    rows = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())
    if kinds is not None:
        rows = rows.filter(kind__in=kinds)
    hashes = list(rows.values_list("key_hash", flat=True))
    if not hashes:
        return 0
    rows.update(revoked_at=timezone.now(), revoked_by=actor, revoke_reason=reason[:100])
    record(
        "token.revoke_all",
        actor=actor or user,
        obj=user,
        region_code=user.region_id or "",
        after={"count": len(hashes), "reason": reason, "kinds": kinds or "all"},
    )
    _forget(hashes)
    return len(hashes)
