from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import DateInput
from households import validation as v
from training.models import Course, CourseKind, PersonKind, Trainee

DATE = DateInput()


class TraineeForm(forms.Form):
    name = forms.CharField(label=_("姓名/单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类别"), choices=PersonKind.choices)
    organisation = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    licence_no = forms.CharField(label=_("资质/证书编号"), max_length=60, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    region_code = forms.CharField(label=_("所属区划代码"), max_length=12, help_text=_("县或乡镇的区划代码，如 610826"))
    is_active = forms.BooleanField(label=_("在册"), required=False, initial=True)

    def clean_name(self) -> str:
        return v.compact(self.cleaned_data["name"])

    def clean_id_number(self) -> str:
        raw = self.cleaned_data["id_number"]
        if not v.compact(raw):
            return ""
        try:
            return v.id_number(raw, "id_number").value
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_phone(self) -> str:
        try:
            return v.phone(self.cleaned_data["phone"])
        except v.FieldError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_region_code(self) -> str:
        code = v.compact(self.cleaned_data["region_code"])
        if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
            raise forms.ValidationError(_("区划代码应为 2、4、6、9 或 12 位数字"))
        return code.ljust(12, "0")


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "kind", "organiser", "start_date", "end_date", "hours", "note"]
        widgets = {"start_date": DATE, "end_date": DATE, "note": forms.Textarea(attrs={"rows": 2})}


class EnrolForm(forms.Form):
    trainees = forms.ModelMultipleChoiceField(
        label=_("参加培训的人员"), queryset=Trainee.objects.none(), widget=forms.SelectMultiple(attrs={"size": 12})
    )
    issued_on = forms.DateField(label=_("发证日期"), widget=DATE, required=False, help_text=_("留空则为培训结束日期；有效期一年"))
    passed = forms.BooleanField(label=_("考核合格"), required=False, initial=True)
    certificate_prefix = forms.CharField(label=_("证书编号前缀"), max_length=20, required=False)

    def __init__(self, *args: Any, trainees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainees"].queryset = trainees  # type: ignore[attr-defined]


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名"), required=False)
    kind = forms.ChoiceField(label=_("类别"), choices=[("", "全部"), *PersonKind.choices], required=False)
    status = forms.ChoiceField(
        label=_("培训状态"),
        choices=[("", "全部"), ("valid", "在有效期内"), ("expired", "已过期或未培训")],
        required=False,
    )
    course_kind = forms.ChoiceField(label=_("培训类别"), choices=[("", "任意"), *CourseKind.choices], required=False)
    on = forms.DateField(label=_("截至日期"), required=False, widget=DATE)

    def day(self) -> dt.date:
        return (self.cleaned_data.get("on") if self.is_valid() else None) or dt.date.today()
