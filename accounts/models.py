from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ROLE_CAPS, Cap, Role
from core.scoping import covers


class User(AbstractUser):
    """An official. Sees and changes only what lies under `region` (see core.scoping)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, verbose_name=_("所属区划"))
    roles = models.CharField(_("角色"), max_length=200, blank=True, help_text=_("逗号分隔的角色代码"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # The password in force: when it was set, by whom (someone else = an administrator's reset), and
    # whether it is a one-time password that must be changed before anything else (accounts.middleware).
    password_changed_at = models.DateTimeField(_("密码设置时间"), default=timezone.now)
    password_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("密码设置人")
    )
    must_change_password = models.BooleanField(_("须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # Separation of duties (accounts.duties), kept by the database too, so that no command or
            # shell walks around the service: the administrator and the auditor hold no other role.
            models.CheckConstraint(
                condition=~Q(roles__contains=Role.ADMIN.value) | Q(roles=Role.ADMIN.value), name="admin_role_alone"
            ),
            models.CheckConstraint(
                condition=~Q(roles__contains=Role.AUDITOR.value) | Q(roles=Role.AUDITOR.value), name="auditor_role_alone"
            ),
        ]

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
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class LoginThrottle(models.Model):
    """Failed sign-in attempts per account name and per client address (accounts.throttle).

    Keyed by the name as typed, so an unknown name is counted and locked exactly like a real one."""

    ACCOUNT = "u"
    ADDRESS = "a"

    scope = models.CharField(max_length=1, choices=[(ACCOUNT, _("账号")), (ADDRESS, _("地址"))])
    key = models.CharField(max_length=150)
    failures = models.IntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class TokenKind(models.TextChoices):
    LOGIN = "login", _("登录令牌")  # issued by /api/auth/token/ to an app (the field app); ends at logout
    NAMED = "named", _("接口令牌")  # made on the token page for another system, with a name


class TokenScope(models.TextChoices):
    READ = "read", _("只读")
    WRITE = "write", _("读写")


class ApiToken(models.Model):
    """An API credential. Only the SHA-256 of the key is stored; the key is shown once, when issued."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=TokenKind.choices, default=TokenKind.LOGIN)
    scope = models.CharField(_("权限"), max_length=10, choices=TokenScope.choices, default=TokenScope.WRITE)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("令牌前缀"), max_length=8)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("吊销人")
    )
    revoke_reason = models.CharField(_("吊销原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
