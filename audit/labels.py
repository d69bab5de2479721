"""Chinese labels for audit verbs, object types, snapshot fields and coded values, as shown in
timelines, the audit search, an event's page and the audit export.

Every action code an event is recorded with has its name in VERBS (audit/tests/test_labels.py walks
every `record(...)` / `Event(...)` call of the code base and fails on a code without one). Object
types and fields are named by their model's verbose_name first; OBJECT_TYPES and FIELDS name the
keys no model field carries (snapshot keys such as head_id, non-model object types)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.access import DENIED

VERBS = {
    "auth.login": _("登录"),
    "auth.logout": _("退出"),
    "auth.login_failed": _("登录失败"),
    "auth.lockout": _("账号锁定"),
    "auth.login_refused_locked": _("锁定期间尝试登录"),
    "auth.otp_enrol": _("绑定动态口令"),
    DENIED: _("拒绝访问"),
    "token.issue": _("签发接口令牌"),
    "token.revoke": _("吊销接口令牌"),
    "token.revoke_all": _("吊销全部接口令牌"),
    "user.reset_password": _("重置密码"),
    "user.reset_otp": _("重置动态口令"),
    "user.create": _("新建账号"),
    "user.update": _("修改账号"),
    "user.set_password": _("设置密码"),
    "user.unlock": _("解锁账号"),
    "household.create": _("新建农户档案"),
    "household.create_batch": _("批量新建农户档案"),
    "household.update": _("修改农户档案"),
    "household.delete": _("删除农户档案"),
    "household.change_head_id": _("更正户主身份证号"),
    "member.create": _("添加家庭成员"),
    "member.update": _("修改家庭成员"),
    "member.delete": _("删除家庭成员"),
    "category.create": _("添加农户类别"),
    "category.update": _("修改农户类别"),
    "house.create": _("添加房屋"),
    "house.update": _("修改房屋"),
    "house.delete": _("删除房屋"),
    "pii.reveal": _("查看完整号码"),
    "audit.seal_access": _("封存个人信息读取记录"),
    "audit.seal_legacy": _("封存旧版审计链"),
    "audit.anchor_restart": _("锚点重新起算"),
    "import.upload": _("上传导入文件"),
    "import.finish": _("完成导入"),
    "import.mapping": _("确认台账列对应"),
    "import.resume": _("继续导入"),
    "import.cancel": _("取消导入"),
    "export.households": _("导出农户档案"),
    "export.ledger": _("按本县台账格式导出农户档案"),
    "export.audit": _("导出审计日志"),
    "export.training": _("导出培训台账"),
    "export.labels": _("打印房屋安全标识"),
    "export.cases": _("导出危房改造户"),
    "training.trainee_save": _("登记培训人员"),
    "training.course_save": _("保存培训班"),
    "training.record_add": _("登记培训记录"),
    "inspection.campaign_start": _("发起排查"),
    "inspection.campaign_close": _("结束排查"),
    "inspection.record": _("录入排查"),
    "inspection.appraise": _("房屋安全性鉴定"),
    "inspection.sample_draw": _("第三方抽查抽样"),
    "inspection.sample_review": _("第三方抽查复核"),
    "field.conflict": _("现场数据同步冲突"),
    "field.conflict_resolve": _("处理同步冲突"),
    "field.flag_review": _("核查证据疑点"),
    "field.photo_refused": _("拒收现场照片"),
    "files.purge": _("清理到期文件"),
    "crypto.rotate_field_key": _("轮换字段加密密钥"),
    "field.evidence_override": _("登记照片证据例外"),
    "renovation.open": _("纳入危房改造"),
    "renovation.terms": _("确定改造方式和补助"),
    "renovation.correct_date": _("更正办理日期"),
    "renovation.notice": _("发布公示"),
    "renovation.objection": _("登记公示异议"),
    "renovation.objection_resolve": _("处理公示异议"),
    "renovation.ranking": _("通报进度排名"),
    "funds.standard": _("设置补助标准"),
    "funds.allocate": _("登记资金下达"),
    "funds.batch": _("生成拨付批次"),
    "funds.approve": _("审核拨付批次"),
    "funds.bank_file": _("生成银行拨付文件"),
    "funds.bank_return": _("导入银行回盘"),
    "funds.cancel": _("作废拨付批次"),
    "funds.decide_line": _("人工判定回盘结果"),
    "funds.exception_request": _("申请超标准补助"),
    "regions.load": _("导入行政区划"),
    "regionalias.create": _("新增村（社区）别名"),
    "regionalias.update": _("修改村（社区）别名"),
    "regionalias.deactivate": _("停用村（社区）别名"),
    "codeitem.create": _("新增代码项"),
    "codeitem.update": _("修改代码项"),
    "codealias.create": _("新增代码别名"),
    "codealias.update": _("修改代码别名"),
    "codealias.deactivate": _("停用代码别名"),
    "codealias.reactivate": _("重新启用代码别名"),
}

# Where an event came from (core.context.ActionContext.source).
SOURCES = {"ui": _("网页"), "api": _("接口"), "import": _("导入"), "command": _("命令"), "export": _("导出"), "system": _("系统")}

FIELDS = {
    "village": _("村"),
    "head_name": _("户主姓名"),
    "head_id": _("身份证号"),
    "group_name": _("组"),
    "archive_no": _("档案编号"),
    "phone": _("联系电话"),
    "family_size": _("家庭人口"),
    "bank_name": _("开户银行"),
    "bank_account": _("银行账号"),
    "only_house": _("一户一宅"),
    "note": _("备注"),
    "categories": _("农户类别"),
    "dwelling": _("主要居住房屋"),
    "name": _("姓名"),
    "relation": _("与户主关系"),
    "id_number": _("身份证号"),
    "structure_type": _("结构形式"),
    "year_built": _("建造年份"),
    "floor_area": _("建筑面积"),
    "storeys": _("层数"),
    "address": _("详细地址"),
    "code": _("类别"),
    "source": _("认定部门"),
    "start_date": _("起始日期"),
    "end_date": _("终止日期"),
    "field": _("字段"),
    "reason": _("理由"),
    "verdict": _("排查结论"),
    "risk_parts": _("隐患部位"),
    "measure": _("建议措施"),
    "inspected_on": _("排查日期"),
    "appraised_on": _("鉴定日期"),
    "grade": _("鉴定等级"),
    "computed_grade": _("规则评定等级"),
    "rule": _("依据规则"),
    "components": _("构件等级"),
    "raise_reason": _("调高理由"),
    "state": _("状态"),
    "status": _("状态"),
    "stage": _("阶段"),
    "paid_on": _("到账日期"),
    "amount": _("金额"),
    "year": _("年度"),
    "total": _("合计"),
    "count": _("数量"),
    "comment": _("意见"),
    "on": _("办理日期"),  # the date a case's step was given (renovation.services; the entry time is the event's)
    "start": _("开始日期"),
    "end": _("结束日期"),
    "cases": _("户数"),
    "deadline": _("期限"),
    "document_no": _("文号"),
    "resolution": _("处理结果"),
    "upheld": _("是否成立"),
    "passed": _("考核合格"),
    "valid_until": _("有效期至"),
    "agrees": _("农户同意"),
    "lines": _("行数"),
    "content": _("内容"),
    "latitude": _("纬度"),
    "longitude": _("经度"),
    "bays": _("开间数"),
    "wall_front": _("前纵墙材料"),
    "wall_back": _("后纵墙材料"),
    "wall_gable": _("山墙材料"),
    "wall_inner": _("内横墙材料"),
    "roof_form": _("屋顶形式"),
    "roof_covering": _("屋面材料"),
    "seismic_intensity": _("设防烈度"),
    "site_hazards": _("场地隐患"),
    "use": _("用途"),
    "is_occupied": _("有人居住"),
}


# Values recorded as codes (a case's state "accepted", a category "minimum_income", a village's
# code) are shown by name. Each app registers its own codes in its AppConfig.ready, so this module
# knows none of them: a mapping, or a function that names one code (None when it cannot).
Labels = Mapping[str, Any] | Callable[[str], Any]
_VALUES: dict[tuple[str, str], Labels] = {}


def register_verbs(labels: Mapping[str, Any]) -> None:
    """Action codes declared in an app's own table (a workflow's steps, each recorded as
    "<app>.<action>"), named there once and registered from its AppConfig.ready."""
    VERBS.update(labels)


def register_values(field: str, labels: Labels, *, object_type: str = "") -> None:
    """Names for the codes `field` holds, in the events of `object_type` (e.g. "renovation.case")
    or, left empty, of any object."""
    _VALUES[(object_type, field)] = labels


def value_label(field: str, value: Any, object_type: str = "") -> str:
    """A recorded value as an official reads it: 是/否, names for codes, lists joined with 、 and a
    nested snapshot (a dwelling) as its fields and values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, list):
        return "、".join(value_label(field, v, object_type) for v in value)
    if isinstance(value, dict):
        parts = (f"{field_label(k)}：{value_label(k, v, object_type)}" for k, v in value.items() if v not in (None, ""))
        return "；".join(parts)
    labels = _VALUES.get((object_type, field), _VALUES.get(("", field)))
    code = str(value)
    name = (labels(code) if callable(labels) else labels.get(code)) if labels is not None else None
    if name is None and (model_field := _model_field(object_type, field)) is not None and model_field.choices:
        name = dict(model_field.flatchoices).get(value)
    if name is None and field == "field":  # pii.reveal names the field that was shown
        name = field_label(code, object_type)
    return str(name) if name else code


# Object types recorded without a model behind them, and models that carry no Chinese verbose_name.
OBJECT_TYPES = {
    "file": _("导入文件"),
    "retention": _("到期文件清理"),
    "core.crypto": _("字段加密密钥"),
    "audit.auditanchor": _("审计锚点"),
    "inspections.inspectiontask": _("排查任务"),
    "inspections.appraisaltask": _("鉴定任务"),
    "inspections.housesafety": _("房屋安全状况"),
    "field.deviceclock": _("设备时钟"),
    "renovation.caseevent": _("改造记录"),
    "renovation.acceptance": _("竣工验收"),
    "funds.bankreturn": _("银行回盘"),
}

# The group an action code's prefix puts it in, in the action drop-down.
VERB_GROUPS = {
    "auth": _("登录与会话"),
    "user": _("账号"),
    "token": _("接口令牌"),
    "household": _("农户档案"),
    "member": _("家庭成员"),
    "category": _("农户类别"),
    "house": _("房屋"),
    "pii": _("个人信息"),
    "inspection": _("排查鉴定"),
    "field": _("现场采集"),
    "renovation": _("危房改造"),
    "funds": _("资金拨付"),
    "training": _("培训"),
    "import": _("导入"),
    "export": _("导出"),
    "audit": _("审计"),
    "regions": _("行政区划"),
    "codeitem": _("代码表"),
    "codealias": _("代码别名"),
    "files": _("文件"),
    "crypto": _("密钥"),
}


_T = TypeVar("_T")
_language: ContextVar[str | None] = ContextVar("audit_labels_language", default=None)


@contextmanager
def one_language() -> Iterator[None]:
    """Label many events in the language active now, without asking for it again each time."""
    token = _language.set(get_language())
    try:
        yield
    finally:
        _language.reset(token)


def _per_language(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Labels looked up once per language: an export names a million events with a few dozen labels."""
    cache: dict[tuple[Any, ...], _T] = {}

    @wraps(fn)
    def cached(*args: Any) -> _T:
        key = (_language.get() or get_language(), *args)
        if key not in cache:
            cache[key] = fn(*args)
        return cache[key]

    return cached


@_per_language
def verb_label(verb: str) -> str:
    return str(VERBS.get(verb, verb))


def verb_choices() -> list[tuple[str, Any]]:
    """The action drop-down: codes without a group first, then each group with an "all of it"
    choice (its prefix, ending in ".") and its actions by name."""
    grouped: dict[str, list[tuple[str, Any]]] = {}
    single: list[tuple[str, Any]] = []
    for verb, label in VERBS.items():
        prefix = verb.split(".", 1)[0] if "." in verb else ""
        (grouped.setdefault(prefix, []) if prefix else single).append((verb, label))
    choices: list[tuple[str, Any]] = [("", _("全部操作")), *single]
    for prefix, items in grouped.items():
        group = VERB_GROUPS.get(prefix, prefix)
        choices.append((str(group), [(f"{prefix}.", _("%(g)s：全部") % {"g": group}), *items]))
    return choices


def verb_condition(value: str) -> dict[str, str]:
    """The lookup a drop-down choice stands for: a group's prefix, or one action code."""
    return {"verb__startswith": value} if value.endswith(".") else {"verb": value}


@cache
def _model(object_type: str) -> type[models.Model] | None:
    if "." not in object_type:
        return None
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@cache
def _model_field(object_type: str, name: str) -> models.Field[Any, Any] | None:
    model = _model(object_type)
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except Exception:  # FieldDoesNotExist, or a key such as "" no field can have
        return None
    return found if isinstance(found, models.Field) else None


@_per_language
def object_type_label(object_type: str) -> str:
    """An object type by its model's name (renovation.case → 改造户), else by OBJECT_TYPES."""
    model = _model(object_type)
    if model is not None and object_type not in OBJECT_TYPES:
        return str(model._meta.verbose_name)
    return str(OBJECT_TYPES.get(object_type, object_type))


def object_type_choices() -> list[tuple[str, Any]]:
    """The object-type drop-down: every model of the project's own apps and the non-model types, by name."""
    types = {m._meta.label_lower: object_type_label(m._meta.label_lower) for m in _project_models()}
    types.update({k: str(v) for k, v in OBJECT_TYPES.items()})
    return [("", _("全部对象")), *sorted(types.items(), key=lambda kv: (kv[0].split(".")[0], str(kv[1])))]


def _project_models() -> list[type[models.Model]]:
    """The models of the project's own apps (not Django's or a library's: their rows are not audited)."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    own = [c for c in apps.get_app_configs() if Path(c.path).is_relative_to(base) and "site-packages" not in Path(c.path).parts]
    return [m for c in own for m in c.get_models()]


@_per_language
def field_label(name: str, object_type: str = "") -> str:
    """A snapshot key by its Chinese name: the model field's verbose_name when the object type's
    model has the field (and names it), else FIELDS, else the key itself."""
    found = _model_field(object_type, name)
    if found is not None and found.verbose_name and str(found.verbose_name) != name.replace("_", " "):
        return str(found.verbose_name)
    return str(FIELDS.get(name, name))


@_per_language
def source_label(source: str) -> str:
    return str(SOURCES.get(source, source))


@dataclass(frozen=True)
class Change:
    field: str  # the snapshot key
    label: str
    before: str
    after: str
    changed: bool


def changes(object_type: str, before: Any, after: Any) -> list[Change]:
    """An event's before/after as rows of field, before, after, each named and valued as an official reads it."""
    old = before if isinstance(before, dict) else ({} if before is None else {"content": before})
    new = after if isinstance(after, dict) else ({} if after is None else {"content": after})
    return [
        Change(k, field_label(k, object_type), value_label(k, old.get(k), object_type),
               value_label(k, new.get(k), object_type), old.get(k) != new.get(k))
        for k in dict.fromkeys([*old, *new])
    ]  # fmt: skip


def change_text(rows: list[Change], side: str) -> str:
    """One side ("before" or "after") of the rows as readable text: 字段：值；字段：值."""
    return "；".join(f"{r.label}：{getattr(r, side)}" for r in rows if getattr(r, side) != "")
