"""The training ledger (培训台账, domain 8.6): who was trained, on which course, valid until when.

Inspections refuse an appraisal by an appraiser without valid training; renovation will refuse an
untrained builder the same way (`training.services.require_trained`).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import Sealed, SecretField
from core.scoping import ScopedQuerySet


class PersonKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    APPRAISER = "appraiser", _("鉴定人员")
    CRAFTSMAN = "craftsman", _("建筑工匠")
    FIRM = "firm", _("施工单位")


class CourseKind(models.TextChoices):
    INSPECTION = "inspection", _("住房安全排查")
    APPRAISAL = "appraisal", _("房屋安全性鉴定")
    CONSTRUCTION = "construction", _("建筑工匠/施工")
    POLICY = "policy", _("政策业务")


# What each kind of work needs: a valid record on one of these course kinds.
QUALIFIES: dict[str, tuple[str, ...]] = {
    "inspection": (CourseKind.INSPECTION, CourseKind.APPRAISAL),
    "appraisal": (CourseKind.APPRAISAL,),
    "construction": (CourseKind.CONSTRUCTION,),
}


class Trainee(Sealed):
    region_code = models.CharField(_("所属区划"), max_length=12)
    name = models.CharField(_("姓名/单位名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=PersonKind.choices)
    organisation = models.CharField(_("工作单位"), max_length=100, blank=True)
    licence_no = models.CharField(_("资质/证书编号"), max_length=60, blank=True)
    id_number_enc = models.BinaryField(editable=False, default=b"")
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_enc = models.BinaryField(editable=False, default=b"")
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    user = models.OneToOneField(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="trainee", verbose_name=_("系统账号")
    )
    is_active = models.BooleanField(_("在册"), default=True)
    version = models.PositiveIntegerField(default=1)

    id_number = SecretField()
    phone = SecretField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训人员")
        indexes = [models.Index(fields=["region_code", "kind", "name"], name="trainee_region_kind")]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    region_code = models.CharField(_("举办区划"), max_length=12)
    title = models.CharField(_("培训名称"), max_length=200)
    kind = models.CharField(_("培训类别"), max_length=16, choices=CourseKind.choices)
    organiser = models.CharField(_("举办单位"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    hours = models.PositiveSmallIntegerField(_("学时"), default=8)
    note = models.TextField(_("备注"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训班")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["region_code", "start_date"], name="course_region_start")]

    def __str__(self) -> str:
        return f"{self.title}（{self.start_date:%Y-%m-%d}）"


class TrainingRecord(models.Model):
    trainee = models.ForeignKey(Trainee, on_delete=models.PROTECT, related_name="records")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="records")
    region_code = models.CharField(max_length=12)  # the trainee's, for scoping
    passed = models.BooleanField(_("考核合格"), default=True)
    certificate_no = models.CharField(_("证书编号"), max_length=60, blank=True)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("培训记录")
        constraints = [models.UniqueConstraint(fields=["trainee", "course"], name="training_once_per_course")]
        indexes = [models.Index(fields=["trainee", "valid_until"], name="training_validity")]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.course}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.passed and self.issued_on <= day <= self.valid_until
