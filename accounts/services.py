"""Login, lockout and account management. Every path (UI, API, command) goes through here.

Who may grant what is decided by accounts.duties; how attempts are counted by accounts.throttle;
API tokens by accounts.tokens; the second factor by accounts.second_factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import duties, second_factor, throttle, tokens
from accounts.models import TokenKind, User
from accounts.roles import Role
from audit.services import record
from core.context import current
from regions.models import Region


@dataclass
class LoginResult:
    user: User | None
    error: str = ""
    locked: bool = False  # refused or locked by the counters (accounts.throttle)


def _region_of(user: User | None) -> str:
    return user.region_id or "" if user else ""


def _refused_message(attempt: throttle.Claim) -> str:
    until = attempt.refused_until
    local = timezone.localtime(until).strftime("%H:%M") if until else ""
    if attempt.refused_scope == throttle.ADDRESS:
        return _("该地址登录失败次数过多，已暂停登录，请于 %(t)s 之后再试。") % {"t": local}
    return _("账号已被锁定，请于 %(t)s 之后再试。") % {"t": local}


WRONG_PASSWORD = _lazy("用户名或密码错误，再错 %(n)d 次账号将被锁定。")


def _guarded(
    username: str, check: Callable[[], User | None], *, address: str | None = None, what: str = "", wrong: Any = WRONG_PASSWORD
) -> LoginResult:
    """Count the attempt (accounts.throttle), then run `check` only if the counters allow it.

    The same messages whether or not `username` exists; every outcome is audited."""
    address = current().ip if address is None else address
    known = User.objects.filter(username=username).first()
    who: dict[str, Any] = {"actor": known, "obj": known, "region_code": _region_of(known)} if known else {}
    who["object_label"] = "" if known else username[:150]
    extra = {"username": username[:150]}  # names the actor of an unknown name
    what = what or "login"
    step = {"step": what, "address": address}
    attempt = throttle.claim(username, address)
    if attempt.refused_until is not None:
        record("auth.login_refused_locked", success=False, after=step, extra=extra, **who)
        return LoginResult(None, _refused_message(attempt), locked=True)
    user = check()
    if user is not None:
        throttle.succeeded(attempt, complete=not (what == "login" and second_factor.required(user)))
        return LoginResult(user)
    with transaction.atomic():
        record("auth.login_failed", success=False, after=step, extra=extra, **who)
        scope, until = throttle.failed(attempt)
        if until is not None:
            record("auth.lockout", success=False, after={**step, "locked_until": until, "scope": scope}, extra=extra, **who)
    if scope == throttle.ACCOUNT:
        return LoginResult(
            None,
            _("连续错误 %(n)d 次，账号已锁定 %(m)d 分钟。")
            % {"n": settings.LOCKOUT_FAILURES, "m": settings.LOCKOUT_SECONDS // 60},
            locked=True,
        )
    if scope == throttle.ADDRESS:
        return LoginResult(
            None, _("该地址登录失败次数过多，已暂停登录 %(m)d 分钟。") % {"m": settings.LOCKOUT_SECONDS // 60}, locked=True
        )
    return LoginResult(None, str(wrong) % {"n": attempt.attempts_left})


def attempt_login(*, username: str, password: str, address: str | None = None) -> LoginResult:
    """Check credentials with lockout per account name and per address (accounts.throttle)."""

    def check() -> User | None:
        authed = authenticate(username=username, password=password)
        return authed if isinstance(authed, User) else None

    result = _guarded(username, check, address=address)
    if result.user is not None:
        record("auth.login", actor=result.user, obj=result.user, region_code=_region_of(result.user))
    return result


def check_old_password(*, user: User, password: str) -> LoginResult:
    """The old password on the change form counts as a sign-in attempt, on the same counters."""
    return _guarded(
        user.username,
        lambda: user if user.check_password(password) else None,
        what="password_change",
        wrong=_lazy("原密码不正确，再错 %(n)d 次账号将被锁定。"),
    )


def check_second_factor(*, user: User, code: str, verify: Callable[[str], bool]) -> LoginResult:
    """A one-time code counts as a sign-in attempt too (a 6-digit code is guessed otherwise)."""
    return _guarded(
        user.username,
        lambda: user if verify(code) else None,
        what="second_factor",
        wrong=_lazy("动态口令不正确，再错 %(n)d 次账号将被锁定。"),
    )


def reset_notice(user: User) -> str:
    """Shown to the owner while a password set by someone else is in force."""
    if not user.must_change_password or user.password_set_by_id in (None, user.pk):
        return ""
    by = user.password_set_by.display_name if user.password_set_by else ""
    at = timezone.localtime(user.password_changed_at).strftime("%Y-%m-%d %H:%M")
    return _("您的密码已于 %(t)s 由系统管理员 %(who)s 重置。如非您本人申请，请立即修改密码并报告上级。") % {"t": at, "who": by}


def logged_out(user: User) -> None:
    """The web session ends: so do the app login tokens (named tokens of other systems stay)."""
    record("auth.logout", actor=user, obj=user, region_code=_region_of(user))
    tokens.revoke_all(user=user, actor=user, reason=_("退出登录"), kinds=[TokenKind.LOGIN])


def _check_roles(roles: list[str]) -> str:
    valid = set(Role.values)
    bad = [r for r in roles if r not in valid]
    if bad:
        raise ValidationError(_("未知角色：%(r)s") % {"r": ", ".join(bad)})
    duties.check_role_set(roles)
    return ",".join(sorted(set(roles)))


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    region_code: str,
    roles: list[str],
    full_name: str = "",
    phone: str = "",
    must_change: bool | None = None,
) -> User:
    """`must_change` defaults to True when someone else (an administrator) sets the first password;
    the operator's commands (actor None) set passwords the operator hands over themselves."""
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError(_("区划代码 %(c)s 不存在。") % {"c": region_code})
    role_text = _check_roles(roles)
    duties.check_create(actor, roles, region.code)
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("用户名 %(u)s 已存在。") % {"u": username})
    user = User(username=username, region=region, roles=role_text, first_name=full_name, phone=phone)
    validate_password(password, user)
    user.set_password(password)
    user.password_set_by = actor
    user.must_change_password = actor is not None if must_change is None else must_change
    user.save()
    record(
        "user.create",
        actor=actor,
        obj=user,
        region_code=region.code,
        after={"username": username, "roles": user.roles, "region": region.code, "one_time_password": user.must_change_password},
    )
    return user


@transaction.atomic
def update_user(
    *, actor: User | None, user: User, region_code: str, roles: list[str], full_name: str, phone: str, is_active: bool
) -> User:
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError(_("区划代码 %(c)s 不存在。") % {"c": region_code})
    role_text = _check_roles(roles)
    duties.check_update(actor, user, roles, region.code, is_active)
    before = {"roles": user.roles, "region": user.region_id, "active": user.is_active}
    user.region, user.roles, user.first_name, user.phone, user.is_active = region, role_text, full_name, phone, is_active
    user.save()
    record(
        "user.update",
        actor=actor,
        obj=user,
        region_code=region.code,
        before=before,
        after={"roles": user.roles, "region": user.region_id, "active": user.is_active},
    )
    if not is_active:
        tokens.revoke_all(user=user, actor=actor, reason=_("账号停用"))
    return user


@transaction.atomic
def _store_password(*, actor: User | None, user: User, password: str, own: bool) -> None:
    validate_password(password, user)
    if own and user.check_password(password):
        raise ValidationError(_("新密码不能与原密码相同。"), code="same_password")
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.password_set_by = actor
    user.must_change_password = not own
    user.save(update_fields=["password", "password_changed_at", "password_set_by", "must_change_password"])
    throttle.unlock(user.username)
    record(
        "user.set_password" if own else "user.reset_password",
        actor=actor,
        obj=user,
        region_code=user.region_id or "",
        after={"one_time_password": not own},
    )
    tokens.revoke_all(user=user, actor=actor, reason=_("修改密码") if own else _("管理员重置密码"))


def set_password(*, actor: User | None, user: User, password: str) -> None:
    """An administrator (or the operator's command, actor None) sets a one-time password that the
    owner must change at the next sign-in; never one's own (that is `change_own_password`). Every
    API token of the account is revoked."""
    duties.check_manage_credentials(actor, user)
    _store_password(actor=actor, user=user, password=password, own=False)


def change_own_password(*, user: User, old_password: str, new_password: str) -> LoginResult:
    """The owner's change: the old password is checked on the sign-in counters first (a wrong one
    counts as a failed sign-in). Raises ValidationError for a new password the policy refuses."""
    checked = check_old_password(user=user, password=old_password)
    if checked.user is not None:
        _store_password(actor=user, user=user, password=new_password, own=True)
    return checked


@transaction.atomic
def unlock_user(*, actor: User, user: User) -> None:
    duties.check_manage_credentials(actor, user)
    throttle.unlock(user.username)
    record("user.unlock", actor=actor, obj=user, region_code=user.region_id or "")
