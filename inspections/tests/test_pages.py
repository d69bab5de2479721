"""The inspection and appraisal pages as officials use them, and what other counties see of them."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook

from conftest import add_household
from inspections.models import Appraisal, AppraisalTask, Campaign, Inspection

TODAY = dt.date.today()


def test_campaign_progress_and_drill_down(client: Any, county_user: Any, neighbour_user: Any) -> None:
    household = add_household(county_user)
    client.force_login(county_user)
    response = client.post(reverse("inspections:campaign_new"), {
        "name": "2026年度排查", "kind": "annual", "scope": "610826", "start_date": TODAY, "deadline": TODAY,
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "名州镇" in page and "0.0%" in page
    village = client.get(response["Location"] + f"?unit={household.region_code}").content.decode()
    assert "郝建国" in village and "录入排查" in village
    client.force_login(neighbour_user)
    assert client.get(reverse("inspections:campaign", args=[campaign.pk])).status_code == 404


def test_inspection_form_records_and_asks_for_appraisal(client: Any, county_user: Any) -> None:
    household = add_household(county_user)
    client.force_login(county_user)
    url = reverse("inspections:inspect", args=[household.pk])
    form = {"inspected_on": TODAY, "inspector_name": "张排查", "verdict": "suspect", "uid": uuid.uuid4()}
    missing = client.post(url, form).content.decode()
    assert "须勾选存在隐患的部位" in missing and not Inspection.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.images import sample_jpeg
    from field.models import Photo

    photo = SimpleUploadedFile("正面.jpg", sample_jpeg("正面"), content_type="image/jpeg")
    done = client.post(url, form | {"risk_parts": ["walls", "site"], "measure": "appraise", "q_designed": "no",
                                    "photo_overview": photo})  # fmt: skip
    assert done.status_code == 302
    assert Photo.objects.get().record_uid == Inspection.objects.get().uid
    again = client.post(url, form | {"risk_parts": ["walls"], "measure": "appraise"})  # the same uid: a double click
    assert again.status_code == 302 and Inspection.objects.count() == 1
    assert Inspection.objects.get().answers == {"designed": "no"}
    section = client.get(reverse("inspections:household_safety", args=[household.pk])).content.decode()
    assert "疑似不安全" in section and "等待鉴定" in section


def test_appraisal_form_grades_and_prints(client: Any, county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    household = add_household(county_user)
    house = household.houses.get()
    client.force_login(appraiser_user)
    url = reverse("inspections:appraise", args=[house.pk])
    page = client.get(url).content.decode()
    assert "grading-rules" in page and "承重墙体" in page and "木屋架" not in page  # a stone cave has no truss
    base = {"appraised_on": TODAY, "organisation": "绥德县住建局", "appraisers": [trained_appraiser.pk],
            "prevention": "partly", "uid": uuid.uuid4(), "c_foundation": "a", "c_walls": "b", "c_roof": "a"}  # fmt: skip
    lowered = client.post(url, base | {"raised_to": "A", "raise_reason": "x"}).content.decode()
    assert "不能把按规则评定的 B 级降为 A 级" in lowered and not Appraisal.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.images import sample_jpeg
    from field.models import Photo

    wall = SimpleUploadedFile("墙体裂缝.jpg", sample_jpeg("墙体"), content_type="image/jpeg")
    site = SimpleUploadedFile("场地.jpg", sample_jpeg("场地"), content_type="image/jpeg")
    saved = client.post(url, base | {"q_walls_d": "1", "q_walls_n": "10", "photo_walls": wall, "photo_site": site})
    assert saved.status_code == 302
    appraisal = Appraisal.objects.get()
    assert (appraisal.grade, appraisal.rule, appraisal.quantitative["grade"]) == ("B", "R4", "B")
    photos = {p.part: p for p in Photo.objects.filter(record_uid=appraisal.uid)}
    assert set(photos) == {"walls", "site"} and all(p.complete for p in photos.values())
    sheet = client.get(saved["Location"]).content.decode()
    assert "农村住房安全性鉴定表" in sheet and "R4：有构件评为b级" in sheet and "李鉴定" in sheet
    assert f"/field/photos/{photos['walls'].uid}/" in sheet and "<figcaption>承重墙体</figcaption>" in sheet
    shown = client.get(f"/field/photos/{photos['walls'].uid}/")
    assert b"".join(shown.streaming_content).startswith(b"\xff\xd8\xff")  # type: ignore[attr-defined]


def test_appraisal_tasks_list(client: Any, county_user: Any, appraiser_user: Any) -> None:
    from inspections import services

    household = add_household(county_user)
    services.record_inspection(actor=county_user, data=services.InspectionInput(
        household_id=household.pk, inspected_on=TODAY, verdict="suspect", inspector_name="张", risk_parts=["walls"],
        measure="appraise"))  # fmt: skip
    client.force_login(appraiser_user)
    page = client.get(reverse("inspections:appraisal_tasks")).content.decode()
    assert "郝建国" in page and "墙体" in page
    assert AppraisalTask.objects.count() == 1


def test_weekly_table_on_screen_and_in_excel(client: Any, county_user: Any, city_user: Any) -> None:
    from inspections import services

    household = add_household(county_user)
    services.record_inspection(actor=county_user, data=services.InspectionInput(
        household_id=household.pk, inspected_on=TODAY, verdict="safe", inspector_name="张"))  # fmt: skip
    client.force_login(city_user)
    page = client.get(reverse("inspections:weekly"), {"week_end": TODAY}).content.decode()
    assert "绥德县" in page and "排查情况统计表" in page
    response = client.get(reverse("inspections:weekly"), {"week_end": TODAY, "unit": "610826", "format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet["A1"].value == "农户住房安全排查情况统计表"
    assert "A3:A4" in {str(r) for r in sheet.merged_cells.ranges}
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    town = next(r for r in rows if r[1] == "名州镇")
    total = rows[-1]
    assert town[2] == 1 and town[4] == 1 and town[7] == 1  # households, inspected, basically safe
    assert total[0] == "合计" and total[4] == 1


def test_training_pages(client: Any, county_user: Any, neighbour_user: Any) -> None:
    client.force_login(county_user)
    response = client.post(reverse("training:trainee_new"), {
        "name": "王 工匠", "kind": "craftsman", "region_code": "610826", "id_number": "123", "is_active": "on"})  # fmt: skip
    from training.models import Trainee

    assert 'id="id_id_number"' in response.content.decode() and "is-invalid" in response.content.decode()
    assert not Trainee.objects.exists()  # a bad ID number is explained, nothing saved
    response = client.post(reverse("training:trainee_new"), {"name": "王 工匠", "kind": "craftsman", "region_code": "610826",
                                                            "is_active": "on"})  # fmt: skip
    assert response.status_code == 302
    course = client.post(reverse("training:course_new"), {
        "course-title": "工匠培训", "course-kind": "construction", "course-organiser": "县住建局",
        "course-start_date": TODAY, "course-end_date": TODAY, "course-hours": 8})  # fmt: skip
    assert course.status_code == 302
    person = Trainee.objects.get()
    enrol = client.post(course["Location"], {"enrol-trainees": [person.pk], "enrol-passed": "on"})
    assert enrol.status_code == 302
    ledger = client.get(reverse("training:ledger"), {"status": "valid"}).content.decode()
    assert "王工匠" in ledger and "有效" in ledger
    client.force_login(neighbour_user)
    assert "王工匠" not in client.get(reverse("training:ledger")).content.decode()
    assert client.get(reverse("training:trainee", args=[person.pk])).status_code == 404


def test_training_ledger_exports_to_excel(client: Any, county_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    from exchange.models import ExportJob
    from training.services import save_trainee

    save_trainee(actor=county_user, trainee=None, data={"name": "李鉴定", "kind": "appraiser", "region_code": "610826000000"})
    client.force_login(county_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exchange:export_new"), {"kind": "training"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "done", job.message
    book = load_workbook(job.file_path)
    values = [c.value for c in book.active[3]]
    assert "李鉴定" in values and "鉴定人员" in values


def test_grade_as_of_a_past_day_on_the_household_page(client: Any, county_user: Any, appraiser_user: Any,
                                                      trained_appraiser: Any) -> None:  # fmt: skip
    import datetime as dt

    from inspections.tests.test_services import CAVE, appraise

    household = add_household(county_user)
    appraise(appraiser_user, household, [trained_appraiser], on=TODAY - dt.timedelta(days=10), components=CAVE | {"walls": "d"})
    appraise(appraiser_user, household, [trained_appraiser], on=TODAY - dt.timedelta(days=2), components=CAVE | {"walls": "b"})
    client.force_login(county_user)
    url = reverse("inspections:household_safety", args=[household.pk])
    now = client.get(url).content.decode()
    assert "B 级" in now and "时的等级" not in now
    then = client.get(url, {"on": (TODAY - dt.timedelta(days=5)).isoformat()}).content.decode()
    assert "时的等级" in then and 'class="as-of"><a' in then and "D 级</a>" in then
    before = client.get(url, {"on": (TODAY - dt.timedelta(days=30)).isoformat()}).content.decode()
    assert "尚未鉴定" in before
