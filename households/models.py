"""The archive: one record per rural household (一户一档), its members, categories and houses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import Sealed, SecretField
from core.scoping import ScopedQuerySet


class RegionOwned(models.Model):
    """Rows that belong to a village. `region_code` leads the indexes of every large table.

    Each model declares its own region index: a plain B-tree serves the closed range that
    core.scoping filters with, so the `_like` twin Django adds for `db_index=True` would only cost writes.
    """

    region_code = models.CharField(_("区划代码"), max_length=12)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Household(Sealed, RegionOwned):
    region_code = models.CharField(_("区划代码"), max_length=12)  # indexed as the lead of hh_region_* below
    # Not indexed: regions are never deleted and lists filter on region_code (the village's full code).
    village = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("村"), db_index=False
    )
    region_edition = models.CharField(_("区划版本"), max_length=40, blank=True)
    group_name = models.CharField(_("组"), max_length=50, blank=True)
    archive_no = models.CharField(_("档案编号"), max_length=40, blank=True)
    head_name = models.CharField(_("户主姓名"), max_length=50)
    head_id_enc = models.BinaryField(editable=False)
    head_id_hash = models.CharField(max_length=64, editable=False)  # unique: hh_head_id_unique
    head_sex = models.CharField(_("性别"), max_length=1, blank=True)
    head_birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_needs_review = models.BooleanField(_("身份证号待核实"), default=False)
    phone_enc = models.BinaryField(editable=False, default=b"")
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    family_size = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    bank_name = models.CharField(_("开户银行"), max_length=60, blank=True)
    bank_account_enc = models.BinaryField(editable=False, default=b"")
    bank_account_hash = models.CharField(max_length=64, blank=True, editable=False)
    only_house = models.BooleanField(_("一户一宅"), default=True)
    is_key_group = models.BooleanField(_("重点对象"), default=False)
    # The dwelling's structure and year, kept by households.services.sync_dwelling so that lists
    # filter on one table (docs/adr/0007-dwelling-facts-on-household.md).
    dwelling_structure = models.CharField(_("主要居住房屋结构"), max_length=40, blank=True)
    dwelling_year_built = models.PositiveSmallIntegerField(_("主要居住房屋建造年份"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    # The audit event that created the household: its own, or the batch event of an import or demo
    # run that created a village's households together (docs/adr/0014-import-write-path.md).
    creation_event_id = models.BigIntegerField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    head_id = SecretField()
    phone = SecretField()
    bank_account = SecretField()

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        indexes = [
            models.Index(fields=["region_code", "head_name"], name="hh_region_name"),
            models.Index(fields=["head_name"], name="hh_name"),  # sorting by name
            # varchar_pattern_ops lets PostgreSQL serve `LIKE '王%'` (name prefix search)
            models.Index(fields=["head_name"], name="hh_name_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["region_code", "-updated_at"], name="hh_region_updated"),
            models.Index(fields=["dwelling_structure", "region_code"], name="hh_structure_region"),
            models.Index(fields=["dwelling_year_built", "region_code"], name="hh_year_region"),
            # key-group households are a few per cent: only their rows enter this index
            models.Index(fields=["region_code"], name="hh_key_region", condition=models.Q(is_key_group=True)),
        ]
        # one household per head ID number (a constraint, not `unique=True`, so no `_like` index on a hash)
        constraints = [models.UniqueConstraint(fields=["head_id_hash"], name="hh_head_id_unique")]

    def __str__(self) -> str:
        return f"{self.head_name}户"

    @property
    def audit_archive_id(self) -> int | None:
        return self.pk


class HouseholdCategory(RegionOwned):
    # hhcat_unique leads with household_id, so the foreign key needs no index of its own
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="categories", db_index=False)
    code = models.CharField(_("类别"), max_length=40)
    source = models.CharField(_("认定部门"), max_length=60, blank=True)
    start_date = models.DateField(_("起始日期"), null=True, blank=True)
    end_date = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("农户类别")
        # household_id and end_date ride in the index so category filters are index-only scans
        indexes = [
            models.Index(fields=["code", "region_code"], name="hhcat_code_region", include=["household_id", "end_date"]),
            models.Index(fields=["region_code"], name="hhcat_region"),
        ]
        constraints = [models.UniqueConstraint(fields=["household", "code", "start_date"], name="hhcat_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_archive_id(self) -> int | None:
        return self.household_id


class Member(Sealed, RegionOwned):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    id_number_enc = models.BinaryField(editable=False, default=b"")
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    relation = models.CharField(_("与户主关系"), max_length=40)
    id_needs_review = models.BooleanField(_("身份证号待核实"), default=False)
    version = models.PositiveIntegerField(default=1)

    id_number = SecretField()

    class Meta:
        verbose_name = _("家庭成员")
        indexes = [models.Index(fields=["region_code"], name="member_region")]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=~models.Q(id_number_hash=""), name="member_unique_id")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_archive_id(self) -> int | None:
        return self.household_id


class House(RegionOwned):
    region_code = models.CharField(_("区划代码"), max_length=12)  # indexed by house_region below
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="houses")
    is_dwelling = models.BooleanField(_("主要居住房屋"), default=True)
    group_name = models.CharField(_("组"), max_length=50, blank=True)
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(_("建造年份"), null=True, blank=True)
    structure_type = models.CharField(_("结构形式"), max_length=40, blank=True)
    storeys = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    bays = models.PositiveSmallIntegerField(_("开间数"), null=True, blank=True)
    floor_area = models.DecimalField(_("建筑面积（㎡）"), max_digits=8, decimal_places=2, null=True, blank=True)
    wall_front = models.CharField(_("前纵墙材料"), max_length=40, blank=True)
    wall_back = models.CharField(_("后纵墙材料"), max_length=40, blank=True)
    wall_gable = models.CharField(_("山墙材料"), max_length=40, blank=True)
    wall_inner = models.CharField(_("内横墙材料"), max_length=40, blank=True)
    roof_form = models.CharField(_("屋顶形式"), max_length=40, blank=True)
    roof_covering = models.CharField(_("屋面材料"), max_length=200, blank=True)
    seismic_intensity = models.PositiveSmallIntegerField(_("设防烈度"), null=True, blank=True)
    site_hazards = models.CharField(_("场地隐患"), max_length=200, blank=True)
    use = models.CharField(_("用途"), max_length=40, default="self_occupied")
    is_occupied = models.BooleanField(_("有人居住"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        # lists filter houses by region only; structure and year filters run on the household row (ADR 0007)
        indexes = [models.Index(fields=["region_code"], name="house_region")]

    def __str__(self) -> str:
        return self.address or f"{self.household}的房屋"

    @property
    def audit_archive_id(self) -> int | None:
        return self.household_id
