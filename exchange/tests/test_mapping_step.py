"""The mapping step of an import (ADR 0033): upload → the header read and each column proposed (待确认列)
→ the uploader confirms or corrects it (kept as the county's mapping) → the check runs with it → the
preview names the columns not imported → import; and every stale or forged form refused in Chinese."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from conftest import make_id, make_user
from exchange import services
from exchange.mappings import saved_for
from exchange.models import ColumnMapping, ImportJob
from exchange.xlsx_stream import column_letter
from households.models import Household

TOP = ["序号", "乡镇", "村", "户主信息", None, "家庭人口（人）", "房屋信息", None, "一卡通信息", None, "是否脱贫户", "情况说明"]
SUB = [None, None, None, "姓名", "身份证号", None, "结构形式", "建筑面积（平方米）", "开户行", "一卡通号", None, None]
MERGED = ["A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "G2:H2", "I2:J2", "K2:K3", "L2:L3"]


def ledger(path: Path, ids: list[str]) -> Path:
    """A town's ledger: a title merged across, two header rows with cells merged down and across, units."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["绥德县名州镇农村住房安全保障台账"] + [None] * 11)
    sheet.merge_cells("A1:L1")
    sheet.append(TOP)
    sheet.append(SUB)
    for cells in MERGED:
        sheet.merge_cells(cells)
    for n, id_number in enumerate(ids, 1):
        account = "6230000011112222" + str(100 + n)
        sheet.append(
            [n, "名州镇", "雕山村", "郝" + "甲乙丙丁"[n - 1], id_number, 3, "砖混", "82.5", "陕西信合", account, "是", "屋顶漏雨"]
        )
    book.save(path)
    return path


def uploaded(user: Any, path: Path, capture: Any) -> ImportJob:
    with capture(execute=True):
        job = services.create_import_job(user=user, path=path, original_name=path.name)
    job.refresh_from_db()
    return job


@pytest.fixture
def upload(county_user: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> Any:
    """upload(seqs, name): the county official uploads a ledger of households with those ID numbers."""

    def run(ids: list[str], name: str = "a.xlsx") -> ImportJob:
        return uploaded(county_user, ledger(tmp_path / name, ids), django_capture_on_commit_callbacks)

    return run


def choices_of(job: ImportJob, **override: str) -> dict[str, str]:
    """The form as the page fills it, with `override` (header -> field) changed by the official."""
    return {f"col_{n}": override.get(c["header"], c["field"] or "") for n, c in enumerate(job.proposal["columns"])}


def test_a_ledger_with_two_header_rows_and_units_is_proposed_whole(
    upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = upload([make_id(seq=11), make_id(seq=12)], "名州镇.xlsx")
    assert job.status == ImportJob.Status.MAPPING and job.mapping is None
    assert job.proposal["title"] == "绥德县名州镇农村住房安全保障台账" and job.proposal["header_rows"] == 2
    got = {c["header"]: c["field"] for c in job.proposal["columns"]}
    assert got == {
        "序号": None, "乡镇": "town", "村": "village", "户主信息/姓名": "head_name", "户主信息/身份证号": "head_id",
        "家庭人口（人）": "family_size", "房屋信息/结构形式": "structure_type", "房屋信息/建筑面积（平方米）": "floor_area",
        "一卡通信息/开户行": "bank_name", "一卡通信息/一卡通号": "bank_account", "是否脱贫户": None, "情况说明": None,
    }  # fmt: skip
    ids = next(c for c in job.proposal["columns"] if c["field"] == "head_id")
    assert ids["letter"] == "E" and len(ids["samples"]) == 2
    assert all(make_id(seq=11)[6:14] not in s for c in job.proposal["columns"] for s in c["samples"])  # kept masked
    page = Client()
    page.force_login(county_user)
    html = page.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert 'id="mapping-table"' in html and "以下列不导入：序号、是否脱贫户、情况说明" in html
    assert not Household.objects.exists() and not ColumnMapping.objects.exists()


def test_the_official_corrects_a_column_and_the_import_uses_it_and_names_the_rest(
    upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = upload([make_id(seq=21), make_id(seq=22), "6108261968"])
    client = Client()
    client.force_login(county_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:import_mapping", args=[job.pk]), choices_of(job, 情况说明="note"))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.total_rows, job.valid_rows, job.rejected_rows) == (3, 2, 1)
    assert job.unmapped == ["序号", "是否脱贫户"]
    saved = saved_for(county_user)
    assert saved is not None and ["情况说明", "note"] in saved.columns and saved.header_rows == 2
    event = AuditEvent.objects.filter(verb="import.mapping").latest("id")
    assert ["情况说明", "note"] in event.after["columns"]
    html = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert "以下列未导入" in html and "序号、是否脱贫户" in html and 'id="remap-btn"' in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exchange:import_action", args=[job.pk, "confirm"]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created == 2
    household = Household.objects.get(head_name="郝甲")
    assert household.note == "屋顶漏雨" and household.bank_name == "陕西信合" and household.bank_account == "6230000011112222101"
    assert household.houses.get().floor_area == 82.5
    finish = AuditEvent.objects.filter(verb="import.finish").latest("id")
    assert finish.after["unmapped"] == ["序号", "是否脱贫户"]
    assert "序号、是否脱贫户" in client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()


def test_back_from_the_preview_to_the_mapping_and_the_next_upload_is_proposed_from_the_countys(
    upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = upload([make_id(seq=31)])
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_mapping(user=county_user, job=job, choices=choices_of(job, 情况说明="note", 乡镇=""))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    services.remap_import(user=county_user, job=job)
    assert job.status == ImportJob.Status.MAPPING
    client = Client()
    client.force_login(county_user)
    html = client.get(reverse("exchange:import_detail", args=[job.pk])).content.decode()
    assert '<option value="note" selected>' in html  # the page keeps what was confirmed
    with pytest.raises(ValidationError, match="不能修改列对应"):
        services.remap_import(user=county_user, job=job)  # only from the preview
    with pytest.raises(ValidationError, match="不能确认"):
        services.confirm_import(user=county_user, job=job)  # the preview is gone until the check runs again
    again = upload([make_id(seq=32)], "b.xlsx")
    by_header = {c["header"]: (c["field"], c["source"]) for c in again.proposal["columns"]}
    assert by_header["情况说明"] == ("note", "saved") and by_header["乡镇"] == (None, "saved")
    assert by_header["户主信息/姓名"] == ("head_name", "saved")


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (lambda c: c | {"col_99": "note"}, "在文件中不存在"),
        (lambda c: c | {"col_x": "note"}, "在文件中不存在"),
        (lambda c: c | {"col_11": "no_such_field"}, "所选的档案字段不存在"),
        (lambda c: c | {"col_11": "head_name"}, "一个档案字段只能对应一列"),
        (lambda c: {k: v for k, v in c.items() if k != "col_11"}, "以下列没有选择"),
        (lambda c: c | {"col_4": ""}, "必须指定哪一列是“户主身份证号”"),
    ],
)
def test_a_stale_or_forged_mapping_is_refused_in_chinese(
    forge: Any, message: str, upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = upload([make_id(seq=41)])
    client = Client()
    client.force_login(county_user)
    response = client.post(reverse("exchange:import_mapping", args=[job.pk]), forge(choices_of(job)))
    assert response.status_code == 400 and message in response.content.decode()
    assert 'id="mapping-table"' in response.content.decode()  # the form comes back with what was chosen
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING and job.mapping is None and not ColumnMapping.objects.exists()


def test_only_the_uploader_confirms_a_mapping(upload: Any, county_user: Any) -> None:
    job = upload([make_id(seq=51)])
    colleague = make_user("sd_county2", "610826")
    with pytest.raises(PermissionDenied):
        services.confirm_mapping(user=colleague, job=job, choices=choices_of(job))
    client = Client()
    client.force_login(colleague)
    assert client.post(reverse("exchange:import_mapping", args=[job.pk]), choices_of(job)).status_code == 404  # not theirs to see
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING and job.mapping is None


def test_a_mapping_is_confirmed_once(upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    job = upload([make_id(seq=61)])
    stale = ImportJob.objects.get(pk=job.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_mapping(user=county_user, job=job, choices=choices_of(job))
    with pytest.raises(ValidationError, match="不能确认列对应"):
        services.confirm_mapping(user=county_user, job=stale, choices=choices_of(stale, 情况说明="note"))
    assert ImportJob.objects.get(pk=job.pk).mapping.get("情况说明") == ""


def test_a_mapping_step_can_be_cancelled_and_started_again(
    upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = upload([make_id(seq=71)])
    services.cancel_import(user=county_user, job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    with django_capture_on_commit_callbacks(execute=True):
        services.restart_import(user=county_user, job=job)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.MAPPING  # its header read again, the mapping still the uploader's to confirm


def test_a_file_without_a_header_fails_at_the_mapping_step_with_the_reason(
    county_user: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("姓名,电话\n张三,139\n", encoding="utf-8")
    job = uploaded(county_user, path, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.FAILED and "没有找到表头" in job.message


def test_the_command_skips_the_step_with_the_countys_mapping_and_names_the_columns_left_out(
    county_user: Any, tmp_path: Path
) -> None:
    from io import StringIO

    ColumnMapping.objects.create(region_code="610826", columns=[["情况说明", "note"]], updated_by=county_user)
    err = StringIO()
    call_command("import_households", str(ledger(tmp_path / "a.xlsx", [make_id(seq=81)])), "--user", "sd_county",
                 stdout=StringIO(), stderr=err)  # fmt: skip
    assert Household.objects.get(head_name="郝甲").note == "屋顶漏雨"
    assert "未导入的列：序号、是否脱贫户" in err.getvalue()
    assert AuditEvent.objects.filter(verb="import.finish").latest("id").after["unmapped"] == ["序号", "是否脱贫户"]


def test_column_letters() -> None:
    assert [column_letter(n) for n in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_a_job_waiting_for_its_mapping_whose_file_expired_is_cancelled(upload: Any, settings: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    settings.ANJU_RETENTION_DAYS = 30
    job = upload([make_id(seq=91)])
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    call_command("purge_expired_files")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED and job.purged_at and not Path(job.file_path).exists()


def test_a_mapping_with_a_relation_column_is_kept_as_a_ledger_of_persons(
    upload: Any, county_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The county's export in its own shape follows the layout: one row per person when its ledger is."""
    job = upload([make_id(seq=31)])
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_mapping(user=county_user, job=job, choices=choices_of(job, 是否脱贫户="relation"))
    saved = saved_for(county_user)
    assert saved is not None and saved.layout == "person"
    job = upload([make_id(seq=32)], name="b.xlsx")
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_mapping(user=county_user, job=job, choices=choices_of(job, 是否脱贫户=""))
    saved = saved_for(county_user)
    assert saved is not None and saved.layout == "household"
