from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from accounts.models import TokenScope
from accounts.roles import Role


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class PasswordForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, help_text=password_validators_help_text_html)
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class UserForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    region = forms.CharField(label=_("所属区划代码"), max_length=12)
    roles = forms.MultipleChoiceField(label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput, required=False, help_text=password_validators_help_text_html
    )


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("身份验证器（如微信小程序“腾讯身份验证器”、Google Authenticator）显示的 6 位数字。"),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("用途"), max_length=100, help_text=_("例如：民政局低保数据比对接口"))
    scope = forms.ChoiceField(label=_("权限"), choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.TypedChoiceField(
        label=_("有效期"),
        coerce=int,
        choices=[(7, _("7 天")), (30, _("30 天")), (90, _("90 天")), (365, _("1 年"))],
        initial=30,
    )
