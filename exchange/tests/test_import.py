import json
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from python_calamine import CalamineWorkbook

from audit.models import AuditEvent
from conftest import make_id
from exchange import household_import
from exchange.models import ImportJob
from exchange.services import create_import_job
from households.models import Household, Member

HEADER = ["乡镇", "村", "组", "户主姓名", "户主身份证号", "联系电话", "家庭人口", "农户类别", "结构形式", "建造年份", "建筑面积"]


def row(seq: int, name: str = "郝建国", **over):
    values = {
        "乡镇": "名州镇",
        "村": "雕山村",
        "组": "3组",
        "户主姓名": name,
        "户主身份证号": make_id(seq=seq),
        "联系电话": "13912345678",
        "家庭人口": 3,
        "农户类别": "农村低保户",
        "结构形式": "石窑洞",
        "建造年份": 1985,
        "建筑面积": 62.5,
    }
    values.update(over)
    return [values[h] for h in HEADER]


def write_xlsx(path: Path, rows, title=True):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["绥德县名州镇农户住房情况统计表"])
        sheet.append(["填报单位：名州镇人民政府", None, None, "填报日期：2026年3月"])
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def run_cli(path: Path, user: str, *extra: str) -> dict:
    out = StringIO()
    call_command("import_households", str(path), "--user", user, *extra, stdout=out)
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_messy_spreadsheet_imports_good_rows_and_explains_bad_ones(county_user, tmp_path):
    lost_digits = float(make_id(seq=301)[:15] + "000")
    rows = [
        row(101),
        [None] * len(HEADER),  # blank row
        row(102, name=" 贺 兰 ", **{"户主身份证号": "６１０８２６" + make_id(seq=102)[6:], "家庭人口": "４"}),
        row(103, **{"户主身份证号": make_id(seq=103)[:-1] + ("0" if make_id(seq=103)[-1] != "0" else "1")}),
        row(104, **{"户主身份证号": lost_digits}),
        row(105, **{"村": "不存在村"}),
        row(106, **{"结构形式": "茅草屋"}),
        row(101, name="重复"),
    ]
    path = write_xlsx(tmp_path / "名州镇.xlsx", rows)
    errors = tmp_path / "errors.xlsx"
    result = run_cli(path, "sd_county", "--errors", str(errors))
    assert result == {"rows": 7, "created": 2, "updated": 0, "unchanged": 0, "rejected": 5}
    he = Household.objects.get(head_name="贺兰")
    assert he.family_size == 4 and he.head_id == make_id(seq=102)
    sheet = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "绥德县名州镇农户住房情况统计表"  # the ledger's own title rows and header, as they were
    header = sheet[2]
    assert header == [*HEADER, "原行号", "错误原因"]
    reasons = [r[header.index("错误原因")] for r in sheet[3:]]
    assert len(reasons) == 5
    assert any("校验位" in r for r in reasons)
    assert any("Excel" in r and "重新录入" in r for r in reasons)
    assert not any("应为" in r and "校验" in r for r in reasons)  # never a check character to copy
    assert any("找不到" in r for r in reasons)
    assert any("茅草屋" in r and "不在代码表中" in r for r in reasons)
    assert any("重复" in r for r in reasons)
    assert [r[header.index("原行号")] for r in sheet[3:]] == [7.0, 8.0, 9.0, 10.0, 11.0]  # sheet line numbers


def test_same_file_twice_changes_nothing_and_a_corrected_file_updates(county_user, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [row(101), row(102, name="贺兰")])
    assert run_cli(path, "sd_county")["created"] == 2
    events = AuditEvent.objects.count()
    assert run_cli(path, "sd_county") == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert AuditEvent.objects.count() == events + 1  # only the import's own event
    fixed = write_xlsx(tmp_path / "b.xlsx", [row(101, **{"家庭人口": 5}), row(102, name="贺兰")])
    assert run_cli(fixed, "sd_county") == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "rejected": 0}
    assert Household.objects.get(head_name="郝建国").family_size == 5


def test_dry_run_writes_nothing(county_user, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [row(101)])
    assert run_cli(path, "sd_county", "--dry-run")["created"] == 1
    assert not Household.objects.exists()


def test_the_preview_counts_what_the_import_then_does(county_user, neighbour_user, tmp_path):
    """A dry run works each row's outcome out without writing: the same counts as the import that follows."""
    assert run_cli(write_xlsx(tmp_path / "a.xlsx", [row(111), row(112, name="贺兰")]), "sd_county")["created"] == 2
    from conftest import MIZHI_VILLAGE, household_input, make_id
    from households.services import save_households

    elsewhere = household_input(make_id(seq=113), village=MIZHI_VILLAGE)  # archived by the next county
    assert save_households(actor=neighbour_user, inputs=[elsewhere])[0].status == "created"
    rows = [row(111), row(112, name="贺兰", **{"家庭人口": 6}), row(114, name="白永旺"), row(113, name="崔海"), row(115, name="")]
    path = write_xlsx(tmp_path / "b.xlsx", rows)
    households, events = Household.objects.count(), AuditEvent.objects.count()
    preview = run_cli(path, "sd_county", "--dry-run")
    assert preview == {"rows": 5, "created": 1, "updated": 1, "unchanged": 1, "rejected": 2}
    assert (Household.objects.count(), AuditEvent.objects.count()) == (households, events)
    assert run_cli(path, "sd_county") == preview


def test_gbk_csv_with_title_row(county_user, tmp_path):
    lines = ["绥德县农户名单", ",".join(HEADER)] + [
        ",".join(str(c) for c in row(201 + n, name="白" + "甲乙丙"[n])) for n in range(3)
    ]
    path = tmp_path / "gbk.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    assert run_cli(path, "sd_county")["created"] == 3


def test_utf8_csv_by_code_column(county_user, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(
        "村区划代码,户主姓名,身份证号码,家庭人口\n610826100201,雷军," + make_id(seq=401) + ",2\n", encoding="utf-8-sig"
    )
    assert run_cli(path, "sd_county")["created"] == 1


def test_rows_outside_the_users_region_are_rejected(neighbour_user, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [row(101)])
    result = run_cli(path, "mz_county")
    assert result["rejected"] == 1 and not Household.objects.exists()


def test_file_without_header_gets_a_clear_error(county_user, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="没有找到表头"):
        run_cli(path, "sd_county")


def test_web_job_previews_then_imports(county_user, tmp_path, django_capture_on_commit_callbacks):
    path = write_xlsx(tmp_path / "a.xlsx", [row(101), row(102, **{"户主身份证号": "123"})])
    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(user=county_user, path=path, original_name="a.xlsx")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING  # the header read, the columns wait for the uploader (ADR 0033)
    assert not Household.objects.exists()
    from exchange.services import confirm_mapping

    choices = {f"col_{n}": c["field"] or "" for n, c in enumerate(job.proposal["columns"])}
    with django_capture_on_commit_callbacks(execute=True):
        confirm_mapping(user=county_user, job=job, choices=choices)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.total_rows, job.valid_rows, job.rejected_rows, job.planned_create) == (2, 1, 1, 1)
    assert not Household.objects.exists()
    assert Path(job.errors_path).exists()
    from exchange.services import confirm_import

    with django_capture_on_commit_callbacks(execute=True):
        confirm_import(user=county_user, job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 1
    assert Household.objects.count() == 1


def test_interrupted_import_resumes_without_half_households(
    county_user, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(household_import, "CHUNK", 2)
    path = write_xlsx(tmp_path / "a.xlsx", [row(500 + n, name="田" + "甲乙丙丁戊"[n]) for n in range(5)])
    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(user=county_user, path=path, original_name="a.xlsx", mapping={})  # the catalogue's
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, processed_rows=0)
    on_commit, _on_progress = household_import.job_progress_callbacks(job.pk)
    calls = {"n": 0}

    def dying_commit(delta, n):
        on_commit(delta, n)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process is killed inside the second chunk's transaction

    parsed = household_import.parse_file(path, "a.xlsx", county_user)
    with pytest.raises(KeyboardInterrupt):
        household_import.run(parsed, user=county_user, on_commit=dying_commit)
    job.refresh_from_db()
    assert job.processed_rows == 2 and Household.objects.count() == 2
    assert all(h.houses.count() == 1 for h in Household.objects.all())
    from exchange.tasks import run_import

    run_import.call(str(job.pk))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Household.objects.count() == 5 and job.created == 5


def test_members_come_with_demo_households(db):
    from households.demo import generate

    generate(county="610826", count=30, seed=1)
    assert Household.objects.count() == 30
    for household in Household.objects.all():
        assert household.family_size == 1 + household.members.count()
    assert Member.objects.exclude(id_number_hash="").count() == Member.objects.count()


def test_ledger_with_units_dates_two_header_rows_and_a_total_row(county_user, tmp_path):
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名州镇农村住房安全台账"])
    sheet.append(["序号", "基本信息", None, None, None, None, None, "房屋情况"])
    sheet.append(
        [
            "序号",
            "乡镇（街道）",
            "所属村",
            "户主",
            "身份证号码",
            "联系方式",
            "家庭人口数",
            "房屋结构",
            "建房时间",
            "住房面积",
            "层数",
        ]
    )
    sheet.append(
        [
            1,
            "名州镇",
            "雕山村",
            "霍建平",
            make_id(seq=801),
            "138-1234-5678",
            "3人",
            "石窑洞",
            dt.datetime(1985, 3, 1),
            "87.5㎡",
            "1层",
        ]
    )
    sheet.append([2, "名州镇", "雕山村", "贺军", float(make_id(seq=802)[:17] + "0"), "", 2, "砖混", 2005, 120, 2])
    sheet.append(["合计", None, None, None, None, None, 5])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    errors = tmp_path / "errors.xlsx"
    assert run_cli(path, "sd_county", "--errors", str(errors)) == {
        "rows": 2,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    household = Household.objects.get(head_name="霍建平")
    house = household.houses.get()
    assert (household.phone, household.family_size) == ("13812345678", 3)
    assert (house.year_built, str(house.floor_area), house.storeys) == (1985, "87.50", 1)
    sheet = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()
    assert sheet[1][:2] == ["序号", "基本信息"] and sheet[2][-2:] == ["原行号", "错误原因"]  # both header rows, as they were
    line = sheet[3]
    assert line[0] == "2" and line[-2] == 5  # 序号 2 as typed (not 2.0), and the sheet line
    assert line[4] == str(int(float(make_id(seq=802)[:17] + "0"))) and "重新录入" in line[-1]  # what Excel kept


def test_old_excel_xls_file_as_saved_by_wps(county_user, tmp_path):
    """A .xls (Excel 97–2003, as WPS often saves) with a title row, a unit and a year with 年."""
    fixture = Path(__file__).parent / "fixtures" / "households.xls"
    errors = tmp_path / "errors.xlsx"
    result = run_cli(fixture, "sd_county", "--errors", str(errors))
    assert result == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    he = Household.objects.get(head_name="贺兰")
    assert he.head_id == "61082619680512902X" and he.family_size == 2 and he.houses.get().year_built == 2003
    reasons = CalamineWorkbook.from_path(str(errors)).get_sheet_by_index(0).to_python()[3][-1]  # under title, blank, header
    assert "不是真实的日期" in reasons  # 610826196805129 read as an old 15-digit number


def test_web_upload_takes_xls_and_refuses_other_files(county_user):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    fixture = Path(__file__).parent / "fixtures" / "households.xls"
    job = create_import_job_from_upload(county_user, SimpleUploadedFile("名单.xls", fixture.read_bytes()))
    assert job.original_name == "名单.xls"
    with pytest.raises(ValidationError, match=r"只支持 Excel（.xlsx、.xls）和 .csv"):
        create_import_job_from_upload(county_user, SimpleUploadedFile("名单.docx", b"x"))


def create_import_job_from_upload(user, upload):
    from exchange.services import start_import

    return start_import(user=user, upload=upload)


def test_the_progress_estimate_reads_an_xlsx_height_without_reading_its_rows(tmp_path):
    import re
    import zipfile

    from exchange.readers import estimate_rows

    path = write_xlsx(tmp_path / "a.xlsx", [row(900 + n) for n in range(7)])
    height = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).height
    assert estimate_rows(path) == height == 10  # two title rows, the header, seven households
    bare = tmp_path / "bare.xlsx"  # a writer that leaves out <dimension>: the sheet is read and counted
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bare, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            dst.writestr(item, data)
    assert estimate_rows(bare) == height
