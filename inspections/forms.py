from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.widgets import DateInput
from inspections.grading import GRADES
from inspections.models import RISK_PARTS, CampaignKind, Measure, Prevention, StratumLevel, Verdict
from regions.models import Level
from regions.selectors import options as region_options

DATE = DateInput()
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
        self.fields["scope"].choices = self.scope_choices(user)  # type: ignore[attr-defined]

    @staticmethod
    def scope_choices(user: User) -> list[tuple[str, str]]:
        own = user.region_id or ""
        towns = region_options(own, (Level.COUNTY, Level.TOWN)) or []
        label = user.region.name if user.region else own
        return [(own, f"{label}（全部）"), *[(c, n) for c, n in towns if c != own]]


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
    # the campaign the page was opened from (its pending list); without it the server finds the open one.
    # Not named "campaign": the service's refusal under that key then shows at the top of the form.
    in_campaign = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

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


class SamplingPlanForm(forms.Form):
    name = forms.CharField(label=_("抽查名称"), max_length=100, help_text=_("如：2026年第三方抽查（第一批）"))
    scope = forms.ChoiceField(label=_("抽查范围"))
    stratum_level = forms.ChoiceField(label=_("分层"), choices=StratumLevel.choices, initial=StratumLevel.TOWN)
    ratio = forms.DecimalField(label=_("抽样比例（%）"), max_digits=5, decimal_places=2, required=False,
                               help_text=_("与“每层抽取户数”二选一"))  # fmt: skip
    size = forms.IntegerField(label=_("每层抽取户数"), min_value=1, required=False)
    seed = forms.IntegerField(label=_("随机种子"), min_value=0, max_value=2**31 - 1,
                              help_text=_("相同的种子和鉴定数据抽出相同的样本，可复核抽样过程"))  # fmt: skip
    appraised_from = forms.DateField(label=_("鉴定日期自"), widget=DATE)
    appraised_to = forms.DateField(label=_("鉴定日期至"), widget=DATE, initial=dt.date.today)
    firm = forms.CharField(label=_("抽查机构"), max_length=100)
    samplers = forms.MultipleChoiceField(label=_("抽查机构账号"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: User, samplers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = CampaignForm.scope_choices(user)  # type: ignore[attr-defined]
        self.fields["samplers"].choices = samplers  # type: ignore[attr-defined]
