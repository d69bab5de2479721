"""Separation of duties (三权分立): the one place that decides who may hold and who may grant which roles.

- The system administrator manages accounts and code tables; the auditor reads the audit trail; the
  business roles do the work. An administrator or auditor account holds that one role alone (also
  kept by a database check on `User.roles`), so nobody both grants rights and uses them, or both acts
  and audits.
- Nobody changes their own roles, region or state, nor resets their own password by the
  administrator's path.
- Accounts of administrators and auditors (before or after the change) are managed only by an
  administrator of a higher level; at the top (the province) only by the operator's commands.
- A password set by someone else is a one-time password (accounts.services), and the second factor is
  reset only from a higher level, so an administrator who resets a password still cannot sign in as
  the owner of an account protected by a second factor.

accounts.services calls these checks before every write; they only read.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap, Role

EXCLUSIVE_ROLES = (Role.ADMIN, Role.AUDITOR)
PRIVILEGED_ROLES = frozenset({Role.ADMIN.value, Role.AUDITOR.value})


def check_role_set(roles: Iterable[str]) -> None:
    """An administrator or auditor holds no other role."""
    held = set(roles)
    for role in EXCLUSIVE_ROLES:
        if role.value in held and len(held) > 1:
            others = "、".join(str(Role(r).label) for r in sorted(held - {role.value}) if r in Role.values)
            raise ValidationError(
                _("三权分立：%(role)s不能同时担任其他角色（%(others)s）。") % {"role": role.label, "others": others},
                code="duties",
            )


def is_above(actor: User, region_code: str) -> bool:
    """The actor's region lies strictly above `region_code` (a short official code)."""
    own = actor.region_id or ""
    return bool(own) and len(own) < len(region_code) and region_code.startswith(own)


def _require_manager(actor: User, region_code: str) -> None:
    if not actor.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("您的角色无权管理账号。"))
    if not actor.covers(region_code):
        raise PermissionDenied(_("无权把账号设在该区划。"))


def _require_above_if_privileged(actor: User, roles: Iterable[str], region_code: str) -> None:
    if PRIVILEGED_ROLES & set(roles) and not is_above(actor, region_code):
        raise PermissionDenied(_("三权分立：系统管理员和审计员账号只能由上级系统管理员管理。"))


def check_create(actor: User | None, roles: Iterable[str], region_code: str) -> None:
    roles = list(roles)
    check_role_set(roles)
    if actor is None:  # the operator's command
        return
    _require_manager(actor, region_code)
    _require_above_if_privileged(actor, roles, region_code)


def check_update(actor: User | None, user: User, roles: Iterable[str], region_code: str, is_active: bool) -> None:
    roles = list(roles)
    check_role_set(roles)
    if actor is None:
        return
    if actor.pk == user.pk and (set(roles) != user.role_set or region_code != user.region_id or is_active != user.is_active):
        raise PermissionDenied(_("三权分立：不能修改自己的角色、所属区划或启用状态。"))
    _require_manager(actor, user.region_id or "")
    _require_manager(actor, region_code)
    _require_above_if_privileged(actor, user.role_set, user.region_id or "")
    _require_above_if_privileged(actor, roles, region_code)


def check_manage_credentials(actor: User | None, user: User) -> None:
    """Reset a password, unlock, revoke tokens: the same rules as changing the account."""
    if actor is None:
        return
    if actor.pk == user.pk:
        raise PermissionDenied(_("请通过“修改密码”修改自己的密码。"))
    _require_manager(actor, user.region_id or "")
    _require_above_if_privileged(actor, user.role_set, user.region_id or "")


def check_reset_second_factor(actor: User | None, user: User) -> None:
    """A lost authenticator is reset from the level above only: otherwise the administrator who
    resets a password could also enrol its own device and take the account over."""
    if actor is None:
        return
    check_manage_credentials(actor, user)
    if not is_above(actor, user.region_id or ""):
        raise PermissionDenied(_("动态口令只能由上级系统管理员重置。"))
