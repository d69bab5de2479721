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


def apply(code_item_model: Any) -> None:
    """Create or refresh the seed entries (used by the data migration and by test set-up)."""
    for order, (table, code, name, group, national) in enumerate(SEED):
        code_item_model.objects.update_or_create(
            table=table, code=code, defaults={"name": name, "group": group, "is_national": national, "sort_order": order}
        )
