"""Editable code tables: structure types, household categories, relations, roof forms, ...

National lists ship as rows marked `is_national`; a province or county adds its own entries (for
example cave dwellings 窑洞 in northern Shaanxi) without a code change.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Table(models.TextChoices):
    STRUCTURE_TYPE = "structure_type", _("结构形式")
    HOUSEHOLD_CATEGORY = "household_category", _("农户类别")
    RELATION = "relation", _("与户主关系")
    ROOF_FORM = "roof_form", _("屋顶形式")
    HOUSE_USE = "house_use", _("房屋用途")
    HOTLINE = "hotline", _("监督举报电话")  # code: a region code prefix; name: the number printed on labels


class CodeItem(models.Model):
    table = models.CharField(_("代码表"), max_length=40, choices=Table.choices)
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    group = models.CharField(_("分组"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_national = models.BooleanField(_("国家标准"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("代码项")
        ordering = ["table", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["table", "code"], name="codeitem_table_code"),
            models.UniqueConstraint(fields=["table", "name"], name="codeitem_table_name"),
        ]

    def __str__(self) -> str:
        return self.name


# Tables whose entries clerks write by name in spreadsheets (the hotline table is not written by anyone).
ALIAS_TABLES = (Table.STRUCTURE_TYPE, Table.HOUSEHOLD_CATEGORY, Table.RELATION, Table.ROOF_FORM, Table.HOUSE_USE)
COUNTY_CODE_LENGTH = 6


class CodeAlias(models.Model):
    """Another way of writing a code-table entry (砖混结构 for 砖混), read by the import.

    `region_code` "" holds everywhere (the seeded, unambiguous spellings); a county's 6-digit code
    holds in that county only: a short name that could mean two entries (低保户) maps only through an
    alias the county has set itself (ADR 0030)."""

    table = models.CharField(_("代码表"), max_length=40, choices=Table.choices)
    alias = models.CharField(_("别名"), max_length=100)
    code = models.CharField(_("对应代码"), max_length=40)
    region_code = models.CharField(_("适用区划"), max_length=COUNTY_CODE_LENGTH, blank=True, default="")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", verbose_name=_("设置人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("设置时间"), auto_now_add=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("代码别名")
        ordering = ["table", "region_code", "alias"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "region_code", "alias"], condition=models.Q(is_active=True), name="codealias_active_unique"
            ),
        ]
        indexes = [models.Index(fields=["table", "region_code"], name="codealias_table_region")]

    def __str__(self) -> str:
        return self.alias
