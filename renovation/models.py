"""Renovation cases (危房改造, domain 7): one per dangerous house of a key-group household, moving
through the workflow declared in renovation.workflow; every move is a CaseEvent."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopedQuerySet
from renovation import workflow
from renovation.modes import GUARANTEE_MODES, NEW_BUILD_MODES, BuildMethod, Mode, NoticeLevel


class Case(models.Model):
    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)  # photos refer to their case by it
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="cases")
    house = models.ForeignKey("households.House", on_delete=models.PROTECT, related_name="cases")
    appraisal = models.ForeignKey("inspections.Appraisal", on_delete=models.PROTECT, related_name="+", verbose_name=_("鉴定"))
    region_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("鉴定等级"), max_length=1)
    state = models.CharField(_("状态"), max_length=20, choices=workflow.MACHINE.choices, default=workflow.MACHINE.initial)
    on_hold = models.BooleanField(_("异议暂停"), default=False)
    deadline = models.DateField(_("完成期限"))
    mode = models.CharField(_("改造方式"), max_length=20, choices=Mode.choices, blank=True)
    build_method = models.CharField(_("建设方式"), max_length=12, choices=BuildMethod.choices, blank=True)
    family_size = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    planned_area = models.DecimalField(_("改造面积（㎡）"), max_digits=7, decimal_places=2, null=True, blank=True)
    subsidy = models.DecimalField(_("补助金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    builder = models.ForeignKey(
        "training.Trainee", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("施工方")
    )
    guarantee_evidence = models.TextField(_("保障方式证明"), blank=True)
    started_on = models.DateField(_("开工日期"), null=True, blank=True)
    structure_done_on = models.DateField(_("主体完工日期"), null=True, blank=True)
    completed_on = models.DateField(_("竣工日期"), null=True, blank=True)
    accepted_on = models.DateField(_("验收日期"), null=True, blank=True)
    paid_on = models.DateField(_("拨付完成日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("改造户")
        indexes = [
            models.Index(fields=["region_code", "year", "state"], name="case_region_year_state"),
            models.Index(fields=["region_code", "deadline"], name="case_region_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["house"], condition=~Q(state__in=list(workflow.FINAL_STATES)), name="case_one_open_per_house"
            ),
            workflow.MACHINE.constraint("case_state_declared"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}/{self.year} {self.state}"

    @property
    def audit_archive_id(self) -> int:
        return self.household_id

    @property
    def needs_construction(self) -> bool:
        return self.mode not in GUARANTEE_MODES

    @property
    def is_new_build(self) -> bool:
        return self.mode in NEW_BUILD_MODES


class CaseEvent(models.Model):
    """One step of a case: who moved it, from where to where, when, and why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=24)
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("经办人"), max_length=60)
    at = models.DateTimeField(_("时间"), auto_now_add=True)  # when it was entered
    effective_on = models.DateField(_("办理日期"), null=True, blank=True)  # the day it happened (a stage recorded later)
    comment = models.TextField(_("意见"), blank=True)
    batch = models.UUIDField(null=True, blank=True)  # cases moved together (a village's list)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class Notice(models.Model):
    """A public notice (公示) of a list of cases, with its period and the hotline for objections."""

    level = models.CharField(_("公示级别"), max_length=8, choices=NoticeLevel.choices)
    region_code = models.CharField(max_length=12)
    title = models.CharField(_("标题"), max_length=200)
    start_date = models.DateField(_("公示开始"))  # as the publisher gives it (the day it was posted)
    # The period runs from the later of the given start and the day the server recorded the notice, so a
    # back-dated start never shortens it (renovation.dates.notice_period).
    counted_from = models.DateField(_("公示期起算"), null=True)
    end_date = models.DateField(_("公示结束"))
    hotline = models.CharField(_("举报电话"), max_length=40)
    cases = models.ManyToManyField(Case, related_name="notices")
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """An objection during a notice: the case is held until it is resolved."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="objections")
    notice = models.ForeignKey(Notice, null=True, on_delete=models.SET_NULL, related_name="objections")
    region_code = models.CharField(max_length=12)
    received_on = models.DateField(_("收到日期"))
    content = models.TextField(_("异议内容"))
    resolved = models.BooleanField(_("已处理"), default=False)
    resolution = models.TextField(_("处理结果"), blank=True)
    upheld = models.BooleanField(_("异议成立"), default=False)
    recorded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    resolved_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示异议")

    def __str__(self) -> str:
        return self.content[:40]


class Acceptance(models.Model):
    """Completion acceptance 竣工验收 (domain 7.1 step 7): the checklist, the re-appraisal, the household's agreement."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="acceptance")
    checklist = models.JSONField(_("验收项目"))  # item key -> "ok" | "fail" | "na"
    reappraisal = models.ForeignKey(
        "inspections.Appraisal", on_delete=models.PROTECT, related_name="+", verbose_name=_("竣工后鉴定")
    )
    household_agrees = models.BooleanField(_("农户认可"))
    household_signatory = models.CharField(_("农户签字人"), max_length=50)
    inspectors = models.CharField(_("验收人员"), max_length=200)
    accepted_on = models.DateField(_("验收日期"))
    note = models.TextField(_("验收意见"), blank=True)

    def __str__(self) -> str:
        return f"{self.case_id} {self.accepted_on}"


class ProgressReport(models.Model):
    """A day's progress ranking as the county (or city) published it to its towns (每日调度通报)."""

    region_code = models.CharField(max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    day = models.DateField(_("日期"))
    rows = models.JSONField(_("排名"))
    published_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("进度通报")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["region_code", "year", "day"], name="progress_report_once_a_day")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day}"
