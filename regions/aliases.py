"""A county's own names for its villages (本县别名), kept by its administrator (ADR 0029).

Every change is audited. An alias points at an active village of its county, is never another
village's official name nor a short name that already finds another village (it would file that
village's households elsewhere), and is unique among the county's active aliases. Former names and
codes (历史名称 / 历史代码) come from load_regions; here they may only be switched off or annotated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from regions.matching import MatchError, VillageMatcher, normalise, split_village
from regions.models import AliasKind, Level, Region, RegionAlias

COUNTY_LENGTH = 6
FIELDS = ("county", "alias", "target_id", "kind", "edition", "note", "is_active")


@dataclass
class AliasInput:
    county: str
    alias: str
    target: str  # a village's 12-digit code, or its name (refused when it fits several)
    note: str = ""
    is_active: bool = True


def _county(actor: User, county: str) -> str:
    if not actor.can(Cap.MANAGE_CODES):
        raise PermissionDenied(_("您的角色无权维护村（社区）别名。"))
    region = actor.region_id or ""
    county = normalise(county)
    if len(region) > COUNTY_LENGTH:
        raise PermissionDenied(_("村（社区）别名由县级或以上系统管理员维护。"))
    if not Region.objects.filter(code=county, level=Level.COUNTY).exists():
        raise ValidationError({"county": _("“%(code)s”不是县（区）区划代码") % {"code": county}})
    if not county.startswith(region):
        raise PermissionDenied(_("该县（区）不在您的管辖范围内。"))
    return county


def _target(matcher: VillageMatcher, county: str, text: str) -> Region:
    text = normalise(text)
    if not text:
        raise ValidationError({"target": _("请填写对应村（社区）的区划代码或名称")})
    try:
        code = matcher.resolve(text, "", "").code if text.isdigit() else matcher.resolve("", "", text).code
    except MatchError as exc:
        raise ValidationError({"target": exc.message}) from None
    if code[:COUNTY_LENGTH] != county:  # a former code of another county's village
        raise ValidationError({"target": _("对应村（社区）必须在本县（区）内")})
    return Region.objects.get(code=code)


def _shadows(matcher: VillageMatcher, text: str, target: str) -> str | None:
    """Why the alias text may not be used: another village's official name, or a short name that
    already finds another village (a bare base such as “龙湾” finds none alone and may be taken)."""
    if matcher.village_names.get(target) and normalise(matcher.village_names[target]) == text:
        return _("“%(text)s”已是该村（社区）的正式名称，无需别名") % {"text": text}
    others = sorted({e.code for e in matcher.villages.get(text, []) if e.code != target and not e.note})
    if not others:
        return None
    official = [c for c in others if normalise(matcher.village_names[c]) == text]
    if official:
        return _("“%(text)s”是%(village)s的正式名称，不能作为其他村的别名") % {
            "text": text,
            "village": matcher.label(official[0]),
        }
    base, kind = split_village(text)
    if kind and base != text:
        return _("“%(text)s”是%(village)s的简称，不能作为其他村的别名") % {"text": text, "village": matcher.label(others[0])}
    return None


@transaction.atomic
def save_alias(*, actor: User, data: AliasInput, alias: RegionAlias | None = None) -> RegionAlias:
    """Add a county alias, or change one (a former name or code: its note and whether it is used)."""
    county = _county(actor, alias.county if alias else data.county)
    text = normalise(data.alias)
    historical = alias is not None and alias.kind != AliasKind.COUNTY
    before = {f: getattr(alias, f) for f in FIELDS} if alias else None
    if alias is None:
        alias = RegionAlias(county=county, kind=AliasKind.COUNTY, created_by=actor)
    if historical:
        if (text and text != alias.alias) or (normalise(data.target) not in ("", alias.target_id)):
            raise ValidationError(_("历史名称和历史代码来自区划版本，只能停用或填写说明"))
    else:
        if not text:
            raise ValidationError({"alias": _("请填写别名")})
        if len(text) > RegionAlias._meta.get_field("alias").max_length:  # type: ignore[operator]
            raise ValidationError({"alias": _("别名不能超过 100 个字")})
        if text.isdigit():
            raise ValidationError({"alias": _("别名不能是数字；村区划代码的变更随区划版本导入")})
        matcher = VillageMatcher(county)
        target = _target(matcher, county, data.target)
        if data.is_active:
            problem = _shadows(matcher, text, target.code)
            if problem:
                raise ValidationError({"alias": problem})
            taken = RegionAlias.objects.filter(county=county, kind=AliasKind.COUNTY, alias=text, is_active=True)
            other = taken.exclude(pk=alias.pk).select_related("target").first()
            if other:
                raise ValidationError(
                    {
                        "alias": _("本县已有别名“%(text)s”，对应%(name)s（%(code)s）")
                        % {"text": text, "name": other.target.name, "code": other.target_id}
                    }
                )
        alias.alias, alias.target = text, target
    alias.note = (data.note or "").strip()[:200]
    alias.is_active = data.is_active
    alias.save()
    after = {f: getattr(alias, f) for f in FIELDS}
    if before is None:
        verb = "regionalias.create"
    elif before["is_active"] and not alias.is_active:
        verb = "regionalias.deactivate"
    else:
        verb = "regionalias.update"
    record(verb, actor=actor, obj=alias, region_code=alias.target_id, before=before, after=after)
    return alias
