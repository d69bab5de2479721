"""Inspection campaigns, inspections (排查/核查), appraisals (鉴定) and the safety record of each house.

Inspection and appraisal rows are made with a client UUID (`uid`), so the field app can send the
same record any number of times and it is stored once. `HouseSafety` holds what a label and a list
need of a house (current grade, last check, public code); the grade history is the appraisals.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Located
from core.scoping import ScopedQuerySet
from inspections.campaign_workflow import MACHINE as CAMPAIGN_MACHINE


class CampaignKind(models.TextChoices):
    ANNUAL = "annual", _("年度排查")
    SWEEP = "sweep", _("专项排查")
    RECHECK = "recheck", _("回头看")


class Campaign(models.Model):
    """A sweep over a region (county or town) with a deadline. While open it covers the households of
    its region as the archive is today; once closed, the households its tasks hold (the snapshot taken
    when it was closed). Its state moves only by `inspections.campaign_workflow.MACHINE`."""

    name = models.CharField(_("排查名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=CampaignKind.choices, default=CampaignKind.ANNUAL)
    scope = models.CharField(_("排查范围"), max_length=12)  # the region code prefix, e.g. 610826
    region_code = models.CharField(max_length=12)  # scope padded to 12 digits, for scoping from above
    start_date = models.DateField(_("开始日期"))
    deadline = models.DateField(_("截止日期"))
    state = models.CharField(
        _("状态"), max_length=8, choices=CAMPAIGN_MACHINE.choices, default=CAMPAIGN_MACHINE.initial, editable=False
    )
    task_count = models.PositiveIntegerField(_("任务数"), default=0)  # at the start; once closed, the snapshot's
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    close_note = models.CharField(_("结束说明"), max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("排查工作")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["region_code", "start_date"], name="campaign_region_start")]
        constraints = [CAMPAIGN_MACHINE.constraint("campaign_state_known")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.state in CAMPAIGN_MACHINE.final


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("待排查")
    DONE = "done", _("已排查")


class InspectionTask(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    done_on = models.DateField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="task_once_per_campaign")]
        indexes = [models.Index(fields=["campaign", "region_code", "status"], name="task_campaign_region")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.household_id} {self.get_status_display()}"


class Verdict(models.TextChoices):
    SAFE = "safe", _("基本安全")
    SUSPECT = "suspect", _("疑似不安全")


RISK_PARTS = {
    "foundation": _("地基基础"),
    "walls": _("墙体"),
    "beams_columns": _("梁柱"),
    "floor_roof": _("楼屋面"),
    "site": _("场地"),
}


class Measure(models.TextChoices):
    APPRAISE = "appraise", _("进行安全性鉴定")
    MOVE_OUT = "move_out", _("人员撤离，确保安全")
    SEAL = "seal", _("停止使用，封闭")


class Source(models.TextChoices):
    WEB = "web", _("网页")
    FIELD = "field", _("现场采集")
    API = "api", _("接口")


class Inspection(Located):
    uid = models.UUIDField(_("记录编号"), unique=True, default=uuid.uuid4)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="inspections")
    house = models.ForeignKey("households.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12)
    inspector = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    inspector_name = models.CharField(_("排查人"), max_length=60)
    inspected_on = models.DateField(_("排查日期"))
    verdict = models.CharField(_("排查结论"), max_length=8, choices=Verdict.choices)
    risk_parts = models.JSONField(_("存在隐患的部位"), default=list, blank=True)
    measure = models.CharField(_("建议措施"), max_length=16, choices=Measure.choices, blank=True)
    answers = models.JSONField(_("其他情况"), default=dict, blank=True)
    household_confirmed = models.BooleanField(_("农户已确认"), default=False)
    confirmed_by = models.CharField(_("确认人"), max_length=50, blank=True)
    note = models.TextField(_("备注"), blank=True)
    source = models.CharField(_("途径"), max_length=8, choices=Source.choices, default=Source.WEB)
    captured_at = models.DateTimeField(_("现场采集时间"), null=True, blank=True)  # on the phone, for field records
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("排查记录")
        indexes = [
            models.Index(fields=["region_code", "inspected_on"], name="insp_region_date"),
            models.Index(fields=["household", "inspected_on"], name="insp_household_date"),
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.get_verdict_display()}"

    @property
    def risk_part_labels(self) -> str:
        return "、".join(str(RISK_PARTS.get(p, p)) for p in self.risk_parts)

    @property
    def audit_archive_id(self) -> int:
        return self.household_id


class AppraisalTaskStatus(models.TextChoices):
    PENDING = "pending", _("待鉴定")
    DONE = "done", _("已鉴定")


class AppraisalTask(models.Model):
    """A suspected-unsafe house waiting for its formal appraisal (made by the inspection)."""

    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    house = models.ForeignKey("households.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=AppraisalTaskStatus.choices, default=AppraisalTaskStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    done_on = models.DateField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["region_code", "status"], name="atask_region_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(status="pending"), name="atask_one_pending_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_status_display()}"


class Prevention(models.TextChoices):
    HAS = "has", _("具备")
    PARTLY = "partly", _("部分具备")
    LACKS = "lacks", _("完全不具备")


class AppraisalKind(models.TextChoices):
    ORIGINAL = "original", _("鉴定")
    SAMPLING = "sampling", _("第三方抽查复核")


class Appraisal(Located):
    uid = models.UUIDField(_("记录编号"), unique=True, default=uuid.uuid4)
    kind = models.CharField(_("类型"), max_length=10, choices=AppraisalKind.choices, default=AppraisalKind.ORIGINAL)
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="appraisals")
    house = models.ForeignKey("households.House", on_delete=models.CASCADE, related_name="appraisals")
    region_code = models.CharField(max_length=12)
    task = models.ForeignKey(AppraisalTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    structure_type = models.CharField(_("结构形式"), max_length=40)
    site_dangerous = models.BooleanField(_("场地危险"), default=False)
    site_note = models.CharField(_("场地情况"), max_length=200, blank=True)
    # key -> "a".."d" or "none" (无此构件); null is a blank, kept only in appraisals from before ADR 0031
    components = models.JSONField(_("构件等级"), default=dict)
    component_notes = models.JSONField(_("构件情况"), default=dict, blank=True)  # key -> the criterion picked / note
    computed_grade = models.CharField(_("规则评定等级"), max_length=1)
    rule = models.CharField(_("依据规则"), max_length=2)
    grade = models.CharField(_("鉴定等级"), max_length=1)
    raise_reason = models.TextField(_("调高等级理由"), blank=True)
    prevention = models.CharField(_("防灾措施"), max_length=8, choices=Prevention.choices)
    quantitative = models.JSONField(_("定量方法（参考）"), null=True, blank=True)
    appraisers = models.ManyToManyField("training.Trainee", related_name="appraisals", verbose_name=_("鉴定人员"))
    organisation = models.CharField(_("鉴定单位"), max_length=100)
    appraised_on = models.DateField(_("鉴定日期"))
    conclusion = models.TextField(_("鉴定结论及处理建议"), blank=True)
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("途径"), max_length=8, choices=Source.choices, default=Source.WEB)
    captured_at = models.DateTimeField(_("现场采集时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("鉴定记录")
        indexes = [
            models.Index(fields=["region_code", "appraised_on"], name="appr_region_date"),
            models.Index(fields=["house", "appraised_on"], name="appr_house_date"),
        ]

    def __str__(self) -> str:
        return f"{self.appraised_on} {self.grade}级"

    @property
    def audit_archive_id(self) -> int:
        return self.household_id


class HouseSafety(models.Model):
    """The house's current standing, kept by the services: grade, last check, its public label code."""

    house = models.OneToOneField("households.House", primary_key=True, on_delete=models.CASCADE, related_name="safety")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12)
    grade = models.CharField(_("鉴定等级"), max_length=1, blank=True)
    graded_on = models.DateField(_("鉴定日期"), null=True, blank=True)
    appraisal = models.ForeignKey(Appraisal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verdict = models.CharField(_("最近排查结论"), max_length=8, choices=Verdict.choices, blank=True)
    checked_on = models.DateField(_("最近检查日期"), null=True, blank=True)
    code = models.CharField(_("房屋码"), max_length=16, unique=True)  # public, unguessable (label QR)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["region_code", "grade"], name="safety_region_grade")]

    def __str__(self) -> str:
        return f"{self.code} {self.grade or '-'}"


class StratumLevel(models.TextChoices):
    COUNTY = "county", _("按县分层")
    TOWN = "town", _("按乡镇分层")


STRATUM_LENGTH = {StratumLevel.COUNTY: 6, StratumLevel.TOWN: 9}


class SamplingPlan(models.Model):
    """A third-party sample (第三方抽查): a reproducible stratified random draw of appraised houses."""

    name = models.CharField(_("抽查名称"), max_length=100)
    scope = models.CharField(_("抽查范围"), max_length=12)
    region_code = models.CharField(max_length=12)
    stratum_level = models.CharField(_("分层"), max_length=8, choices=StratumLevel.choices, default=StratumLevel.TOWN)
    ratio = models.DecimalField(_("抽样比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    size = models.PositiveIntegerField(_("每层抽取户数"), null=True, blank=True)
    seed = models.PositiveIntegerField(_("随机种子"))
    appraised_from = models.DateField(_("鉴定日期自"))
    appraised_to = models.DateField(_("鉴定日期至"))
    firm = models.CharField(_("抽查机构"), max_length=100)
    samplers = models.ManyToManyField("accounts.User", related_name="sampling_plans", verbose_name=_("抽查机构账号"))
    population = models.PositiveIntegerField(_("鉴定户数"), default=0)
    item_count = models.PositiveIntegerField(_("抽取户数"), default=0)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("第三方抽查")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class SampleStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    DONE = "done", _("已复核")


class SampleItem(models.Model):
    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="items")
    stratum = models.CharField(_("分层"), max_length=12)
    original = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="+", verbose_name=_("原鉴定"))
    house = models.ForeignKey("households.House", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12)
    status = models.CharField(_("状态"), max_length=8, choices=SampleStatus.choices, default=SampleStatus.PENDING)
    review = models.OneToOneField(
        Appraisal, null=True, blank=True, on_delete=models.SET_NULL, related_name="sample_item", verbose_name=_("复核鉴定")
    )
    agrees = models.BooleanField(_("等级一致"), null=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查样本")
        constraints = [models.UniqueConstraint(fields=["plan", "house"], name="sample_once_per_plan")]
        indexes = [models.Index(fields=["plan", "stratum", "status"], name="sample_plan_stratum")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.house_id} {self.get_status_display()}"
