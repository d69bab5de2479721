from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from inspections.grading import GRADES
from inspections.models import RISK_PARTS, CampaignKind, Measure, Prevention, Verdict
from regions.models import Level
from regions.selectors import options as region_options

DATE = forms.DateInput(attrs={"type": "date"})
YES_NO = [("", "—"), ("yes", "是"), ("no", "否")]
QUESTIONS = {
    "designed": _("是否经过专业设计"),
    "appraised_before": _("是否进行过安全鉴定"),
    "strengthened": _("是否进行过抗震加固"),
    "measures": _("是否采取抗震构造措施"),
    "extended": _("是否存在改扩建"),
}
BUILDERS = [("", "—"), ("self", "自建"), ("craftsman", "工匠建造"), ("team", "施工队建造")]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("排查名称"), max_length=100, help_text=_("如：2026年农村住房安全年度排查"))
    kind = forms.ChoiceField(label=_("类型"), choices=CampaignKind.choices)
    scope = forms.ChoiceField(label=_("排查范围"))
    start_date = forms.DateField(label=_("开始日期"), widget=DATE, initial=dt.date.today)
    deadline = forms.DateField(label=_("截止日期"), widget=DATE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = user.region_id or ""
        towns = region_options(own, (Level.COUNTY, Level.TOWN)) or []
        label = user.region.name if user.region else own
        self.fields["scope"].choices = [(own, f"{label}（全部）"), *[(c, n) for c, n in towns if c != own]]  # type: ignore[attr-defined]


class InspectionForm(forms.Form):
    inspected_on = forms.DateField(label=_("排查日期"), widget=DATE, initial=dt.date.today)
    inspector_name = forms.CharField(label=_("排查人"), max_length=60)
    verdict = forms.ChoiceField(label=_("排查结论"), choices=Verdict.choices, widget=forms.RadioSelect)
    risk_parts = forms.MultipleChoiceField(
        label=_("存在隐患的部位"), choices=list(RISK_PARTS.items()), required=False, widget=forms.CheckboxSelectMultiple
    )
    measure = forms.ChoiceField(label=_("建议措施"), choices=[("", "—"), *Measure.choices], required=False)
    builder = forms.ChoiceField(label=_("建造方式"), choices=BUILDERS, required=False)
    household_confirmed = forms.BooleanField(label=_("农户已确认排查结果"), required=False)
    confirmed_by = forms.CharField(label=_("确认人（农户）"), max_length=50, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    uid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in QUESTIONS.items():
            self.fields[f"q_{key}"] = forms.ChoiceField(label=label, choices=YES_NO, required=False)

    def answers(self) -> dict[str, str]:
        data = {k: self.cleaned_data.get(f"q_{k}", "") for k in QUESTIONS}
        data["builder"] = self.cleaned_data.get("builder", "")
        return {k: v for k, v in data.items() if v}


class AppraisalForm(forms.Form):
    """The national form's header fields; the component grades come from the grading widget."""

    appraised_on = forms.DateField(label=_("鉴定日期"), widget=DATE, initial=dt.date.today)
    organisation = forms.CharField(label=_("鉴定单位"), max_length=100)
    appraisers = forms.MultipleChoiceField(label=_("鉴定人员"), widget=forms.CheckboxSelectMultiple)
    site_dangerous = forms.BooleanField(label=_("场地危险（滑坡、沉陷、行洪通道等）"), required=False)
    site_note = forms.CharField(label=_("场地情况"), max_length=200, required=False)
    prevention = forms.ChoiceField(label=_("防灾措施"), choices=Prevention.choices, widget=forms.RadioSelect)
    raised_to = forms.ChoiceField(label=_("调高为"), choices=[("", "不调整"), *[(g, f"{g}级") for g in GRADES]], required=False)
    raise_reason = forms.CharField(label=_("调高理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    conclusion = forms.CharField(label=_("鉴定结论及处理建议"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    uid = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, appraisers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appraisers"].choices = appraisers  # type: ignore[attr-defined]


class WeeklyForm(forms.Form):
    week_end = forms.DateField(label=_("统计截至（周四）"), widget=DATE, required=False)
    campaign = forms.TypedChoiceField(label=_("排查工作"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, campaigns: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "全部（本年度）"), *campaigns]  # type: ignore[attr-defined]
