"""Evidence strength (issue 12, finding 4; ADR 0026), tried as a dishonest town worker would: from the
case page (web upload and step), from the API (transition) and through the field app's photo protocol.

Expected answers are written from the domain (7.1 step 6: photos before, during and after, taken on site
with time and GPS) and the standard of the page ("带时间和定位"), not from the modules under test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from accounts.roles import Role
from accounts.tokens import issue
from audit.models import AuditEvent
from conftest import SUIDE_VILLAGE, make_user
from core.images import sample_jpeg
from field.evidence import read_exif
from field.models import EvidenceFlag, EvidenceOverride, Photo
from renovation.models import Case, CaseEvent
from renovation.tests.fixtures import agreed_repair, through_notices

HOUSE = (Decimal("37.500000"), Decimal("110.250000"))
NEIGHBOUR_TOWN = "610827101"  # a town of 米脂县, the next county
FAR = (Decimal("37.550000"), Decimal("110.250000"))  # about 5.6 km north of the house


# --- helpers ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """The server's clock shows `moment` (steps and uploads inside are entered then)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def day(n: int, hour: int = 10) -> dt.datetime:
    """`n` days from today at `hour` local time (tomorrow is day 1)."""
    base = timezone.localtime(timezone.now()).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base + dt.timedelta(days=n)


def dms(value: Decimal) -> tuple[IFDRational, IFDRational, IFDRational]:
    v = abs(float(value))
    d = int(v)
    m = int((v - d) * 60)
    s = round(((v - d) * 60 - m) * 60 * 100)
    return IFDRational(d, 1), IFDRational(m, 1), IFDRational(s, 100)


def jpeg(seed: str, taken: dt.datetime | None = None, point: tuple[Decimal, Decimal] | None = None) -> bytes:
    """A camera JPEG: EXIF DateTimeOriginal (with its offset) and a GPS block when given; else a bare picture."""
    if taken is None and point is None:
        return sample_jpeg(seed, (80, 60))
    image = Image.open(io.BytesIO(sample_jpeg(seed, (80, 60))))
    exif = Image.Exif()
    if taken is not None:
        local, zone = timezone.localtime(taken), timezone.localtime(taken).strftime("%z")
        exif[0x8769] = {0x9003: local.strftime("%Y:%m:%d %H:%M:%S"), 0x9011: f"{zone[:3]}:{zone[3:]}"}
    if point is not None:
        exif[0x8825] = {1: "N" if point[0] >= 0 else "S", 2: dms(point[0]), 3: "E" if point[1] >= 0 else "W", 4: dms(point[1])}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def screenshot(seed: str) -> bytes:
    """A PNG screenshot: no EXIF at all."""
    out = io.BytesIO()
    Image.open(io.BytesIO(sample_jpeg(seed, (80, 60)))).save(out, "PNG")
    return out.getvalue()


def page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {issue(user=user, name='test').key}")


def web_upload(user: Any, case: Case, part: str, content: bytes, name: str = "p.jpg") -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = page(user).post(f"/renovation/cases/{case.pk}/photos/", {"part": part, "photos": upload}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def field_photo(
    user: Any,
    case: Case,
    part: str,
    content: bytes,
    taken: dt.datetime,
    point: tuple[Decimal, Decimal] = HOUSE,
    mock_location: bool = False,
) -> Photo:
    """A photo as the field app sends it: declared with its fix and time, then its bytes."""
    client = api(user)
    uid = str(uuid.uuid4())
    gps = {"latitude": str(point[0]), "longitude": str(point[1]), "accuracy": 6, "mock": mock_location}
    meta = {"uid": uid, "record_kind": "case", "record_uid": str(case.uid), "part": part, "size": len(content),
            "taken_at": taken.isoformat(), "gps": gps}  # fmt: skip
    assert client.post("/api/field/photos/", meta, content_type="application/json").status_code == 201
    put = client.put(f"/api/field/photos/{uid}/?offset=0", content, content_type="application/octet-stream")
    assert put.status_code == 200 and put.json()["complete"], put.content
    assert put.json()["evidence_label"] in ("现场定位", "仅EXIF", "无定位")
    return Photo.objects.get(uid=uid)


def step_page(user: Any, case: Case, action: str, on: dt.date | None = None) -> str:
    body = {"action": action, **({"on": on.isoformat()} if on else {})}
    response = page(user).post(f"/renovation/cases/{case.pk}/step/", body, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def step_api(user: Any, case: Case, action: str) -> Any:
    return api(user).post(f"/api/cases/{case.pk}/transition/", {"action": action}, content_type="application/json")


def unchanged(case: Case, state: str, events: int) -> bool:
    case.refresh_from_db()
    return case.state == state and CaseEvent.objects.filter(case=case).count() == events


@pytest.fixture
def agreed(dangerous: Any, village_user: Any, town_user: Any, county_user: Any, craftsman: Any) -> Case:
    """A C-grade repair whose agreement is signed today; the house's registered point is HOUSE."""
    from households.models import House
    from renovation.services import open_case

    House.objects.filter(household=dangerous).update(latitude=HOUSE[0], longitude=HOUSE[1])
    case = open_case(actor=village_user, house_id=dangerous.houses.get().pk)
    case = through_notices(case, village_user, town_user, county_user)
    return agreed_repair(case, county_user, craftsman)  # type: ignore[no-any-return]


# --- classes --------------------------------------------------------------------------------------------


def test_each_photo_is_classed_by_what_stands_behind_it_and_shown_so(town_user: Any, agreed: Case) -> None:
    shot = web_upload(town_user, agreed, "before", screenshot("shot"), "screen.png")
    assert "未经现场采集App定位（无定位）" in shot  # the uploader is told at once
    taken = (timezone.now() - dt.timedelta(minutes=20)).replace(microsecond=0)
    web_upload(town_user, agreed, "before", jpeg("camera", taken, HOUSE))
    located = field_photo(town_user, agreed, "before", jpeg("app"), timezone.now())
    by_kind = {p.evidence: p for p in Photo.objects.filter(record_uid=agreed.uid)}
    assert set(by_kind) == {"none", "exif", "field"}
    exif = by_kind["exif"]
    # the EXIF time and fix are kept as data, never as the field app's fix
    assert exif.latitude is None and exif.taken_at is None
    assert (exif.exif_latitude, exif.exif_longitude) == HOUSE
    assert exif.exif_taken_at is not None and abs(exif.exif_taken_at - taken) < dt.timedelta(seconds=1)
    assert by_kind["none"].exif_taken_at is None and by_kind["none"].exif_latitude is None
    assert located.latitude == HOUSE[0] and located.evidence == "field"
    html = page(town_user).get(f"/renovation/cases/{agreed.pk}/").content.decode()
    assert html.count("无定位") >= 1 and "仅EXIF" in html and "现场定位" in html
    mocked = field_photo(town_user, agreed, "before", jpeg("mocked"), timezone.now(), mock_location=True)
    assert mocked.evidence != "field"  # the phone itself says the fix was simulated


def test_exif_is_read_with_its_hemisphere_and_offset(tmp_path: Any) -> None:
    moment = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    path = tmp_path / "a.jpg"
    path.write_bytes(jpeg("south", moment, (Decimal("-33.860000"), Decimal("-70.650000"))))
    facts = read_exif(path)
    assert facts.taken_at == moment
    assert facts.latitude == Decimal("-33.860000") and facts.longitude == Decimal("-70.650000")
    broken = tmp_path / "b.jpg"
    broken.write_bytes(sample_jpeg("plain"))
    assert read_exif(broken).taken_at is None and read_exif(broken).latitude is None


# --- a stage needs a located photo --------------------------------------------------------------------------


def test_a_screenshot_or_an_exif_only_web_photo_cannot_open_a_stage(town_user: Any, village_user: Any, agreed: Case) -> None:
    events = CaseEvent.objects.filter(case=agreed).count()
    web_upload(town_user, agreed, "before", screenshot("shot"), "screen.png")
    web_upload(village_user, agreed, "before", jpeg("camera", timezone.now() - dt.timedelta(minutes=5), HOUSE))
    refused = step_page(town_user, agreed, "start")
    assert "施工前照片中没有可作为施工证据的现场定位照片" in refused and "仅有EXIF" in refused
    assert unchanged(agreed, "agreed", events)
    answer = step_api(village_user, agreed, "start")
    assert answer.status_code == 400 and "现场定位照片" in answer.content.decode()
    assert unchanged(agreed, "agreed", events)


def test_no_photo_at_all_is_refused_with_its_own_reason(town_user: Any, agreed: Case) -> None:
    events = CaseEvent.objects.filter(case=agreed).count()
    assert "请先上传施工前照片" in step_page(town_user, agreed, "start")
    assert unchanged(agreed, "agreed", events)


def test_a_stage_photo_far_from_the_house_is_flagged_and_not_counted(town_user: Any, agreed: Case) -> None:
    events = CaseEvent.objects.filter(case=agreed).count()
    far = field_photo(town_user, agreed, "before", jpeg("far"), timezone.now(), point=FAR)
    assert far.evidence == "field"
    assert list(EvidenceFlag.objects.filter(photo=far).values_list("kind", flat=True)) == ["far"]
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    assert "现场定位照片" in step_api(town_user, agreed, "start").content.decode()
    assert unchanged(agreed, "agreed", events)
    # a web upload whose EXIF puts it far away is checked the same way and listed for the town's review
    web_upload(town_user, agreed, "before", jpeg("exif far", timezone.now() - dt.timedelta(minutes=3), FAR))
    assert EvidenceFlag.objects.filter(kind="far", photo__evidence="exif").count() == 1
    listed = page(town_user).get("/field/flags/").content.decode()
    assert listed.count("定位远离房屋登记位置") >= 2 and "仅EXIF" in listed
    # the town checks the far fix and finds it wrong: still nothing counts
    flag = EvidenceFlag.objects.get(photo=far)
    page(town_user).post("/field/flags/", {"flag": flag.pk, "status": "confirmed", "note": "定位在县城，不是该户"})
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    assert unchanged(agreed, "agreed", events)
    # a located photo at the house does count
    field_photo(town_user, agreed, "before", jpeg("near"), timezone.now())
    assert "已办理" in step_page(town_user, agreed, "start")
    agreed.refresh_from_db()
    assert agreed.state == "started"


def test_a_photo_taken_before_the_previous_step_does_not_count(town_user: Any, agreed: Case) -> None:
    """施工前 photos taken before the agreement was entered (kept from an earlier visit) are not evidence of this stage."""
    events = CaseEvent.objects.filter(case=agreed).count()
    signed = CaseEvent.objects.filter(case=agreed, action="agree").get().at
    field_photo(town_user, agreed, "before", jpeg("old"), signed - dt.timedelta(hours=2))
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    assert unchanged(agreed, "agreed", events)


def test_completion_photos_the_same_day_as_the_start_are_refused(town_user: Any, agreed: Case) -> None:
    start, afternoon, later = day(1), day(1, 15), day(30)
    with clock(start):
        field_photo(town_user, agreed, "before", jpeg("before"), start - dt.timedelta(minutes=30))
        assert "已办理" in step_page(town_user, agreed, "start")
    with clock(afternoon):  # the same afternoon: the "completed house" is photographed
        field_photo(town_user, agreed, "after", jpeg("after same day"), afternoon - dt.timedelta(hours=1))
    with clock(later):
        events = CaseEvent.objects.filter(case=agreed).count()
        refused = step_page(town_user, agreed, "complete")
        assert "竣工后照片中没有可作为施工证据的现场定位照片" in refused and "另一天" in refused
        assert unchanged(agreed, "started", events)
        assert step_api(town_user, agreed, "complete").status_code == 400
        assert unchanged(agreed, "started", events)
        field_photo(town_user, agreed, "after", jpeg("after"), later - dt.timedelta(hours=1))
        assert "已办理" in step_page(town_user, agreed, "complete")
    agreed.refresh_from_db()
    assert agreed.state == "completed"


def test_a_back_dated_start_does_not_make_a_same_day_photo_a_later_one(town_user: Any, agreed: Case) -> None:
    """The start entered on day 5 but dated day 1: a completion photo taken on day 5 is still the start's day."""
    dated, entered, afternoon, later = day(1).date(), day(5), day(5, 16), day(30)
    with clock(entered):
        field_photo(town_user, agreed, "before", jpeg("before"), entered - dt.timedelta(minutes=30))
        assert "已办理" in step_page(town_user, agreed, "start", on=dated)
    with clock(afternoon):
        field_photo(town_user, agreed, "after", jpeg("after"), afternoon - dt.timedelta(hours=1))
    with clock(later):
        events = CaseEvent.objects.filter(case=agreed).count()
        assert "竣工后照片中没有可作为施工证据的现场定位照片" in step_page(town_user, agreed, "complete")
        assert "现场定位照片" in step_api(town_user, agreed, "complete").content.decode()
        assert unchanged(agreed, "started", events)


def test_the_same_photo_for_two_houses_counts_for_neither_second(
    town_user: Any, county_user: Any, village_user: Any, craftsman: Any, agreed: Case, appraiser_user: Any, trained_appraiser: Any
) -> None:
    from conftest import add_household, make_id
    from households.models import House
    from renovation.services import open_case
    from renovation.tests.fixtures import LONG_AGO, appraise

    other = add_household(county_user, head_id=make_id(seq=777), name="李二")
    House.objects.filter(household=other).update(latitude=HOUSE[0], longitude=HOUSE[1] + Decimal("0.001"))
    appraise(appraiser_user, trained_appraiser, other, "C", LONG_AGO)
    second = through_notices(open_case(actor=village_user, house_id=other.houses.get().pk), village_user, town_user, county_user)
    second = agreed_repair(second, county_user, craftsman)
    content = jpeg("one picture")
    field_photo(town_user, agreed, "before", content, timezone.now())
    again = field_photo(town_user, second, "before", content, timezone.now(), point=(HOUSE[0], HOUSE[1] + Decimal("0.001")))
    assert list(EvidenceFlag.objects.filter(photo=again).values_list("kind", flat=True)) == ["duplicate_photo"]
    events = CaseEvent.objects.filter(case=second).count()
    assert "现场定位照片" in step_page(town_user, second, "start")
    assert step_api(town_user, second, "start").status_code == 400
    assert unchanged(second, "agreed", events)
    # the same picture sent again through the web form for the second house is flagged as well
    web_upload(town_user, second, "before", content)
    assert EvidenceFlag.objects.filter(kind="duplicate_photo", household=other).count() == 2


# --- the town's recorded override -------------------------------------------------------------------------------


def test_a_town_reviewer_override_with_a_reason_lets_the_stage_go_on(
    town_user: Any, village_user: Any, county_user: Any, agreed: Case
) -> None:
    web_upload(village_user, agreed, "before", screenshot("shot"), "screen.png")
    events = CaseEvent.objects.filter(case=agreed).count()
    url = f"/field/overrides/{agreed.pk}/"
    reason = "手机定位故障，由乡镇干部现场核实开工"
    # the village cadre, the county and a town reviewer without a reason are all refused; nothing is written
    village = page(village_user).post(url, {"part": "before", "reason": reason}, follow=True).content.decode()
    assert "须由乡镇审核人员登记" in village
    county = api(county_user).post(
        "/api/field/overrides/", {"case": agreed.pk, "part": "before", "reason": reason}, content_type="application/json"
    )
    assert county.status_code == 403
    empty = page(town_user).post(url, {"part": "before", "reason": "  "}, follow=True).content.decode()
    assert "请写明不能提供现场定位照片的理由" in empty
    wrong = api(town_user).post(
        "/api/field/overrides/", {"case": agreed.pk, "part": "after", "reason": reason}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "当前不在需要竣工后照片" in wrong.content.decode()
    assert not EvidenceOverride.objects.exists() and unchanged(agreed, "agreed", events)
    assert "现场定位照片" in step_page(town_user, agreed, "start")
    # the town reviewer records it (API), it is audited and shown on the case page, and the stage may go on
    made = api(town_user).post(
        "/api/field/overrides/", {"case": agreed.pk, "part": "before", "reason": reason}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["by"] == town_user.display_name
    event = AuditEvent.objects.get(verb="field.evidence_override")
    assert event.actor_id == town_user.pk and reason in str(event.after)
    twice = page(town_user).post(url, {"part": "before", "reason": reason}, follow=True).content.decode()
    assert "已登记过" in twice and EvidenceOverride.objects.count() == 1
    html = page(town_user).get(f"/renovation/cases/{agreed.pk}/").content.decode()
    assert reason in html and "施工前照片例外" in html
    assert "已办理" in step_page(village_user, agreed, "start")
    agreed.refresh_from_db()
    assert agreed.state == "started"


def test_another_county_cannot_override(neighbour_user: Any, agreed: Case) -> None:
    neighbour_town = make_user("mz_town", NEIGHBOUR_TOWN, Role.TOWN_STAFF)
    answer = api(neighbour_town).post(
        "/api/field/overrides/", {"case": agreed.pk, "part": "before", "reason": "与我无关的户"}, content_type="application/json"
    )
    assert answer.status_code in (400, 403, 404) and not EvidenceOverride.objects.exists()
    assert page(neighbour_town).post(f"/field/overrides/{agreed.pk}/", {"part": "before", "reason": "x" * 10}).status_code == 404
    assert SUIDE_VILLAGE.startswith(agreed.region_code[:9])


# --- appraisal and inspection photos: the same checks, the same badges -----------------------------------------


def test_an_appraisal_web_photo_is_checked_on_its_exif_and_shown_as_exif_only(
    appraiser_user: Any, trained_appraiser: Any, dangerous: Any, county_user: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from households.models import House
    from inspections.views import _photos
    from renovation.tests.fixtures import LONG_AGO, appraise

    House.objects.filter(household=dangerous).update(latitude=HOUSE[0], longitude=HOUSE[1])
    appraisal = appraise(appraiser_user, trained_appraiser, dangerous, "C", LONG_AGO)
    from field.sync import attach_upload

    far = jpeg("wall far", timezone.now() - dt.timedelta(minutes=2), FAR)
    upload = SimpleUploadedFile("wall.jpg", far, content_type="image/jpeg")
    photo = attach_upload(actor=appraiser_user, kind="appraisal", record_uid=appraisal.uid, part="walls", data=upload)
    assert photo.evidence == "exif" and photo.latitude is None and photo.exif_latitude == FAR[0]
    assert list(EvidenceFlag.objects.filter(photo=photo).values_list("kind", flat=True)) == ["far"]
    sheet = page(county_user).get(f"/inspections/appraisals/{appraisal.pk}/").content.decode()
    assert "仅EXIF" in sheet
    (_label, src, shown), *_rest = _photos(appraisal, inline=True)  # what the PDF embeds goes with its class
    assert src.startswith("data:image/jpeg;base64,") and shown.evidence == "exif"
