from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from codetables.models import CodeItem
from codetables.selectors import hotline_for, invalidate
from conftest import PASSWORD, SUIDE_VILLAGE, add_household, make_id
from inspections.models import HouseSafety
from inspections.tests.test_services import appraise, inspect

needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.fixture
def checked(county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> list[Any]:
    first = add_household(county_user, name="郝建国")
    second = add_household(county_user, head_id=make_id(seq=456), name="白彩云")
    inspect(county_user, first)
    inspect(county_user, second, "suspect", risk_parts=["walls"], measure="appraise")
    appraise(appraiser_user, second, [trained_appraiser])
    return [first, second]


def test_the_public_page_needs_no_login_and_shows_nothing_personal(checked: list[Any]) -> None:
    safety = HouseSafety.objects.get(household=checked[1])
    page = Client().get(f"/h/{safety.code}/").content.decode()
    assert "白**" in page and "C级" in page and "局部危险" in page and "雕山村" in page and "12345" in page
    assert "白彩云" not in page and checked[1].head_id not in page and "139" not in page
    assert Client().get("/h/not-a-code/").status_code == 404


def test_hotline_is_the_most_specific_entry(db: Any) -> None:
    CodeItem.objects.create(table="hotline", code="610826", name="0912-5622000")
    invalidate("hotline")
    assert hotline_for("610826100201") == "0912-5622000" and hotline_for("610827100201") == "12345"


@needs_chromium
def test_one_label_and_a_village_of_labels_as_pdf(checked: list[Any], county_user: Any, neighbour_user: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    client = Client()
    assert client.login(username="sd_county", password=PASSWORD)
    one = client.get(f"/inspections/houses/{checked[0].houses.get().pk}/label.pdf")
    body = b"".join(one.streaming_content)  # type: ignore[attr-defined]
    assert one["Content-Type"] == "application/pdf" and body.startswith(b"%PDF") and pages(body) == 1
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post("/inspections/labels/", {"village": SUIDE_VILLAGE})
    detail = client.get(job["Location"]).content.decode()
    assert "下载 PDF" in detail
    download = client.get(job["Location"] + "download/")
    pdf = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert download["Content-Type"] == "application/pdf" and pages(pdf) == 2
    assert "房屋安全标识_" in download["Content-Disposition"] or "filename*" in download["Content-Disposition"]
    assert client.post("/inspections/labels/", {"village": "610827100201"}, follow=True).status_code == 200
    neighbour = Client()
    assert neighbour.login(username="mz_county", password=PASSWORD)
    assert neighbour.get(f"/inspections/houses/{checked[0].houses.get().pk}/label.pdf").status_code == 404


@needs_chromium
def test_appraisal_form_prints_as_pdf(checked: list[Any], appraiser_user: Any) -> None:
    client = Client()
    assert client.login(username="sd_appraiser", password=PASSWORD)
    appraisal = checked[1].appraisals.get()
    response = client.get(f"/inspections/appraisals/{appraisal.pk}/pdf/")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF") and pages(body) >= 1
