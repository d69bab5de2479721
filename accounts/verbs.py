"""Chinese labels of the audit verbs accounts writes beside the ones audit.labels already has
(added to audit.labels.VERBS at start-up, so timelines and exports name them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

VERBS = {
    "user.reset_password": _("管理员重置密码"),
    "user.reset_otp": _("重置动态口令"),
    "auth.otp_enrol": _("绑定动态口令"),
    "token.issue": _("签发 API 令牌"),
    "token.revoke": _("吊销 API 令牌"),
    "token.revoke_all": _("吊销全部 API 令牌"),
}


def register() -> None:
    from audit.labels import VERBS as ALL

    for verb, label in VERBS.items():
        ALL.setdefault(verb, label)
