"""The check every service makes before a write: the role's capability and the region's scope."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap


def require(actor: User | None, cap: Cap, region_code: str) -> None:
    """Commands run without an actor (system work); everyone else needs the capability and the scope."""
    if actor is None:
        return
    if not actor.can(cap):
        raise PermissionDenied(_("您的角色无权进行此操作。"))
    if not actor.covers(region_code):
        raise PermissionDenied(_("该区划不在您的管辖范围内。"))
