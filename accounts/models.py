from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_CAPS, Cap
from core.scoping import covers


class User(AbstractUser):
    """An official. Sees and changes only what lies under `region` (see core.scoping)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, verbose_name=_("所属区划"))
    roles = models.CharField(_("角色"), max_length=200, blank=True, help_text=_("逗号分隔的角色代码"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)

    @property
    def caps(self) -> frozenset[Cap]:
        cached = getattr(self, "_caps", None)
        if cached is None:
            cached = frozenset().union(*(ROLE_CAPS.get(r, frozenset()) for r in self.role_set))
            self._caps = cached
        return cached

    def has_role(self, role: str) -> bool:
        return role in self.role_set

    def can(self, cap: Cap) -> bool:
        return self.is_active and cap in self.caps

    def covers(self, region_code: str) -> bool:
        return covers(self.region_id or "", region_code)

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
