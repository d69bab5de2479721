from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from codetables.models import ALIAS_TABLES, COUNTY_CODE_LENGTH, CodeAlias, CodeItem
from codetables.selectors import invalidate
from core import policy
from households.validation import compact
from regions.models import Level, Region
from regions.selectors import name_of

PROVINCE_CODE_LENGTH = 2
FIELDS = ("table", "code", "name", "group", "sort_order", "is_active", "note")
ALIAS_FIELDS = ("table", "alias", "code", "region_code", "note", "is_active")


@transaction.atomic
def save_item(*, actor: User, item: CodeItem) -> CodeItem:
    if not actor.can(Cap.MANAGE_CODES):
        raise PermissionDenied(_("您的角色无权维护代码表。"))
    if len(actor.region_id or "") > PROVINCE_CODE_LENGTH:
        # code tables serve the whole installation, so one level owns them
        raise PermissionDenied(_("代码表由省级系统管理员维护，请联系省级管理员。"))
    before = None
    if item.pk:
        old = CodeItem.objects.get(pk=item.pk)
        if old.is_national and (old.code != item.code or old.table != item.table):
            raise PermissionDenied(_("国家标准代码不能修改代码值，只能停用。"))
        before = {f: getattr(old, f) for f in FIELDS}
    taken = CodeAlias.objects.filter(table=item.table, alias=compact(item.name), is_active=True).first()
    if taken is not None:
        facts = {"n": item.name, "where": region_label(taken.region_code), "to": entry_name(taken)}
        raise ValidationError({"name": _("“%(n)s”已是%(where)s的别名（对应“%(to)s”），请换一个名称或先停用该别名。") % facts})
    item.save()
    invalidate(item.table)
    record(
        "codeitem.update" if before else "codeitem.create",
        actor=actor,
        obj=item,
        before=before,
        after={f: getattr(item, f) for f in FIELDS},
    )
    return item


# --- aliases ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AliasInput:
    table: str
    alias: str
    code: str
    region_code: str  # "" everywhere, or a county's 6-digit code
    note: str = ""
    is_active: bool = True


def region_label(region_code: str) -> str:
    return _("全省通用") if not region_code else f"{name_of(region_code) or region_code}（{region_code}）"


def entry_name(alias: CodeAlias) -> str:
    item = CodeItem.objects.filter(table=alias.table, code=alias.code).first()
    return item.name if item else alias.code


def _conflict(table: str, text: str, region_code: str, pk: int | None) -> str | None:
    """Why `text` may not be an alias in this table and region: another entry's name or code, or an
    active alias that holds in the same place (everywhere overlaps every county)."""
    item = CodeItem.objects.filter(Q(name=text) | Q(code=text), table=table).first()
    if item is not None:
        what = _("名称") if item.name == text else _("代码")
        return _("“%(t)s”已是代码项“%(n)s”的%(what)s，不必再设别名。") % {"t": text, "n": item.name, "what": what}
    others = CodeAlias.objects.filter(table=table, alias=text, is_active=True)
    if pk is not None:
        others = others.exclude(pk=pk)
    if region_code:
        others = others.filter(region_code__in=["", region_code])
    other = others.order_by("region_code").first()
    if other is None:
        return None
    return _("“%(t)s”已是%(where)s的别名（对应“%(to)s”），同一代码表中不能重复。") % {
        "t": text,
        "where": region_label(other.region_code),
        "to": entry_name(other),
    }


def _check_alias(data: AliasInput, pk: int | None) -> str:
    errors: dict[str, str] = {}
    text = compact(data.alias)
    if data.table not in ALIAS_TABLES:
        errors["table"] = _("该代码表不能设置别名。")
    if not text:
        errors["alias"] = _("请填写别名。")
    elif len(text) > CodeAlias._meta.get_field("alias").max_length:  # type: ignore[operator]
        errors["alias"] = _("别名过长（最多 100 个字）。")
    if data.is_active and not CodeItem.objects.filter(table=data.table, code=data.code, is_active=True).exists():
        errors["code"] = _("请选择该代码表中一个启用的代码项。")
    if data.region_code and not (
        len(data.region_code) == COUNTY_CODE_LENGTH and Region.objects.filter(code=data.region_code, level=Level.COUNTY).exists()
    ):
        errors["region_code"] = _("别名只能设为全省通用，或某个县（区）适用。")
    if not errors and data.is_active:  # a stopped alias reads nothing, so it conflicts with nothing
        problem = _conflict(data.table, text, data.region_code, pk)
        if problem:
            errors["alias"] = problem
    if errors:
        raise ValidationError(errors)
    return text


def _snapshot(alias: CodeAlias) -> dict[str, object]:
    return {f: getattr(alias, f) for f in ALIAS_FIELDS}


@transaction.atomic
def save_alias(*, actor: User, alias: CodeAlias | None, data: AliasInput) -> CodeAlias:
    """Add or change an alias. Where it may hold is the access policy's: the administrator of a county
    sets that county's, the province's also those valid everywhere (accounts/policy.py)."""
    if not policy.allowed(actor, CodeAlias, "change"):
        raise PermissionDenied(_("您的角色无权维护代码别名。"))
    if alias is not None and not policy.permits(actor, alias, "change"):
        raise PermissionDenied(_("该别名不在您的管辖范围内。"))
    text = _check_alias(data, alias.pk if alias else None)
    before = _snapshot(alias) if alias else None
    target = alias or CodeAlias(created_by=actor)
    target.table, target.alias, target.code = data.table, text, data.code
    target.region_code, target.note, target.is_active = data.region_code, data.note.strip()[:200], data.is_active
    target.save()
    if not policy.permits(actor, target, "change"):  # the place it would now hold is not the actor's
        raise PermissionDenied(
            _("您只能设置本辖区内县（区）的别名：%(where)s不在您的管辖范围内。") % {"where": region_label(data.region_code)}
        )
    invalidate(target.table)
    if before is None:
        verb = "codealias.create"
    elif before["is_active"] != target.is_active:
        verb = "codealias.reactivate" if target.is_active else "codealias.deactivate"
    else:
        verb = "codealias.update"
    record(verb, actor=actor, obj=target, before=before, after=_snapshot(target))
    return target


def deactivate_alias(*, actor: User, alias: CodeAlias) -> CodeAlias:
    data = AliasInput(alias.table, alias.alias, alias.code, alias.region_code, alias.note, is_active=False)
    return save_alias(actor=actor, alias=alias, data=data)
