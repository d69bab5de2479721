"""What the field app sends besides its records: photos, the evidence flags the server raises on
them, the conflicts it keeps when the archive changed while a worker was offline, and each device's
clock (to notice records captured out of order).

Photos and flags refer to their record by the record's client UUID (`record_uid`), which is known
on the phone before the record reaches the server, so a photo can never be orphaned by a resend.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Located
from core.scoping import ScopedQuerySet


class RecordKind(models.TextChoices):
    INSPECTION = "inspection", _("排查")
    APPRAISAL = "appraisal", _("鉴定")
    CASE = "case", _("危房改造")


class EvidenceClass(models.TextChoices):
    """What stands behind a photo's time and place (ADR 0026)."""

    FIELD = "field", _("现场定位")  # fix and time captured by the field app and declared through the sync protocol
    EXIF = "exif", _("仅EXIF")  # only the picture's own EXIF (any camera or editor can write it)
    NONE = "none", _("无定位")  # neither: a screenshot, a scan, a picture with its metadata removed


class Photo(Located):
    uid = models.UUIDField(unique=True, default=uuid.uuid4)
    record_kind = models.CharField(_("记录类型"), max_length=12, choices=RecordKind.choices)
    record_uid = models.UUIDField(_("记录编号"), db_index=True)
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    house = models.ForeignKey("households.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12)
    part = models.CharField(_("拍摄部位"), max_length=20, blank=True)  # a component key, "site" or "overview"
    size = models.PositiveIntegerField(_("文件大小"))
    received = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=40, default="image/jpeg")  # the verified type (set on completion)
    file = models.FileField(upload_to="photos/%Y/%m/", blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    uploaded_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Why the server refused the content (not a picture it could decode and re-encode); a refused photo is never served.
    refused = models.CharField(_("拒收原因"), max_length=200, blank=True)
    # What stands behind the time and place (set on completion); EXIF is kept as data, never as the field app's fix.
    evidence = models.CharField(_("定位来源"), max_length=8, choices=EvidenceClass.choices, default=EvidenceClass.NONE)
    exif_taken_at = models.DateTimeField(_("EXIF拍摄时间"), null=True, blank=True)
    exif_latitude = models.DecimalField(_("EXIF纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    exif_longitude = models.DecimalField(_("EXIF经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("现场照片")
        indexes = [models.Index(fields=["sha256"], name="photo_sha256")]

    def __str__(self) -> str:
        return f"{self.uid} {self.part}"

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


class EvidenceOverride(models.Model):
    """A town reviewer's decision that a construction stage may go on without a located photo, and why."""

    record_uid = models.UUIDField(_("记录编号"))
    part = models.CharField(_("施工节点照片"), max_length=20)
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    region_code = models.CharField(max_length=12)
    reason = models.CharField(_("理由"), max_length=300)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_by_name = models.CharField(_("登记人"), max_length=60)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("照片证据例外")
        constraints = [models.UniqueConstraint(fields=["record_uid", "part"], name="evidence_override_once")]

    def __str__(self) -> str:
        return f"{self.record_uid} {self.part}"


class FlagKind(models.TextChoices):
    FAR = "far", _("定位远离房屋登记位置")
    FUTURE = "future", _("采集时间晚于当前时间")
    OUT_OF_ORDER = "out_of_order", _("采集时间顺序异常")
    DUPLICATE_PHOTO = "duplicate_photo", _("同一照片用于不同房屋")
    MOCK_LOCATION = "mock_location", _("设备报告模拟定位")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    CONFIRMED = "confirmed", _("确有问题")
    DISMISSED = "dismissed", _("核查无误")


class EvidenceFlag(models.Model):
    kind = models.CharField(_("疑点类型"), max_length=16, choices=FlagKind.choices)
    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    house = models.ForeignKey("households.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12)
    record_kind = models.CharField(_("记录类型"), max_length=12, choices=RecordKind.choices)
    record_uid = models.UUIDField(_("记录编号"))
    photo = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    detail = models.CharField(_("说明"), max_length=300)
    worker = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("核查状态"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    review_note = models.CharField(_("核查意见"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("证据疑点")
        indexes = [models.Index(fields=["region_code", "status"], name="flag_region_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.detail}"


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    KEPT_FIELD = "kept_field", _("采用现场版本")
    KEPT_SERVER = "kept_server", _("保留系统版本")


class Conflict(models.Model):
    """A field record made on data that changed on the server meanwhile; both versions kept until the town decides."""

    household = models.ForeignKey("households.Household", on_delete=models.CASCADE, related_name="+")
    house = models.ForeignKey("households.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=12)
    record_kind = models.CharField(_("记录类型"), max_length=12, choices=RecordKind.choices)
    record_uid = models.UUIDField(_("记录编号"))
    worker = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("冲突原因"), max_length=300)
    field_version = models.JSONField(_("现场版本"))
    server_version = models.JSONField(_("系统版本"))
    status = models.CharField(_("处理状态"), max_length=12, choices=ConflictStatus.choices, default=ConflictStatus.OPEN)
    resolved_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("处理意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("同步冲突")
        indexes = [models.Index(fields=["region_code", "status"], name="conflict_region_status")]

    def __str__(self) -> str:
        return self.reason


class DeviceClock(models.Model):
    """The latest record a device has sent (by its own sequence number), to notice time running backwards."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    device = models.CharField(max_length=64)
    seq = models.PositiveIntegerField(default=0)
    captured_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "device"], name="device_clock_once")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.device} #{self.seq}"
