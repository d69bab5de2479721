"""The entries every installation starts with (national lists plus common Shaanxi additions)."""

from __future__ import annotations

from typing import Any

# (table, code, name, group, is_national)
SEED: list[tuple[str, str, str, str, bool]] = [
    # Structure types 结构形式: national list, then cave dwellings common in northern Shaanxi.
    ("structure_type", "earth_timber", "土木", "", True),
    ("structure_type", "brick_timber", "砖木", "", True),
    ("structure_type", "brick_earth", "砖土混杂", "", True),
    ("structure_type", "timber", "木结构", "", True),
    ("structure_type", "stone_timber", "石木", "", True),
    ("structure_type", "brick_concrete", "砖混", "", True),
    ("structure_type", "frame", "框架", "", True),
    ("structure_type", "other", "其他", "", True),
    ("structure_type", "cave_earth", "土窑洞", "窑洞", False),
    ("structure_type", "cave_stone", "石窑洞", "窑洞", False),
    ("structure_type", "cave_brick", "砖窑洞", "窑洞", False),
    # Household categories 农户类别 (domain section 3).
    ("household_category", "risk_poverty", "农村易返贫致贫户", "key6", True),
    ("household_category", "minimum_income", "农村低保户", "key6", True),
    ("household_category", "dispersed_destitute", "农村分散供养特困人员", "key6", True),
    ("household_category", "near_minimum_income", "农村低保边缘家庭", "key6", True),
    (
        "household_category",
        "severe_hardship",
        "因病因灾因意外事故等刚性支出较大或收入大幅缩减导致基本生活出现严重困难家庭",
        "key6",
        True,
    ),
    (
        "household_category",
        "other_formerly_poor",
        "未享受过农村住房保障政策支持且依靠自身力量无法解决住房安全问题的其他脱贫户",
        "key6",
        True,
    ),
    ("household_category", "registered_poor", "建档立卡贫困户", "legacy4", True),
    ("household_category", "legacy_minimum_income", "低保户（2021年前）", "legacy4", True),
    ("household_category", "legacy_destitute", "分散供养特困人员（2021年前）", "legacy4", True),
    ("household_category", "poor_disabled", "贫困残疾人家庭", "legacy4", True),
    ("household_category", "marginal", "边缘户", "other", True),
    ("household_category", "general", "一般农户", "other", True),
    # Relation to the head 与户主关系.
    ("relation", "head", "户主", "", True),
    ("relation", "spouse", "配偶", "", True),
    ("relation", "son", "子", "", True),
    ("relation", "daughter", "女", "", True),
    ("relation", "parent", "父母", "", True),
    ("relation", "grandchild", "孙子女", "", True),
    ("relation", "sibling", "兄弟姐妹", "", True),
    ("relation", "daughter_in_law", "儿媳", "", True),
    ("relation", "son_in_law", "女婿", "", True),
    ("relation", "grandparent", "祖父母", "", True),
    ("relation", "other", "其他", "", True),
    # Roof forms 屋顶形式.
    ("roof_form", "flat", "平顶", "", True),
    ("roof_form", "single_slope", "单坡", "", True),
    ("roof_form", "double_slope", "双坡", "", True),
    ("roof_form", "beam_purlin", "柁梁+檩条", "", True),
    ("roof_form", "truss_purlin", "木屋架+檩条", "", True),
    ("roof_form", "chuandou", "穿斗木构架", "", True),
    ("roof_form", "gable_purlin", "硬山搁檩", "", True),
    # House use 房屋用途.
    ("house_use", "self_occupied", "自住", "", True),
    ("house_use", "business", "经营", "", True),
    ("house_use", "public", "公共", "", True),
    # Hotlines 监督举报电话 printed on house labels, by region code prefix (the most specific wins):
    # the government service hotline 12345 for the whole province until a county enters its own.
    ("hotline", "61", "12345", "", False),
]

KEY_GROUPS = ("key6", "legacy4")

# Spellings clerks use that can mean one entry only, valid everywhere (region ""): (table, alias, code).
# Not here, because they may mean two entries: 窑洞 (earth, stone or brick), 低保户 (农村低保户 or the
# pre-2021 低保户), 五保户 / 特困户 (the 2021 or the pre-2021 destitute category), 贫困户 (建档立卡贫困户
# or 脱贫户); a county maps them by an alias of its own (ADR 0030).
ALIASES: list[tuple[str, str, str]] = [
    ("structure_type", "土木结构", "earth_timber"),
    ("structure_type", "砖木结构", "brick_timber"),
    ("structure_type", "砖土混杂结构", "brick_earth"),
    ("structure_type", "砖土混合结构", "brick_earth"),
    ("structure_type", "木结构房屋", "timber"),
    ("structure_type", "石木结构", "stone_timber"),
    ("structure_type", "砖混结构", "brick_concrete"),
    ("structure_type", "框架结构", "frame"),
    ("structure_type", "钢筋混凝土框架结构", "frame"),
    ("structure_type", "土窑", "cave_earth"),
    ("structure_type", "石窑", "cave_stone"),
    ("structure_type", "砖窑", "cave_brick"),
    # sub-kinds of 农村易返贫致贫户 (domain 3), and names of one category each
    ("household_category", "脱贫不稳定户", "risk_poverty"),
    ("household_category", "边缘易致贫户", "risk_poverty"),
    ("household_category", "突发严重困难户", "risk_poverty"),
    ("household_category", "低保边缘户", "near_minimum_income"),
    ("household_category", "建档立卡户", "registered_poor"),
    ("relation", "本人", "head"),
    ("relation", "妻子", "spouse"),
    ("relation", "丈夫", "spouse"),
    ("relation", "妻", "spouse"),
    ("relation", "夫", "spouse"),
    ("relation", "儿子", "son"),
    ("relation", "长子", "son"),
    ("relation", "次子", "son"),
    ("relation", "女儿", "daughter"),
    ("relation", "长女", "daughter"),
    ("relation", "次女", "daughter"),
    ("relation", "父亲", "parent"),
    ("relation", "母亲", "parent"),
    ("relation", "孙子", "grandchild"),
    ("relation", "孙女", "grandchild"),
    ("relation", "外孙子", "grandchild"),
    ("relation", "外孙女", "grandchild"),
    ("relation", "儿媳妇", "daughter_in_law"),
    ("relation", "祖父", "grandparent"),
    ("relation", "祖母", "grandparent"),
    ("relation", "外祖父", "grandparent"),
    ("relation", "外祖母", "grandparent"),
    ("relation", "哥哥", "sibling"),
    ("relation", "弟弟", "sibling"),
    ("relation", "姐姐", "sibling"),
    ("relation", "妹妹", "sibling"),
]
SEED_NOTE = "系统预置：只对应一个代码项的常见写法"


def apply(code_item_model: Any) -> None:
    """Create or refresh the seed entries (used by the data migrations and by test set-up), and the
    seeded aliases once their table exists."""
    for order, (table, code, name, group, national) in enumerate(SEED):
        code_item_model.objects.update_or_create(
            table=table, code=code, defaults={"name": name, "group": group, "is_national": national, "sort_order": order}
        )
    try:
        alias_model = code_item_model._meta.apps.get_model("codetables", "CodeAlias")
    except LookupError:  # a migration before the aliases' table
        return
    apply_aliases(alias_model)


def apply_aliases(alias_model: Any) -> None:
    for table, alias, code in ALIASES:
        alias_model.objects.update_or_create(
            table=table, region_code="", alias=alias, is_active=True, defaults={"code": code, "note": SEED_NOTE}
        )
