from django.urls import reverse
from python_calamine import CalamineWorkbook

from conftest import SUIDE_VILLAGE, add_household, make_id
from exchange.xlsx import safe_cell, write_rows
from households.models import Household


def test_create_household_with_bad_id_shows_chinese_error(client, county_user):
    client.force_login(county_user)
    bad = make_id(seq=77)[:-1] + ("0" if make_id(seq=77)[-1] != "0" else "1")
    response = client.post(
        reverse("households:new"), {"village": SUIDE_VILLAGE, "head_name": "贺兰", "head_id": bad, "family_size": "2"}
    )
    assert response.status_code == 200
    assert "身份证号校验位不符" in response.content.decode()
    assert "应为" not in response.content.decode()  # no check character is suggested (issue 13)
    assert not Household.objects.exists()


def test_create_and_edit_household_through_pages(client, county_user):
    client.force_login(county_user)
    response = client.post(
        reverse("households:new"),
        {
            "village": SUIDE_VILLAGE,
            "head_name": "贺兰",
            "head_id": make_id(seq=78),
            "family_size": "2",
            "categories": ["minimum_income"],
            "structure_type": "cave_stone",
            "year_built": "1990",
            "only_house": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get()
    detail = client.get(response["Location"]).content.decode()
    assert "贺兰" in detail and "新建农户档案" in detail
    edit = client.post(
        reverse("households:edit", args=[household.pk]),
        {"village": SUIDE_VILLAGE, "head_name": "贺兰", "head_id": "", "family_size": "3", "version": household.version},
    )
    assert edit.status_code == 302
    household.refresh_from_db()
    assert household.family_size == 3 and household.head_id == make_id(seq=78)
    stale = client.post(
        reverse("households:edit", args=[household.pk]),
        {"village": SUIDE_VILLAGE, "head_name": "贺兰", "family_size": "4", "version": 1},
    )
    assert "已被他人修改" in stale.content.decode()


def test_home_dashboard_figures_link_to_lists(client, county_user):
    add_household(county_user)
    client.force_login(county_user)
    page = client.get(reverse("home")).content.decode()
    assert "?category=minimum_income" in page and "?structure_type=cave_stone" in page
    listing = client.get(reverse("households:list") + "?structure_type=cave_stone").content.decode()
    assert "郝建国" in listing
    assert "郝建国" not in client.get(reverse("households:list") + "?structure_type=frame").content.decode()


def test_template_download_has_headers_and_dropdowns(client, county_user):
    client.force_login(county_user)
    response = client.get(reverse("exchange:import_template"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    import io

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert "*户主身份证号" in sheet[1]
    assert b"dataValidation" in __import__("zipfile").ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")


def test_formula_like_cells_are_escaped(tmp_path):
    assert safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_cell("+1") == "'+1" and safe_cell("普通") == "普通"
    path = tmp_path / "x.xlsx"
    write_rows(path, title="t", header=["a"], rows=[["=1+1"], ["@SUM(A1)"]])
    import zipfile

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_region_browse_and_search(client, county_user):
    client.force_login(county_user)
    assert "名州镇" in client.get(reverse("regions:detail", args=["610826"])).content.decode()
    assert "610826" in client.get(reverse("regions:browse") + "?q=绥德").content.decode()
    assert "雕山村委会" in client.get(reverse("regions:browse") + "?q=610826100201").content.decode()


def test_admin_manages_users_and_code_tables_but_not_archive(db, client):
    from accounts.roles import Role
    from codetables.models import CodeItem
    from conftest import make_user

    admin = make_user("adm", "610826", Role.ADMIN)
    province_admin = make_user("sx_adm", "61", Role.ADMIN)
    client.force_login(admin)
    assert client.get(reverse("households:list")).status_code == 403
    assert client.get(reverse("audit:search")).status_code == 403
    response = client.post(
        reverse("accounts:user_new"),
        {"username": "new_town", "region": "610826100", "roles": ["town_staff"], "password": "weak", "is_active": "on"},
    )
    assert "密码" in response.content.decode()
    response = client.post(
        reverse("accounts:user_new"),
        {"username": "new_town", "region": "610827", "roles": ["town_staff"], "password": "Good#Pass2026", "is_active": "on"},
    )
    assert "无权" in response.content.decode()
    response = client.post(
        reverse("accounts:user_new"),
        {"username": "new_town", "region": "610826100", "roles": ["town_staff"], "password": "Good#Pass2026", "is_active": "on"},
    )
    assert response.status_code == 302
    item = {"table": "structure_type", "code": "cave_hoop", "name": "箍窑", "sort_order": 50, "is_active": "on"}
    assert "省级系统管理员" in client.post(reverse("codetables:new"), item).content.decode()
    client.force_login(province_admin)
    response = client.post(reverse("codetables:new"), item)
    assert response.status_code == 302 and CodeItem.objects.filter(name="箍窑").exists()


def test_every_dashboard_figure_equals_its_list(client, county_user):
    import re

    from households.demo import generate

    generate(county="610826", count=120, seed=9)
    client.force_login(county_user)
    page = client.get(reverse("home")).content.decode()
    links = re.findall(r'<a href="/households/\?([^"]*)">([\d,]+)</a>', page)
    assert len(links) > 10
    for query, figure in links:
        listing = client.get("/households/?" + query.replace("&amp;", "&")).content.decode()
        shown = re.search(r"共 (\d+) 条", listing)
        assert shown and int(shown.group(1)) == int(figure.replace(",", "")), query


def test_categories_with_source_and_dates_and_timeline(client, county_user):
    household = add_household(county_user)
    client.force_login(county_user)
    url = reverse("households:category_new", args=[household.pk])
    bad = client.post(url, {"code": "poor_disabled", "source": "残联", "start_date": "2021-03-01", "end_date": "2020-01-01"})
    assert "终止日期不能早于起始日期" in bad.content.decode()
    assert client.post(url, {"code": "poor_disabled", "source": "残联", "start_date": "2019-03-01"}).status_code == 302
    member_url = reverse("households:member_new", args=[household.pk])
    assert client.post(member_url, {"name": "郝小平", "relation": "son", "id_number": ""}).status_code == 302
    member = household.members.get()
    client.post(reverse("households:member_delete", args=[household.pk, member.pk]))
    detail = client.get(reverse("households:detail", args=[household.pk])).content.decode()
    assert "残联" in detail and "2019-03-01" in detail
    for label in ("添加农户类别", "添加家庭成员", "删除家庭成员", "新建农户档案"):
        assert label in detail, label


def test_fast_export_file_opens_in_strict_readers(tmp_path):
    import openpyxl

    from exchange.xlsx_stream import write_rows_fast

    path = tmp_path / "fast.xlsx"
    rows = [["610826100201", "郝<建>&国", 3, 62.5, True, '=HYPERLINK("x")', None, "\x01控制"]] * 3
    n = write_rows_fast(
        path,
        title="标题 & 说明",
        header=["代码", "姓名", "人口", "面积", "一户一宅", "备注", "空", "控制"],
        rows=rows,
        text_columns=[0],
    )
    assert n == 3
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet["A1"].value == "标题 & 说明" and "A1:H1" in str(sheet.merged_cells)
    assert sheet["B3"].value == "郝<建>&国" and sheet["C3"].value == 3 and sheet["D3"].value == 62.5
    assert sheet["A3"].value == "610826100201" and sheet["A3"].number_format == "@"
    assert sheet["E3"].value == "是" and sheet["F3"].value == '=HYPERLINK("x")' and sheet["F3"].quotePrefix
    assert sheet["G3"].value is None and sheet["H3"].value == "控制"
    assert sheet.freeze_panes == "A3"
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert calamine[2][1] == "郝<建>&国"
