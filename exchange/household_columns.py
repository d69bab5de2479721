"""The columns of the household spreadsheet: template headers, accepted aliases, help text."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 12
    note: str = ""
    template: bool = True  # in the import template and the archive export (the layout columns are not)


COLUMNS: list[Column] = [
    Column(
        "village_code",
        "村区划代码",
        ("区划代码", "村代码", "行政区划代码", "村级区划代码", "统计用区划代码", "村区划码"),
        width=16,
        note="12位村级统计用区划代码；不填时按乡镇、村名称匹配",
    ),
    Column(
        "town",
        "乡镇",
        ("乡镇（街道）", "乡（镇）", "镇", "乡镇名称", "所属乡镇", "乡镇（街道办）", "镇（乡）", "乡镇街道", "街道", "所在乡镇"),
        width=12,
    ),
    Column(
        "village",
        "村",
        ("行政村", "村（社区）", "村名", "村名称", "所属村", "所在村", "村（居）", "村居", "行政村名称", "村委会"),
        width=14,
    ),
    Column("group_name", "组", ("村民小组", "组别", "社", "组名", "村组", "所在组", "村民组"), width=8),
    Column("archive_no", "档案编号", ("档案号", "档案编码"), width=14),
    Column("head_name", "户主姓名", ("户主", "姓名", "户主名称", "户主名字"), required=True, width=10),
    Column(
        "head_id",
        "户主身份证号",
        (
            "身份证号",
            "身份证号码",
            "户主身份证号码",
            "公民身份号码",
            "户主身份证",
            "身份证",
            "证件号码",
            "身份证件号码",
            "户主证件号码",
        ),
        required=True,
        width=22,
    ),
    Column(
        "phone",
        "联系电话",
        ("电话", "手机号", "手机号码", "联系方式", "户主电话", "户主联系电话", "电话号码", "联系人电话"),
        width=14,
    ),
    Column(
        "family_size",
        "家庭人口",
        ("家庭人口数", "人口数", "人口", "家庭人数", "家庭成员数", "户籍人口", "户籍人口数", "家庭总人口"),
        required=True,
        width=8,
    ),
    Column(
        "categories",
        "农户类别",
        ("类别", "户类别", "农户类型", "对象类别", "户类型", "人员类别", "重点对象类别"),
        width=18,
        note="多个类别用顿号分隔",
    ),
    Column("category_source", "类别认定部门", ("认定部门", "数据来源"), width=12),
    Column("bank_name", "开户银行", ("银行", "开户行", "开户银行名称", "开户行名称", "一卡通开户行", "一卡通开户银行"), width=14),
    Column(
        "bank_account",
        "银行账号",
        (
            "一卡通账号",
            "一卡通号",
            "一卡通",
            "补贴发放账号",
            "账号",
            "银行卡号",
            "一卡通卡号",
            "惠农一卡通号",
            "惠民惠农一卡通账号",
            "补助资金发放账号",
            "补助发放账号",
            "银行账户",
            "账户",
        ),
        width=22,
    ),
    Column("only_house", "是否一户一宅", ("一户一宅",), width=8),
    Column("structure_type", "结构形式", ("房屋结构", "结构类型", "结构", "房屋结构类型", "房屋结构形式"), width=10),
    Column(
        "year_built",
        "建造年份",
        (
            "建房年份",
            "建成年份",
            "建造年代",
            "建房时间",
            "建造时间",
            "建成时间",
            "建房年代",
            "建成年代",
            "建房年月",
            "建造年月",
            "修建年份",
            "修建时间",
        ),
        width=8,
    ),
    Column("storeys", "层数", ("房屋层数", "楼层数"), width=6),
    Column("bays", "间数", ("开间数", "房屋间数", "房间数"), width=6),
    Column(
        "floor_area",
        "建筑面积",
        ("建筑面积（㎡）", "建筑面积(㎡)", "建筑面积（平方米）", "面积", "住房面积", "房屋建筑面积", "房屋面积", "住房建筑面积"),
        width=10,
    ),
    Column("address", "详细地址", ("地址", "房屋地址", "住址", "家庭住址", "家庭地址", "房屋坐落", "坐落"), width=24),
    Column("note", "备注", ("备注说明",), width=16),
    # the columns of a ledger kept one row per person (exchange.ledger): the row's relation to the head,
    # and the number that groups a household's rows
    Column("relation", "与户主关系", ("关系", "家庭关系", "与户主的关系"), width=10, template=False),
    Column("household_no", "户编号", ("户号", "家庭编号", "户序号", "农户编号"), width=12, template=False),
    # one row per person, grouped by the head's ID number in a column of its own (the line's own person
    # is in 姓名 / 身份证号, mapped to head_name / head_id)
    Column("head_ref", "所在户户主身份证号", ("户主身份证号（归户）", "所属户主身份证号"), width=22, template=False),
]

# The two columns the import's error file adds at the right (exchange.household_import.write_errors):
# recognised when the corrected file comes back, and not imported.
ORIGINAL_LINE = "原行号"
ERROR_REASON = "错误原因"
IGNORED_HEADERS = (ORIGINAL_LINE, ERROR_REASON)

BY_KEY = {c.key: c for c in COLUMNS}
TEMPLATE_COLUMNS = [c for c in COLUMNS if c.template]
TEXT_COLUMNS = ("village_code", "head_id", "phone", "bank_account", "archive_no")


_MARKS = str.maketrans({"*": None, "★": None, "※": None, "[": "(", "]": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})


def normalise_header(value: object) -> str:
    """A header's words in one width, without spaces, line breaks and `*` marks, brackets as ( )."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).translate(_MARKS).lower()


LOOKUP = {normalise_header(alias): c.key for c in COLUMNS for alias in (c.header, *c.aliases)}
