"""The grade of a house by the 2019 national guideline (domain 6.1), as pure data and functions.

The same rules run in the browser and on the phone: `rules_payload()` is served to
static/anju/grading.js, which implements `compute` line for line; a browser test checks that both
give the same result for every combination. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

GRADES = ("A", "B", "C", "D")  # A safe … D wholly dangerous; "raising" a grade moves right
COMPONENT_GRADES = ("a", "b", "c", "d")
ABSENT = "none"  # the appraiser's explicit "无此构件": the house has no such component
ANSWERS = (*COMPONENT_GRADES, ABSENT)
RULES = {
    "R1": "场地危险，直接评定为D级",
    "R2": "有构件评为d级",
    "R3": "有构件评为c级（无d级）",
    "R4": "有构件评为b级（无c、d级）",
    "R5": "所有构件均为a级",
}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    criteria: dict[str, str]  # component grade -> what the appraiser sees (national form, paraphrased)


COMPONENTS: tuple[Component, ...] = (
    Component("foundation", "地基基础", {
        "a": "地基稳定，基础完好",
        "b": "基础略浅；轻微不均匀沉降",
        "c": "基础明显偏浅；明显不均匀沉降",
        "d": "地基不稳定；基础局部或整体塌陷",
    }),
    Component("walls", "承重墙体", {
        "a": "砌筑质量良好；无裂缝、剥蚀、歪闪",
        "b": "砌筑质量一般；轻微裂缝或剥蚀",
        "c": "砌筑质量差；多处裂缝、严重剥蚀；纵横墙脱闪；墙体歪闪",
        "d": "严重裂缝；墙体严重歪闪；局部倒塌或有倒塌危险",
    }),
    Component("timber_frame", "木柱梁檩", {
        "a": "无腐朽、虫蛀；无变形；轻微干缩裂缝",
        "b": "轻微腐朽；轻微变形；纵向干缩裂缝深度超过直径的1/6",
        "c": "明显腐朽；跨中明显挠曲或横纹裂缝；端部劈裂；柱明显歪斜；柱脚移位；裂缝深度超过1/4；节点损坏或拔榫",
        "d": "严重腐朽；严重横纹裂缝；柱严重歪斜；柱脚严重移位；裂缝深度超过1/3；多处节点失效",
    }),
    Component("timber_truss", "木屋架", {
        "a": "无腐朽；无变形；稳定",
        "b": "轻微腐朽或变形；稳定性较差",
        "c": "明显腐朽；下弦跨中横纹裂缝；支座移位或松动；明显倾斜；节点损坏",
        "d": "严重腐朽；下弦严重裂缝；支座失效；严重倾斜；节点失效",
    }),
    Component("concrete_frame", "混凝土柱梁", {
        "a": "无剥落、裂缝、变形",
        "b": "轻微剥落、开裂或变形",
        "c": "严重剥落；明显裂缝或变形",
        "d": "严重剥落且露筋；严重裂缝和变形",
    }),
    Component("roof", "屋面", {
        "a": "无变形、渗漏；椽、瓦完好",
        "b": "局部轻微下沉；少量渗漏；个别椽、瓦破损",
        "c": "大面积下沉；大面积渗漏；部分椽、瓦破损",
        "d": "大面积渗漏；椽、瓦严重破损",
    }),
)  # fmt: skip
BY_KEY = {c.key: c for c in COMPONENTS}
ALL_KEYS = tuple(c.key for c in COMPONENTS)

# Components that apply to each structure type (code-table codes). A type missing here (a local
# entry added later) gets every component. Every applicable component must be answered: a grade
# a–d, or ABSENT when the house has no such component (a brick-timber house without a truss, say);
# a blank is never read as "not applicable" (ADR 0031).
APPLICABLE: dict[str, tuple[str, ...]] = {
    "earth_timber": ("foundation", "walls", "timber_frame", "timber_truss", "roof"),
    "brick_timber": ("foundation", "walls", "timber_frame", "timber_truss", "roof"),
    "brick_earth": ("foundation", "walls", "timber_frame", "timber_truss", "roof"),
    "stone_timber": ("foundation", "walls", "timber_frame", "timber_truss", "roof"),
    "timber": ("foundation", "timber_frame", "timber_truss", "roof"),
    "brick_concrete": ("foundation", "walls", "concrete_frame", "roof"),
    "frame": ("foundation", "concrete_frame", "roof"),
    # cave dwellings: walls are the piers and side walls 窑腿/窑壁, the roof the vault 窑顶
    "cave_earth": ("foundation", "walls", "roof"),
    "cave_stone": ("foundation", "walls", "roof"),
    "cave_brick": ("foundation", "walls", "roof"),
}


def applicable(structure_type: str) -> tuple[str, ...]:
    return APPLICABLE.get(structure_type, ALL_KEYS)


class GradingError(ValueError):
    """An appraisal that cannot be graded as entered; the message is for the appraiser."""


@dataclass(frozen=True)
class Result:
    grade: str
    rule: str
    deciding: tuple[str, ...]  # the components (or "site") that decided the grade

    @property
    def explanation(self) -> str:
        labels = "、".join("场地" if k == "site" else BY_KEY[k].label for k in self.deciding)
        return f"{self.rule}：{RULES[self.rule]}" + (f"（{labels}）" if labels else "")


def blanks(structure_type: str, components: Mapping[str, str | None]) -> tuple[str, ...]:
    """The applicable components not yet answered (missing or None), in the form's order."""
    return tuple(k for k in applicable(structure_type) if components.get(k) is None)


def label_of(key: str) -> str:
    return BY_KEY[key].label if key in BY_KEY else key


def answer_label(answer: str | None) -> str:
    """How a stored component answer reads: its grade, "无此构件", or "未填" for a blank kept from before ADR 0031."""
    if answer is None or answer == "":
        return _("未填")
    return _("无此构件") if answer == ABSENT else answer


def compute(structure_type: str, site_dangerous: bool, components: Mapping[str, str | None]) -> Result:
    """Grade from site safety and the component answers, by rules R1–R5 in order.

    Every applicable component must be answered with a grade a–d or ABSENT ("无此构件"), and at least
    one graded a–d; a blank (missing or None) is refused by name, never taken as "not applicable".
    static/anju/grading.js gives the same answers and the same messages.
    """
    allowed = applicable(structure_type)
    for key, answer in components.items():
        if key not in allowed:
            raise GradingError(_("“%(name)s”不适用于该结构形式") % {"name": label_of(key)})
        if answer is not None and answer not in ANSWERS:
            raise GradingError(_("构件等级只能是 a、b、c、d 或“无此构件”，不能是“%(value)s”") % {"value": answer})
    missing = blanks(structure_type, components)
    if missing:
        names = "、".join(label_of(k) for k in missing)
        raise GradingError(_("以下构件尚未评定：%(names)s。房屋没有的构件请选“无此构件”") % {"names": names})
    if not any(components[k] in COMPONENT_GRADES for k in allowed):
        raise GradingError(_("请至少评定一个构件的危险性等级"))
    if site_dangerous:
        return Result("D", "R1", ("site",))
    for grade, rule in (("d", "R2"), ("c", "R3"), ("b", "R4")):
        deciding = tuple(k for k in allowed if components[k] == grade)
        if deciding:
            return Result(grade.upper(), rule, deciding)
    return Result("A", "R5", ())


def final_grade(computed: str, raised_to: str | None, reason: str) -> str:
    """The appraiser may raise the computed grade with a written reason, never lower it."""
    if not raised_to or raised_to == computed:
        return computed
    if raised_to not in GRADES:
        raise GradingError(_("等级只能是 A、B、C、D，不能是“%(g)s”") % {"g": raised_to})
    if GRADES.index(raised_to) < GRADES.index(computed):
        raise GradingError(_("不能把按规则评定的 %(c)s 级降为 %(r)s 级；如需改变，请重新鉴定") % {"c": computed, "r": raised_to})
    if not reason.strip():
        raise GradingError(_("把 %(c)s 级调高为 %(r)s 级，必须写明理由") % {"c": computed, "r": raised_to})
    return raised_to


def is_worse(a: str, b: str) -> bool:
    return GRADES.index(a) > GRADES.index(b)


def rules_payload() -> dict[str, object]:
    """What grading.js needs: components with criteria, applicability, the "无此构件" value, rule texts."""
    return {
        "grades": list(GRADES),
        "rules": RULES,
        "components": [{"key": c.key, "label": c.label, "criteria": c.criteria} for c in COMPONENTS],
        "absent": ABSENT,
        "applicable": APPLICABLE,
        "all": list(ALL_KEYS),
    }
