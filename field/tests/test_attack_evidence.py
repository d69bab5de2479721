"""Photo evidence tried as a dishonest village cadre and a field-app client (issue 12, ADR 0026).

Each test walks around one rule the way a user could, and checks that it is refused in Chinese and
that nothing changed: the case did not move, the flag is still open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from field.models import EvidenceFlag
from field.tests import test_evidence_strength as _strength
from field.tests.test_evidence_strength import (
    FAR,
    HOUSE,
    clock,
    day,
    field_photo,
    jpeg,
    page,
    step_api,
    step_page,
    unchanged,
)
from renovation.models import Case, CaseEvent

agreed = _strength.agreed  # a fixture of field.tests.test_evidence_strength


def test_a_village_cadre_cannot_dismiss_the_far_flag_of_its_own_photo(village_user: Any, agreed: Case) -> None:
    """The village takes the 施工前 photo far from the house, then marks the distance flag unfounded itself."""
    events = CaseEvent.objects.filter(case=agreed).count()
    far = field_photo(village_user, agreed, "before", jpeg("far"), timezone.now(), point=FAR)
    flag = EvidenceFlag.objects.get(photo=far, kind="far")
    shown = page(village_user).post(
        "/field/flags/", {"flag": flag.pk, "status": "dismissed", "note": "定位漂移，确实在该户拍摄"}, follow=True
    )
    assert "现场采集疑点须由乡镇或县级审核人员核查" in shown.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open" and flag.reviewed_by is None
    assert "现场定位照片" in step_page(village_user, agreed, "start")
    assert step_api(village_user, agreed, "start").status_code == 400
    assert unchanged(agreed, "agreed", events)


def test_the_start_photo_sent_again_as_the_completion_photo_does_not_count(town_user: Any, agreed: Case) -> None:
    """The same picture (byte for byte) as 施工前 and, a month later with a fresh declared time, as 竣工后."""
    start, later = day(1), day(30)
    picture = jpeg("the old house")
    with clock(start):
        field_photo(town_user, agreed, "before", picture, start - dt.timedelta(minutes=30))
        assert "已办理" in step_page(town_user, agreed, "start")
    with clock(later):
        again = field_photo(town_user, agreed, "after", picture, later - dt.timedelta(hours=1))
        assert EvidenceFlag.objects.filter(photo=again, kind="duplicate_photo").exists()
        events = CaseEvent.objects.filter(case=agreed).count()
        assert "竣工后照片中没有可作为施工证据的现场定位照片" in step_page(town_user, agreed, "complete")
        assert step_api(town_user, agreed, "complete").status_code == 400
        assert unchanged(agreed, "started", events)


def test_a_camera_photo_taken_elsewhere_sent_with_the_houses_point_does_not_count(town_user: Any, agreed: Case) -> None:
    """An API client declares the house's point (and now) for a picture whose own EXIF puts it 5.6 km away."""
    events = CaseEvent.objects.filter(case=agreed).count()
    sent = field_photo(town_user, agreed, "before", jpeg("elsewhere", timezone.now() - dt.timedelta(minutes=5), FAR),
                       timezone.now())  # fmt: skip
    assert sent.evidence == "field"
    flag = EvidenceFlag.objects.get(photo=sent, kind="far")
    assert "EXIF定位与上报的定位相距" in flag.detail
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    assert step_api(town_user, agreed, "start").status_code == 400
    assert unchanged(agreed, "agreed", events)


def test_an_old_camera_photo_sent_with_a_fresh_declared_time_does_not_count(town_user: Any, agreed: Case) -> None:
    """The picture's EXIF says it was taken ten days before the agreement; the client declares it taken now."""
    events = CaseEvent.objects.filter(case=agreed).count()
    old = timezone.now() - dt.timedelta(days=10)
    field_photo(town_user, agreed, "before", jpeg("last month", old, HOUSE), timezone.now())
    refused = step_page(town_user, agreed, "start")
    assert "施工前照片中没有可作为施工证据的现场定位照片" in refused
    assert step_api(town_user, agreed, "start").status_code == 400
    assert unchanged(agreed, "agreed", events)
    later = timezone.now() + dt.timedelta(hours=1)
    with clock(later):  # a camera photo taken after the agreement, its EXIF and declared times agreeing
        field_photo(town_user, agreed, "before", jpeg("today", later - dt.timedelta(minutes=5), HOUSE), later)
        assert "已办理" in step_page(town_user, agreed, "start")


def test_a_town_reviewer_cannot_dismiss_the_flag_of_its_own_photo(town_user: Any, agreed: Case) -> None:
    events = CaseEvent.objects.filter(case=agreed).count()
    far = field_photo(town_user, agreed, "before", jpeg("far"), timezone.now(), point=FAR)
    flag = EvidenceFlag.objects.get(photo=far, kind="far")
    shown = page(town_user).post("/field/flags/", {"flag": flag.pk, "status": "dismissed", "note": "定位漂移"}, follow=True)
    assert "不能核查自己采集的记录或照片的疑点" in shown.content.decode()
    flag.refresh_from_db()
    assert flag.status == "open" and flag.reviewed_by is None
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    assert unchanged(agreed, "agreed", events)


def test_a_reviewed_flag_cannot_be_flipped_by_a_second_review(
    village_user: Any, town_user: Any, county_user: Any, agreed: Case
) -> None:
    """The town finds the far photo 确有问题; the county (or anyone) cannot turn that into 核查无误 afterwards."""
    far = field_photo(village_user, agreed, "before", jpeg("far"), timezone.now(), point=FAR)
    flag = EvidenceFlag.objects.get(photo=far, kind="far")
    page(town_user).post("/field/flags/", {"flag": flag.pk, "status": "confirmed", "note": "定位在邻村，不是该户"})
    flag.refresh_from_db()
    assert (flag.status, flag.reviewed_by_id) == ("confirmed", town_user.pk)
    shown = page(county_user).post("/field/flags/", {"flag": flag.pk, "status": "dismissed", "note": "改为无误"}, follow=True)
    assert "该疑点已有核查结论" in shown.content.decode()
    flag.refresh_from_db()
    assert (flag.status, flag.reviewed_by_id, flag.review_note) == ("confirmed", town_user.pk, "定位在邻村，不是该户")
