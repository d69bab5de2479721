"""Code-table aliases (issue 13, ADR 0030): the spellings clerks use, seeded where they mean one entry
only, and a county's own where they could mean two (低保户) — set by that county's administrator alone."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from codetables import seed, services
from codetables.models import CodeAlias, CodeItem
from codetables.selectors import codes_by_name
from codetables.services import AliasInput
from conftest import make_id, make_user
from households import validation as v
from households.models import Household

SUIDE, MIZHI = "610826", "610827"


@pytest.fixture
def sd_admin(db: Any) -> Any:
    return make_user("sd_admin", SUIDE, Role.ADMIN)


@pytest.fixture
def mz_admin(db: Any) -> Any:
    return make_user("mz_admin", MIZHI, Role.ADMIN)


@pytest.fixture
def sx_admin(db: Any) -> Any:
    return make_user("sx_admin", "61", Role.ADMIN)


def dibao(region: str = SUIDE, code: str = "minimum_income", **over: Any) -> AliasInput:
    values = {"table": "household_category", "alias": "低保户", "code": code, "region_code": region, "note": "民政局名单"}
    return AliasInput(**(values | over))


# --- what the seed holds ---------------------------------------------------------------------------


def test_the_seeded_spellings_mean_one_entry_each_and_ambiguous_ones_are_not_seeded(db):
    structures = codes_by_name("structure_type")
    assert structures["砖混结构"] == "brick_concrete" and structures["土木结构"] == "earth_timber"
    assert structures["砖木结构"] == "brick_timber" and structures["框架结构"] == "frame"
    assert structures["石木结构"] == "stone_timber" and structures["土窑"] == "cave_earth"
    assert structures["石窑"] == "cave_stone" and structures["砖窑"] == "cave_brick"
    assert "窑洞" not in structures  # earth, stone or brick
    categories = codes_by_name("household_category")
    for ambiguous in ("低保户", "五保户", "特困户", "贫困户"):
        assert ambiguous not in categories
    names = {(i.table, i.name) for i in CodeItem.objects.all()}
    codes = {(i.table, i.code) for i in CodeItem.objects.all()}
    for table, alias, code in seed.ALIASES:
        assert (table, alias) not in names and (table, code) in codes  # an alias is never an entry's own name
    assert len({(t, a) for t, a, _ in seed.ALIASES}) == len(seed.ALIASES)


def test_choice_still_refuses_an_ambiguous_short_name_naming_the_near_entries(db):
    with pytest.raises(v.FieldError) as refused:
        v.choice("低保户", "categories", "农户类别", codes_by_name("household_category", SUIDE))
    assert "农村低保户" in refused.value.message and "低保户（2021年前）" in refused.value.message
    with pytest.raises(v.FieldError, match="不在代码表中"):
        v.choice("窑洞", "structure_type", "结构形式", codes_by_name("structure_type", SUIDE))


# --- where an alias holds --------------------------------------------------------------------------


def test_a_county_alias_holds_in_the_county_and_below_it_only(sd_admin):
    services.save_alias(actor=sd_admin, alias=None, data=dibao())
    for region in (SUIDE, "610826100", "610826100201"):
        assert codes_by_name("household_category", region)["低保户"] == "minimum_income"
    for region in (MIZHI, "610827001", "6108", "61", ""):
        assert "低保户" not in codes_by_name("household_category", region)
    assert codes_by_name("household_category", SUIDE)["农村低保户"] == "minimum_income"  # names still there


def test_two_counties_may_read_the_same_short_name_differently(sd_admin, mz_admin):
    services.save_alias(actor=sd_admin, alias=None, data=dibao())
    services.save_alias(actor=mz_admin, alias=None, data=dibao(MIZHI, "legacy_minimum_income", note="2021年前台账"))
    assert codes_by_name("household_category", SUIDE)["低保户"] == "minimum_income"
    assert codes_by_name("household_category", MIZHI)["低保户"] == "legacy_minimum_income"


def test_an_alias_of_a_stopped_entry_or_a_stopped_alias_reads_nothing(sd_admin):
    alias = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    services.deactivate_alias(actor=sd_admin, alias=alias)
    assert "低保户" not in codes_by_name("household_category", SUIDE)
    again = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    CodeItem.objects.filter(table="household_category", code="minimum_income").update(is_active=False)
    assert "低保户" not in codes_by_name("household_category", SUIDE)
    services.deactivate_alias(actor=sd_admin, alias=again)  # still possible with its entry stopped


# --- who sets them, audited ----------------------------------------------------------------------


def test_the_county_administrator_adds_edits_and_deactivates_each_audited(sd_admin):
    alias = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    assert alias.created_by == sd_admin and alias.alias == "低保户" and alias.is_active
    services.save_alias(actor=sd_admin, alias=alias, data=dibao(note="民政局 2024 年名单"))
    services.deactivate_alias(actor=sd_admin, alias=alias)
    services.save_alias(actor=sd_admin, alias=alias, data=dibao(is_active=True))
    events = list(AuditEvent.objects.filter(object_type="codetables.codealias").order_by("id"))
    assert [e.verb for e in events] == ["codealias.create", "codealias.update", "codealias.deactivate", "codealias.reactivate"]
    assert {e.region_code for e in events} == {"610826000000"}  # the county's auditor sees them
    assert events[1].before["note"] == "民政局名单" and events[1].after["note"] == "民政局 2024 年名单"
    assert all(e.actor_id == sd_admin.pk for e in events)


def test_an_alias_is_stored_as_written_without_spaces_and_full_width(sd_admin):
    alias = services.save_alias(actor=sd_admin, alias=None, data=dibao(alias=" 低保 户 ", code="minimum_income"))
    assert alias.alias == "低保户"


def test_a_county_official_may_not_set_an_alias_for_another_county(sd_admin):
    with pytest.raises(PermissionDenied, match="管辖范围"):
        services.save_alias(actor=sd_admin, alias=None, data=dibao(MIZHI))
    assert not CodeAlias.objects.filter(alias="低保户").exists()


def test_a_county_official_may_not_map_a_short_name_everywhere(sd_admin):
    with pytest.raises(PermissionDenied):
        services.save_alias(actor=sd_admin, alias=None, data=dibao(""))
    assert not CodeAlias.objects.filter(alias="低保户").exists()
    assert "低保户" not in codes_by_name("household_category", MIZHI)


def test_a_county_official_may_not_move_or_edit_another_county_s_alias(sd_admin, mz_admin):
    theirs = services.save_alias(actor=mz_admin, alias=None, data=dibao(MIZHI))
    with pytest.raises(PermissionDenied):
        services.save_alias(actor=sd_admin, alias=theirs, data=dibao(SUIDE))
    with pytest.raises(PermissionDenied):
        services.deactivate_alias(actor=sd_admin, alias=theirs)
    mine = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    with pytest.raises(PermissionDenied):  # nor move its own alias out of its county
        services.save_alias(actor=sd_admin, alias=mine, data=dibao(MIZHI, alias="低保"))
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.region_code, theirs.is_active, mine.region_code, mine.alias) == (MIZHI, True, SUIDE, "低保户")


def test_a_role_without_the_capability_sets_nothing(county_user):
    with pytest.raises(PermissionDenied):
        services.save_alias(actor=county_user, alias=None, data=dibao())
    assert not CodeAlias.objects.filter(alias="低保户").exists()


def test_the_province_administrator_sets_aliases_everywhere_and_for_any_county(sx_admin):
    services.save_alias(actor=sx_admin, alias=None, data=dibao(MIZHI))
    everywhere = AliasInput("structure_type", "砖混房", "brick_concrete", "")
    services.save_alias(actor=sx_admin, alias=None, data=everywhere)
    assert codes_by_name("structure_type", SUIDE)["砖混房"] == "brick_concrete"


# --- no alias may make a value mean two things -------------------------------------------------


@pytest.mark.parametrize(
    "data, reason",
    [
        (dibao(alias="农村低保户"), "已是代码项“农村低保户”的名称"),
        (dibao(alias="一般农户", code="minimum_income"), "已是代码项“一般农户”的名称"),
        (dibao(alias="minimum_income"), "已是代码项“农村低保户”的代码"),
        (AliasInput("structure_type", "砖混结构", "frame", SUIDE), "已是全省通用的别名（对应“砖混”）"),
        (AliasInput("structure_type", "砖混", "frame", SUIDE), "已是代码项“砖混”的名称"),
        (dibao(code="no_such_code"), "启用的代码项"),
        (dibao(alias=""), "请填写别名"),
        (dibao(alias="低" * 101), "别名过长"),
        (AliasInput("hotline", "举报", "61", SUIDE), "不能设置别名"),
        (dibao(region="610826100"), "县（区）"),
    ],
)
def test_an_alias_that_would_be_ambiguous_or_is_malformed_is_refused_saying_which(sd_admin, data, reason):
    with pytest.raises(ValidationError) as refused:
        services.save_alias(actor=sd_admin, alias=None, data=data)
    assert reason in " ".join(refused.value.messages)
    assert not CodeAlias.objects.filter(region_code=data.region_code).exists()


def test_the_same_alias_twice_in_a_county_or_over_a_county_s_is_refused(sd_admin, sx_admin):
    services.save_alias(actor=sd_admin, alias=None, data=dibao())
    with pytest.raises(ValidationError, match="绥德县（610826）的别名"):
        services.save_alias(actor=sd_admin, alias=None, data=dibao(code="legacy_minimum_income"))
    with pytest.raises(ValidationError, match="绥德县（610826）的别名"):  # everywhere would overlap Suide's
        services.save_alias(actor=sx_admin, alias=None, data=dibao(""))
    assert CodeAlias.objects.filter(alias="低保户").count() == 1


def test_a_stopped_alias_comes_back_only_if_nothing_took_its_place(sd_admin):
    old = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    services.deactivate_alias(actor=sd_admin, alias=old)
    services.save_alias(actor=sd_admin, alias=None, data=dibao(code="legacy_minimum_income"))
    with pytest.raises(ValidationError, match="同一代码表中不能重复"):
        services.save_alias(actor=sd_admin, alias=old, data=dibao(is_active=True))


def test_an_entry_may_not_be_named_as_an_active_alias(sx_admin):
    item = CodeItem(table="structure_type", code="brick_concrete_2", name="砖混结构", sort_order=99)
    with pytest.raises(ValidationError, match="全省通用的别名"):
        services.save_item(actor=sx_admin, item=item)
    assert not CodeItem.objects.filter(code="brick_concrete_2").exists()


# --- the import reads them -----------------------------------------------------------------------

HEADER = ["乡镇", "村", "户主姓名", "户主身份证号", "家庭人口", "农户类别", "结构形式", "建造年份"]


def ledger(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def run_import(path: Path, username: str, errors: Path) -> dict[str, Any]:
    out = StringIO()
    call_command("import_households", str(path), "--user", username, "--errors", str(errors), stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def reasons(errors: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    header = next(r for r in sheet if "错误原因" in r)
    return [r[header.index("错误原因")] for r in sheet[sheet.index(header) + 1 :]]


def test_the_issue_s_ledger_values_import_and_low_bao_waits_for_the_county_s_alias(county_user, sd_admin, tmp_path):
    path = ledger(
        tmp_path / "台账.xlsx",
        [
            ["名州镇", "雕山村", "霍建平", make_id(seq=501), 3, "农村低保户", "砖混结构", "2021.5"],
            ["名州镇", "雕山村", "贺军", make_id(seq=502), 2, "一般农户", "土木结构", "2021年5月"],
            ["名州镇", "雕山村", "白彩云", make_id(seq=503), 4, "低保户", "砖混", 2005],
            ["名州镇", "雕山村", "郝平", "610826197506010000", 1, "一般农户", "砖混", 1990],
        ],
    )
    errors = tmp_path / "errors.xlsx"
    assert run_import(path, "sd_county", errors)["rejected"] == 2
    houses = {h.head_name: h.houses.get() for h in Household.objects.all()}
    assert (houses["霍建平"].structure_type, houses["霍建平"].year_built) == ("brick_concrete", 2021)
    assert (houses["贺军"].structure_type, houses["贺军"].year_built) == ("earth_timber", 2021)
    found = reasons(errors)
    assert any("低保户" in r and "是否指" in r for r in found)  # named, not guessed
    assert any("Excel" in r and "重新录入" in r and "应为" not in r for r in found)

    services.save_alias(actor=sd_admin, alias=None, data=dibao())
    assert run_import(path, "sd_county", errors)["rejected"] == 1
    bai = Household.objects.get(head_name="白彩云")
    assert list(bai.categories.values_list("code", flat=True)) == ["minimum_income"]


def test_another_county_s_alias_does_not_reach_this_county_s_import(county_user, mz_admin, tmp_path):
    services.save_alias(actor=mz_admin, alias=None, data=dibao(MIZHI))
    path = ledger(tmp_path / "台账.xlsx", [["名州镇", "雕山村", "白彩云", make_id(seq=503), 4, "低保户", "砖混", 2005]])
    assert run_import(path, "sd_county", tmp_path / "errors.xlsx")["rejected"] == 1
    assert not Household.objects.exists()


# --- the pages -------------------------------------------------------------------------------------


def test_the_county_administrator_lists_searches_and_pages_the_county_s_aliases(client, sd_admin, mz_admin):
    for n in range(55):
        services.save_alias(actor=sd_admin, alias=None, data=dibao(alias=f"低保户{n:02d}"))
    services.save_alias(actor=mz_admin, alias=None, data=dibao(MIZHI, alias="米脂低保"))
    client.force_login(sd_admin)
    page = client.get(reverse("codetables:aliases") + "?table=household_category").content.decode()
    seeded = sum(1 for t, _, _ in seed.ALIASES if t == "household_category")  # valid everywhere: shown, read only
    assert f"共 {55 + seeded} 条" in page and "米脂低保" not in page and "下一页" in page
    second = client.get(reverse("codetables:aliases") + "?table=household_category&page=2").content.decode()
    assert "低保户54" in second
    found = client.get(reverse("codetables:aliases") + "?q=低保户07").content.decode()
    assert "低保户07" in found and "低保户08" not in found and "共 1 条" in found
    everywhere = client.get(reverse("codetables:aliases") + "?q=砖混结构").content.decode()
    row = everywhere.split("<td>砖混结构</td>", 1)[1].split("</tr>")[0]
    assert "全省通用" in row and "/codes/aliases/" not in row  # the county reads it, cannot change it


def test_the_county_administrator_adds_an_alias_on_the_page(client, sd_admin):
    client.force_login(sd_admin)
    form = client.get(reverse("codetables:alias_new")).content.decode()
    assert "对应代码项" in form and "绥德县（610826）" in form and "米脂县" not in form and "全省通用" not in form
    post = {"alias": "低保户", "target": "household_category:minimum_income", "region_code": SUIDE, "note": "民政局名单"}
    response = client.post(reverse("codetables:alias_new"), post)
    assert response.status_code == 302
    assert CodeAlias.objects.get(alias="低保户").region_code == SUIDE


@pytest.mark.parametrize("region", [MIZHI, ""])
def test_a_forged_post_for_another_county_or_everywhere_is_refused_on_the_page(client, sd_admin, region):
    client.force_login(sd_admin)
    post = {"alias": "低保户", "target": "household_category:minimum_income", "region_code": region}
    response = client.post(reverse("codetables:alias_new"), post)
    assert response.status_code == 200 and "不在您的管辖范围内" in response.content.decode()
    assert not CodeAlias.objects.filter(alias="低保户").exists()


def test_a_conflict_is_shown_on_the_page_in_chinese(client, sd_admin):
    client.force_login(sd_admin)
    post = {"alias": "砖混结构", "target": "structure_type:frame", "region_code": SUIDE}
    page = client.post(reverse("codetables:alias_new"), post).content.decode()
    assert "已是全省通用的别名（对应“砖混”）" in page
    post = {"alias": "低保户", "target": "hotline:61", "region_code": SUIDE}
    assert "选择" in client.post(reverse("codetables:alias_new"), post).content.decode()  # not a choice


def test_another_county_s_alias_is_not_found_and_a_get_changes_nothing(client, sd_admin, mz_admin):
    theirs = services.save_alias(actor=mz_admin, alias=None, data=dibao(MIZHI))
    client.force_login(sd_admin)
    assert client.get(reverse("codetables:alias_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("codetables:alias_deactivate", args=[theirs.pk])).status_code == 404
    post = {"alias": "低保户", "target": "household_category:minimum_income", "region_code": SUIDE, "is_active": "on"}
    assert client.post(reverse("codetables:alias_edit", args=[theirs.pk]), post).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.region_code == MIZHI
    client.force_login(mz_admin)
    assert client.get(reverse("codetables:alias_deactivate", args=[theirs.pk])).status_code == 405
    assert client.post(reverse("codetables:alias_deactivate", args=[theirs.pk])).status_code == 302
    theirs.refresh_from_db()
    assert not theirs.is_active


@pytest.mark.parametrize("role", [Role.COUNTY_STAFF, Role.TOWN_STAFF, Role.AUDITOR, Role.SUPERVISOR])
def test_a_role_without_the_capability_is_refused_on_every_alias_page(client, sd_admin, role):
    alias = services.save_alias(actor=sd_admin, alias=None, data=dibao())
    client.force_login(make_user(f"u_{role}", SUIDE, role))
    assert client.get(reverse("codetables:aliases")).status_code == 403
    assert client.get(reverse("codetables:alias_new")).status_code == 403
    post = {"alias": "五保户", "target": "household_category:dispersed_destitute", "region_code": SUIDE}
    assert client.post(reverse("codetables:alias_new"), post).status_code == 403
    assert client.post(reverse("codetables:alias_edit", args=[alias.pk]), post).status_code == 403
    assert client.post(reverse("codetables:alias_deactivate", args=[alias.pk])).status_code == 403
    assert list(CodeAlias.objects.filter(region_code=SUIDE).values_list("alias", "is_active")) == [("低保户", True)]


def test_a_refusal_lists_the_entries_names_before_any_alias(db):
    with pytest.raises(v.FieldError) as refused:
        v.choice("茅草屋", "structure_type", "结构形式", codes_by_name("structure_type", SUIDE))
    assert "可选：土木、砖木、砖土混杂、木结构、石木、砖混、框架、其他" in refused.value.message
