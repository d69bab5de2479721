"""Login, lockout and account management. Every path (UI, API, command) goes through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap, Role
from audit.services import record
from regions.models import Region


@dataclass
class LoginResult:
    user: User | None
    error: str = ""


def _region_of(user: User | None) -> str:
    return user.region_id or "" if user else ""


def attempt_login(*, username: str, password: str) -> LoginResult:
    """Check credentials with per-account lockout after LOCKOUT_FAILURES failures."""
    user = User.objects.filter(username=username).first()
    if user is not None and user.is_locked:
        record("auth.login_refused_locked", actor=user, obj=user, region_code=_region_of(user), success=False)
        local = timezone.localtime(user.locked_until)
        return LoginResult(None, _("账号已被锁定，请于 %(t)s 之后再试。") % {"t": local.strftime("%H:%M")})
    authed = authenticate(username=username, password=password)
    if isinstance(authed, User):
        if authed.failed_logins or authed.locked_until:
            User.objects.filter(pk=authed.pk).update(failed_logins=0, locked_until=None)
        record("auth.login", actor=authed, obj=authed, region_code=_region_of(authed))
        return LoginResult(authed)
    if user is None:
        record("auth.login_failed", object_label=username[:150], success=False, extra={"username": username[:150]})
        return LoginResult(None, _("用户名或密码错误。"))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        record("auth.login_failed", actor=user, obj=user, region_code=_region_of(user), success=False)
        if user.failed_logins >= settings.LOCKOUT_FAILURES:
            until = timezone.now() + dt.timedelta(seconds=settings.LOCKOUT_SECONDS)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            record(
                "auth.lockout", actor=user, obj=user, region_code=_region_of(user), success=False, after={"locked_until": until}
            )
            return LoginResult(
                None,
                _("密码连续错误 %(n)d 次，账号已锁定 %(m)d 分钟。")
                % {"n": settings.LOCKOUT_FAILURES, "m": settings.LOCKOUT_SECONDS // 60},
            )
    left = settings.LOCKOUT_FAILURES - user.failed_logins
    return LoginResult(None, _("用户名或密码错误，再错 %(n)d 次账号将被锁定。") % {"n": left})


def _check_roles(roles: list[str]) -> str:
    valid = set(Role.values)
    bad = [r for r in roles if r not in valid]
    if bad:
        raise ValidationError(_("未知角色：%(r)s") % {"r": ", ".join(bad)})
    return ",".join(sorted(set(roles)))


@transaction.atomic
def create_user(
    *, actor: User | None, username: str, password: str, region_code: str, roles: list[str], full_name: str = "", phone: str = ""
) -> User:
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationError(_("区划代码 %(c)s 不存在。") % {"c": region_code})
    if actor is not None and not (actor.can(Cap.MANAGE_USERS) and actor.covers(region.full_code)):
        raise PermissionDenied(_("无权在该区划下创建账号。"))
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("用户名 %(u)s 已存在。") % {"u": username})
    user = User(username=username, region=region, roles=_check_roles(roles), first_name=full_name, phone=phone)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record(
        "user.create",
        actor=actor,
        obj=user,
        region_code=region.code,
        after={"username": username, "roles": user.roles, "region": region.code},
    )
    return user


@transaction.atomic
def update_user(
    *, actor: User, user: User, region_code: str, roles: list[str], full_name: str, phone: str, is_active: bool
) -> User:
    region = Region.objects.filter(code=region_code).first()
    if region is None or not actor.covers(region.full_code) or not actor.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("无权把账号设在该区划。"))
    before = {"roles": user.roles, "region": user.region_id, "active": user.is_active}
    user.region, user.roles, user.first_name, user.phone, user.is_active = (
        region,
        _check_roles(roles),
        full_name,
        phone,
        is_active,
    )
    user.save()
    record(
        "user.update",
        actor=actor,
        obj=user,
        region_code=region.code,
        before=before,
        after={"roles": user.roles, "region": user.region_id, "active": user.is_active},
    )
    return user


@transaction.atomic
def set_password(*, actor: User, user: User, password: str) -> None:
    if actor.pk != user.pk and not (actor.can(Cap.MANAGE_USERS) and actor.covers(user.region.full_code if user.region else "")):
        raise PermissionDenied(_("无权修改该账号的密码。"))
    validate_password(password, user)
    user.set_password(password)
    user.locked_until = None
    user.failed_logins = 0
    user.save()
    record("user.set_password", actor=actor, obj=user, region_code=user.region_id or "")


@transaction.atomic
def unlock_user(*, actor: User, user: User) -> None:
    if not (actor.can(Cap.MANAGE_USERS) and user.region and actor.covers(user.region.full_code)):
        raise PermissionDenied(_("无权解锁该账号。"))
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_logins=0)
    record("user.unlock", actor=actor, obj=user, region_code=user.region_id or "")
