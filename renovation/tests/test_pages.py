from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.test import Client

from accounts.roles import Role
from conftest import PASSWORD, make_user
from funds.models import DisbursementBatch, Payment
from renovation.dates import clock_at
from renovation.models import Case, Notice
from renovation.tests.fixtures import LONG_AGO, TODAY, accepted_repair, through_notices

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_open_review_and_notice_through_the_pages(county_user: Any, village_user: Any, town_user: Any, dangerous: Any) -> None:
    village = login("sd_village")
    house = dangerous.houses.get()
    section = village.get(f"/inspections/households/{dangerous.pk}/safety/").content.decode()
    assert "纳入危房改造" in section
    opened = village.post(f"/renovation/houses/{house.pk}/open/")
    case = Case.objects.get()
    assert opened["Location"] == f"/renovation/cases/{case.pk}/"
    section = village.get(f"/inspections/households/{dangerous.pk}/safety/").content.decode()
    assert f"/renovation/cases/{case.pk}/documents/agreement.pdf" in section and "施工照片 0 张" in section
    page = village.get(opened["Location"]).content.decode()
    assert 'data-action="village_review"' in page and "农户申请" in page
    village.post(
        f"/renovation/cases/{case.pk}/step/", {"action": "village_review", "comment": "评议通过", "version": case.version}
    )
    assert Case.objects.get().state == "village_reviewed"
    form = village.get("/renovation/notices/new/").content.decode()
    assert dangerous.head_name in form and "不少于 7 天" in form
    backdated = village.post("/renovation/notices/new/", {"case": [case.pk], "start_date": LONG_AGO.isoformat()}, follow=True)
    assert "不能早于上一步" in backdated.content.decode() and not Notice.objects.exists()
    assert Case.objects.get().state == "village_reviewed"
    published = village.post("/renovation/notices/new/", {"case": [case.pk], "start_date": TODAY.isoformat()})
    notice = Notice.objects.get()
    assert published["Location"] == f"/renovation/notices/{notice.pk}/" and Case.objects.get().state == "village_notice"
    town = login("sd_town")
    refused = town.post(f"/renovation/cases/{case.pk}/step/", {"action": "village_review"}, follow=True).content.decode()
    assert "不能进行“村民主评议”" in refused
    listing = town.get("/renovation/?state=village_notice").content.decode()
    assert dangerous.head_name in listing
    early = town.post("/renovation/batch/", {"case": [case.pk], "action": "town_review", "next": "/renovation/"}, follow=True)
    assert "公示期满后才能进行下一步" in early.content.decode() and Case.objects.get().state == "village_notice"
    with clock_at(TODAY + dt.timedelta(days=7)):  # a week later (signed in again: the session of today has expired)
        moved = login("sd_town").post(
            "/renovation/batch/", {"case": [case.pk], "action": "town_review", "next": "/renovation/"}, follow=True
        )
    assert "已办理 1 户" in moved.content.decode() and Case.objects.get().state == "town_reviewed"
    neighbour = make_user("mz_village", "610827101200", Role.VILLAGE_CADRE)
    assert neighbour and login("mz_village").get(f"/renovation/cases/{case.pk}/").status_code == 404


@needs_chromium
def test_documents_and_notice_print_as_pdf(county_user: Any, village_user: Any, town_user: Any, dangerous: Any) -> None:
    from renovation import services

    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    county = login("sd_county")
    for kind in ("agreement", "card", "cover"):
        response = county.get(f"/renovation/cases/{case.pk}/documents/{kind}.pdf")
        assert response["Content-Type"] == "application/pdf" and body(response).startswith(b"%PDF"), kind
    notice = Notice.objects.filter(level="county").get()
    pdf = county.get(f"/renovation/notices/{notice.pk}/?format=pdf")
    assert body(pdf).startswith(b"%PDF")


def test_ranking_publishes_the_day(county_user: Any, village_user: Any, dangerous: Any) -> None:
    from renovation import services

    services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    county = login("sd_county")
    page = county.get("/renovation/ranking/").content.decode()
    assert ("名州镇" in page and "每日进度排名" not in page) or "危房改造进度排名" in page
    county.post("/renovation/ranking/?region=610826")
    from renovation.models import ProgressReport

    report = ProgressReport.objects.get()
    assert report.day == dt.date.today() and report.rows[0]["name"] == "名州镇" and report.rows[0]["plan"] == 1


def test_funds_pages_from_batch_to_bank_return(
    county_user: Any,
    village_user: Any,
    town_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
) -> None:
    from renovation.services import open_case

    dangerous.bank_account = "6230111122223333444"
    dangerous.save()
    case = open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser)
    make_user("sd_checker", "610826", Role.COUNTY_STAFF)
    county, checker = login("sd_county"), login("sd_checker")
    year = case.year
    county.post(
        "/funds/allocations/",
        {
            "year": year,
            "document_no": "陕财社〔2026〕1号",
            "issued_on": TODAY.isoformat(),
            "amount": "10,000",
            "level": "province",
        },
    )
    made = county.post("/funds/batches/", {"year": year, "stage": "final"})
    batch = DisbursementBatch.objects.get()
    assert made["Location"] == f"/funds/batches/{batch.pk}/"
    own = county.post(f"/funds/batches/{batch.pk}/approve/", follow=True).content.decode()
    assert "制单人以外的另一人" in own
    checker.post(f"/funds/batches/{batch.pk}/approve/")
    assert "生成银行代发文件" in county.post(f"/funds/batches/{batch.pk}/issue/", follow=True).content.decode()
    sent = body(county.get(f"/funds/batches/{batch.pk}/bank.csv")).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(sent)))
    assert lines[1][2] == "6230111122223333444" and lines[1][5] == "5000.00"
    xlsx = openpyxl.load_workbook(io.BytesIO(body(county.get(f"/funds/batches/{batch.pk}/bank.xlsx"))))
    assert any("6230111122223333444" in [str(c) for c in r] for r in xlsx.active.iter_rows(values_only=True))
    back = io.StringIO()
    writer = csv.writer(back)
    writer.writerow(["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要", "处理结果", "失败原因"])
    writer.writerow([*lines[1], "成功", ""])
    upload = io.BytesIO(back.getvalue().encode("utf-8-sig"))
    upload.name = "回盘.csv"
    result = county.post(f"/funds/batches/{batch.pk}/return/", {"file": upload}, follow=True).content.decode()
    assert "到账 1 笔" in result and Payment.objects.get().status == "paid" and Case.objects.get().state == "paid"
    home = county.get(f"/funds/?year={year}").content.decode()
    assert 'id="ledger-allocated">10,000.00' in home and 'id="ledger-balance">5,000.00' in home
    summary = county.get(f"/funds/summary/?county=610826&year={year}").content.decode()
    assert "C级 维修加固" in summary and "5,000.00" in summary
    sheet = openpyxl.load_workbook(io.BytesIO(body(county.get(f"/funds/summary/?county=610826&year={year}&format=xlsx")))).active
    assert sheet["A1"].value.endswith("年农村危房改造年度汇总")
    drill = county.get(f"/funds/payments/?county=610826&year={year}&status=paid").content.decode()
    assert dangerous.head_name in drill
    if Path("/usr/bin/chromium").exists():
        disclosure = county.get(f"/funds/disclosure/?village={dangerous.region_code}&year={year}")
        assert disclosure["Content-Type"] == "application/pdf" and body(disclosure).startswith(b"%PDF")
    from funds import selectors

    (line,) = selectors.disclosure_rows(dangerous.region_code, year)
    assert line[0] == dangerous.head_name[0] + "**" and "*" in line[1] and line[2] == "6230***********3444"


def test_the_case_list_exports_to_excel_with_its_filters(
    county_user: Any, village_user: Any, dangerous: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from renovation import services

    services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    county = login("sd_county")
    with django_capture_on_commit_callbacks(execute=True):
        job = county.post("/exchange/exports/new/?state=application&year=" + str(TODAY.year), {"kind": "cases"})
    download = county.get(job["Location"] + "download/")
    sheet = openpyxl.load_workbook(io.BytesIO(body(download))).active
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert dangerous.head_name in values and "农户申请" in values and "名州镇" in values


def test_the_next_county_sees_none_of_it(
    county_user: Any,
    village_user: Any,
    town_user: Any,
    dangerous: Any,
    neighbour_user: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
) -> None:
    from accounts.tokens import issue
    from funds import services as funds
    from renovation import services

    dangerous.bank_account = "6230444455556666777"
    dangerous.save()
    case = accepted_repair(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk),
        village_user,
        town_user,
        county_user,
        craftsman,
        appraiser_user,
        trained_appraiser,
    )
    batch = funds.build_batch(actor=county_user, county="610826", year=case.year).batch
    assert batch is not None
    notice = Notice.objects.first()
    assert notice is not None
    other = login("mz_county")
    assert other.get(f"/renovation/cases/{case.pk}/").status_code == 404
    assert dangerous.head_name not in other.get("/renovation/").content.decode()
    assert other.get(f"/renovation/notices/{notice.pk}/").status_code == 404
    assert notice.title not in other.get("/renovation/notices/").content.decode()
    assert other.get(f"/funds/batches/{batch.pk}/").status_code == 404
    assert "绥德县" not in other.get(f"/funds/?year={case.year}").content.decode()
    assert other.get(f"/funds/payments/?county=610826&year={case.year}").content.decode().count(dangerous.head_name) == 0
    assert other.get(f"/renovation/cases/{case.pk}/documents/agreement.pdf").status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Token {issue(user=neighbour_user, name='test').key}")
    assert api.get("/api/cases/").json()["count"] == 0 and api.get("/api/batches/").json()["count"] == 0
    assert api.get(f"/api/batches/{batch.pk}/").status_code == 404
    assert (
        api.post(f"/api/cases/{case.pk}/transition/", {"action": "archive"}, content_type="application/json").status_code == 404
    )


def test_the_city_sees_its_counties(city_user: Any, village_user: Any, dangerous: Any) -> None:
    from renovation import services

    case = services.open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    city = Client()
    city.force_login(city_user)
    ranking = city.get("/renovation/ranking/").content.decode()
    assert "绥德县" in ranking and "名州镇" not in ranking  # counties within the city
    assert city.get(f"/renovation/cases/{case.pk}/").status_code == 200
    assert "绥德县" in city.get(f"/funds/?county=610826&year={case.year}").content.decode()
    assert "通报今日排名" not in ranking  # a supervisor reads, the county publishes
