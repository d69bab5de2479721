from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def char_kinds(password: str) -> int:
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(kinds)


class ComplexityValidator:
    """At least `min_length` characters of `min_kinds` kinds (lower, upper, digit, symbol), not the username."""

    def __init__(self, min_length: int = 8, min_kinds: int = 3) -> None:
        self.min_length = min_length
        self.min_kinds = min_kinds

    def validate(self, password: str, user: Any = None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(ValidationError(_("密码至少需要 %(n)d 个字符。") % {"n": self.min_length}, code="too_short"))
        if char_kinds(password) < self.min_kinds:
            errors.append(
                ValidationError(
                    _("密码需包含大写字母、小写字母、数字、符号中的至少 %(n)d 种。") % {"n": self.min_kinds}, code="too_simple"
                )
            )
        username = getattr(user, "username", "") or ""
        if username and username.lower() in password.lower():
            errors.append(ValidationError(_("密码不能包含用户名。"), code="contains_username"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _("至少 %(n)d 个字符，含大写字母、小写字母、数字、符号中的至少 %(k)d 种，且不能包含用户名。") % {
            "n": self.min_length,
            "k": self.min_kinds,
        }


def password_expired(user: Any) -> bool:
    days = int(settings.PASSWORD_MAX_AGE_DAYS)
    changed = getattr(user, "password_changed_at", None)
    return bool(days and changed and timezone.now() - changed > dt.timedelta(days=days))


def change_required_reason(user: Any) -> str:
    """Why the user must change the password before doing anything else, or ''."""
    if getattr(user, "must_change_password", False):
        return _("您的密码为一次性密码（初始密码或管理员重置的密码），请先修改密码。")
    if password_expired(user):
        return _("您的密码已超过 %(d)d 天未修改，请先修改密码。") % {"d": settings.PASSWORD_MAX_AGE_DAYS}
    return ""
