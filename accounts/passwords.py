from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
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
