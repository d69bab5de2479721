"""The field app on a phone-sized Chromium: offline work, sync when the network returns, resend safely;
and the grading rules giving the same answer in the browser as on the server."""

from __future__ import annotations

import itertools
import struct
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from conftest import PASSWORD, add_household, make_user
from field.models import Photo
from field.overrides import record_override
from households.models import House
from inspections import grading
from inspections.models import Inspection
from renovation.models import Case
from tests.browser.conftest import shot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(path: Path, width: int = 640, height: int = 480) -> Path:
    """A real PNG picture (a colour gradient), made without an imaging library."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 255 // width, y * 255 // height, (x ^ y) & 255))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}, device_scale_factor=2,
        geolocation={"latitude": 37.5003, "longitude": 110.2502, "accuracy": 15}, permissions=["geolocation"],
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


ALL_SENT = "document.querySelector('#outbox-count').textContent === '0' && !document.querySelector('#photo-count').textContent"


def sign_in_and_download(page: Any, username: str) -> None:
    page.goto("/field/")
    page.fill("#login-form [name=username]", username)
    page.fill("#login-form [name=password]", PASSWORD)
    page.click("#login-form button")
    page.wait_for_selector("#screen-home:not(.d-none)")
    page.click("#pick-villages")
    page.check("#village-list input")
    page.click("#download")
    wait_for(page, "document.querySelector('#local-summary').textContent.includes('1 户')")


def outbox_count(page: Any) -> str:
    return str(page.inner_text("#outbox-count"))


def test_field_app_offline_then_sync_then_resend(phone: Any, county_user: Any, tmp_path: Path) -> None:
    make_user("sd_town", "610826100", Role.TOWN_STAFF)
    household = add_household(county_user)
    House.objects.filter(household=household).update(latitude=Decimal("37.500000"), longitude=Decimal("110.250000"))
    page = phone
    sign_in_and_download(page, "sd_town")
    page.evaluate("navigator.serviceWorker.ready")
    page.context.set_offline(True)
    page.reload()  # the shell comes from the service worker, the households from IndexedDB
    page.wait_for_selector("#screen-home:not(.d-none)")
    assert page.inner_text("#net") == "离线"
    page.fill("#search", "郝建")
    page.click("#results [data-id]")
    page.click("[data-inspect]")
    page.check("#inspect-form [name=verdict][value=suspect]")
    page.check("#risk-parts input[value=walls]")
    page.select_option("#measures", "appraise")
    page.check("#inspect-form [name=household_confirmed]")
    page.fill("#inspect-form [name=confirmed_by]", "郝建国")
    page.click("#inspect-form [data-gps]")
    wait_for(page, "document.querySelector('#inspect-form [data-gps-text]').textContent.includes('±')")
    page.set_input_files("#inspect-form [data-photos]", str(png(tmp_path / "house.png")))
    page.wait_for_selector("#inspect-form [data-thumbs] img")
    shot(page, "field-inspect")
    page.click("#inspect-form button.btn-primary")
    page.wait_for_selector("#screen-home:not(.d-none)")
    assert outbox_count(page) == "1" and "照片待上传 1 张" in page.inner_text("#photo-count")
    assert not Inspection.objects.exists()  # nothing left the phone
    shot(page, "field-offline-outbox")

    page.context.set_offline(False)  # the network returns: the app syncs by itself
    wait_for(page, ALL_SENT)
    inspection = Inspection.objects.get()
    assert (inspection.verdict, inspection.source, inspection.risk_parts) == ("suspect", "field", ["walls"])
    assert inspection.accuracy_m == 15 and abs(float(inspection.latitude or 0) - 37.5003) < 1e-6
    photo = Photo.objects.get()
    assert photo.complete and photo.record_uid == inspection.uid and photo.size < 200_000
    assert photo.file.read(3) == b"\xff\xd8\xff"  # compressed to JPEG on the phone

    wait_for(page, "document.querySelector('#sync-status').textContent.includes('同步完成')")
    with page.expect_response("**/api/field/sync/") as resent:
        page.click("#resend")  # the same outbox again
    assert [r["status"] for r in resent.value.json()["results"]] == ["exists"]
    wait_for(page, "document.querySelector('#sync-status').textContent.includes('同步完成')")
    assert outbox_count(page) == "0"
    assert Inspection.objects.count() == 1 and Photo.objects.count() == 1
    shot(page, "field-synced")


def cut_once(page: Any, pattern: str, method: str) -> list[str]:
    """The server gets the request and answers, but the phone never hears it (the connection drops)."""
    cut: list[str] = []

    def handle(route: Any) -> None:
        if route.request.method == method and not cut:
            route.fetch()  # the server does the work…
            cut.append(route.request.url)
            route.abort("connectionreset")  # …and the answer is lost
        else:
            route.continue_()

    page.route(pattern, handle)
    return cut


def test_field_sync_survives_cut_connections(phone: Any, county_user: Any, tmp_path: Path) -> None:
    make_user("sd_town", "610826100", Role.TOWN_STAFF)
    add_household(county_user)
    page = phone
    page.add_init_script("window.ANJU_FIELD_CHUNK = 16384")
    sign_in_and_download(page, "sd_town")
    records = cut_once(page, "**/api/field/sync/", "POST")
    pieces = cut_once(page, "**/api/field/photos/*/?offset=*", "PUT")
    page.fill("#search", "郝建")
    page.click("#results [data-id]")
    page.click("[data-inspect]")
    page.check("#inspect-form [name=verdict][value=safe]")
    page.set_input_files("#inspect-form [data-photos]", str(png(tmp_path / "big.png", 1200, 900)))
    page.wait_for_selector("#inspect-form [data-thumbs] img")
    page.click("#inspect-form button.btn-primary")
    wait_for(page, "document.querySelector('#sync-status').textContent.includes('网络中断')")
    assert records and Inspection.objects.count() == 1  # stored, though the phone did not hear so
    page.click("#sync-now")  # resend: the record answers "exists", the photo goes piece by piece
    wait_for(page, "document.querySelector('#sync-status').textContent.includes('网络中断')")
    assert pieces and Photo.objects.get().received == 16384  # the first piece arrived, its answer was lost
    page.click("#sync-now")  # resumes at the server's offset (409 tells it where)
    wait_for(page, ALL_SENT)
    photo = Photo.objects.get()
    assert photo.complete and photo.size > 16384 and Inspection.objects.count() == 1


def test_field_appraisal_grade_on_the_phone(phone: Any, county_user: Any, trained_appraiser: Any, tmp_path: Path) -> None:
    household = add_household(county_user)
    page = phone
    sign_in_and_download(page, "sd_appraiser")
    page.fill("#search", household.head_name)
    page.click("#results [data-id]")
    page.click("[data-appraise]")
    assert not page.is_checked("#components input[name=c_foundation][value=none]")  # nothing preselected
    page.check("#components input[name=c_foundation][value=a]")
    assert page.inner_text("#field-grade .grade") == "—"  # the blanks are not graded as not applicable
    assert page.inner_text("#field-grade .rule") == "以下构件尚未评定：承重墙体、屋面。房屋没有的构件请选“无此构件”"
    page.check("#components input[name=c_walls][value=c]")
    page.check("#prevention input[value=partly]")
    page.click("#appraise-form button.btn-primary")  # saving with a blank says which, and keeps nothing
    assert "以下构件尚未评定：屋面。" in page.inner_text("#appraise-form [data-errors]")
    assert page.get_attribute("#components fieldset[data-key=roof]", "class").count("border-danger") == 1
    assert outbox_count(page) == "0"
    page.check("#components input[name=c_roof][value=none]")
    assert page.inner_text("#field-grade .grade") == "C 级" and "R3" in page.inner_text("#field-grade .rule")
    page.select_option("#appraise-form [data-part]", "walls")
    page.set_input_files("#appraise-form [data-photos]", str(png(tmp_path / "wall.png")))
    page.wait_for_selector("#appraise-form [data-thumbs] img")
    shot(page, "field-appraise")
    page.click("#appraise-form button.btn-primary")
    line = page.wait_for_selector("#outbox-list li.status-sent, #outbox-list li.status-rejected")
    assert "已上传" in line.inner_text(), line.inner_text()
    appraisal = household.appraisals.get()
    assert (appraisal.grade, appraisal.rule, appraisal.source) == ("C", "R3", "field")
    wait_for(page, ALL_SENT)
    assert Photo.objects.get(record_uid=appraisal.uid).part == "walls"


def test_web_appraisal_form_grade_updates_live(page: Any, county_user: Any, appraiser_user: Any, trained_appraiser: Any) -> None:
    household = add_household(county_user)
    page.goto("/accounts/login/")
    page.fill("#id_username", "sd_appraiser")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/inspections/houses/{household.houses.get().pk}/appraise/")
    assert page.locator("#component-card input[type=radio]:checked").count() == 0  # nothing preselected
    page.check("input[name=c_foundation][value=b]")
    assert page.inner_text("#grade-box .grade") == "—"
    assert "以下构件尚未评定：承重墙体、屋面" in page.inner_text("#grade-box .rule")
    page.check("input[name=c_roof][value=none]")
    page.check("input[name=c_walls][value=d]")
    assert page.inner_text("#grade-box .grade") == "D 级" and "R2" in page.inner_text("#grade-box .rule")
    page.check("input[name=c_walls][value=a]")
    page.check("input[name=site_dangerous]")
    assert "R1" in page.inner_text("#grade-box .rule")
    shot(page, "appraise-live")


def test_web_appraisal_form_names_the_blanks_before_it_submits(
    page: Any, county_user: Any, appraiser_user: Any, trained_appraiser: Any
) -> None:
    """Issue 13, finding 7: an earth-timber house with only its foundation filled in is not graded."""
    household = add_household(county_user)
    House.objects.filter(household=household).update(structure_type="earth_timber")
    page.goto("/accounts/login/")
    page.fill("#id_username", "sd_appraiser")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    url = f"/inspections/houses/{household.houses.get().pk}/appraise/"
    page.goto(url)
    page.check("input[name=c_foundation][value=a]")
    page.check("input[name=prevention][value=partly]")
    page.click("#appraisal-form button[type=submit]")
    warning = page.inner_text("#blank-warning")
    assert warning == "以下构件尚未评定：承重墙体、木柱梁檩、木屋架、屋面。房屋没有的构件请选“无此构件”"
    assert page.locator("fieldset[data-key] [data-blank]").count() == 4 and page.url.endswith(url)
    assert page.evaluate("document.activeElement.name") == "c_walls"
    shot(page, "appraise-blanks")
    assert not household.appraisals.exists()
    for key, answer in (("walls", "c"), ("timber_frame", "b"), ("timber_truss", "none"), ("roof", "b")):
        page.check(f"input[name=c_{key}][value={answer}]")
    assert page.locator("fieldset[data-key] [data-blank]").count() == 0 and page.is_hidden("#blank-warning")
    assert page.inner_text("#grade-box .grade") == "C 级"
    page.click("#appraisal-form button[type=submit]")
    page.wait_for_selector("#appraisal-sheet")
    assert "无此构件" in page.inner_text("#component-table")
    shot(page, "appraisal-sheet-absent")
    appraisal = household.appraisals.get()
    assert (appraisal.grade, appraisal.components["timber_truss"]) == ("C", "none")


# One character per component: a grade, "n" for 无此构件, "_" for a blank (null), "-" for the key left out.
ANSWER_CODES = {"a": "a", "b": "b", "c": "c", "d": "d", "n": grading.ABSENT, "_": None}
COMPARE_IN_BROWSER = """([rules, groups, table, codes]) => {
  const wrong = [];
  for (const g of groups) {
    let i = 0;
    for (const c of g.codes) {
      const comps = {};
      for (let j = 0; j < c.length; j++) if (c[j] !== "-") comps[g.keys[j]] = codes[c[j]];
      for (const site of [false, true]) {
        const r = AnjuGrading.compute(rules, g.structure, site, comps);
        const answer = r.error ? "error:" + r.error : r.grade + r.rule + r.deciding.join(",");
        const want = table[g.expected[i++]];
        if (answer !== want && wrong.length < 20) wrong.push([g.structure, site, c, answer, want]);
      }
    }
  }
  return wrong;
}"""


def server_answer(structure: str, site: bool, comps: dict[str, str | None]) -> str:
    try:
        r = grading.compute(structure, site, comps)
    except grading.GradingError as exc:
        return f"error:{exc}"
    return r.grade + r.rule + ",".join(r.deciding)


def test_browser_and_server_grade_every_combination_alike(page: Any) -> None:
    """Every answer (a–d, 无此构件, null, left out) for every component of every structure type, both sites:
    the same grade, rule and deciding components, or the same refusal word for word."""
    page.goto("/field/")
    rules = grading.rules_payload()
    table: dict[str, int] = {}
    groups, total = [], 0
    for structure in [*grading.APPLICABLE, "local_type"]:
        keys = grading.applicable(structure)
        codes = ["".join(c) for c in itertools.product("abcdn_-", repeat=len(keys))]
        expected = []
        for code in codes:
            comps = {k: ANSWER_CODES[ch] for k, ch in zip(keys, code, strict=True) if ch != "-"}
            for site in (False, True):
                expected.append(table.setdefault(server_answer(structure, site, comps), len(table)))
        groups.append({"structure": structure, "keys": list(keys), "codes": codes, "expected": expected})
        total += len(expected)
    assert total > 300_000 and any(a.startswith("error:以下构件尚未评定") for a in table)
    assert page.evaluate(COMPARE_IN_BROWSER, [rules, groups, list(table), ANSWER_CODES]) == []
    odd = [("earth_timber", False, {"walls": bad, "roof": "a"}) for bad in ("e", "", "A", "无此构件", "None")] + [
        ("brick_concrete", True, {"timber_truss": "a"}), ("frame", False, {"chimney": None}),
        ("cave_earth", False, dict.fromkeys(grading.applicable("cave_earth"), grading.ABSENT)),
    ]  # fmt: skip
    in_browser = page.evaluate(
        "([rules, cases]) => cases.map(([s, site, comps]) => { const r = AnjuGrading.compute(rules, s, site, comps);"
        " return r.error ? 'error:' + r.error : r.grade + r.rule + r.deciding.join(','); })",
        [rules, odd],
    )
    assert in_browser == [server_answer(*case) for case in odd]


def test_construction_photos_from_the_phone_are_checked_as_evidence(
    phone: Any, county_user: Any, town_user: Any, village_user: Any, dangerous: Any, craftsman: Any, tmp_path: Path
) -> None:
    from field.models import EvidenceFlag
    from renovation import services
    from renovation.tests.fixtures import agreed_repair, through_notices

    House.objects.filter(household=dangerous).update(latitude=Decimal("37.550000"), longitude=Decimal("110.250000"))
    case = through_notices(
        services.open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    agreed_repair(case, county_user, craftsman)
    page = phone
    sign_in_and_download(page, "sd_town")
    page.fill("#search", dangerous.head_name)
    page.click("#results [data-id]")
    page.click("[data-construction]")
    page.select_option("#construction-form select[name=stage]", "before")
    page.click("#construction-form [data-gps]")
    wait_for(page, "document.querySelector('#construction-form [data-gps-text]').textContent.includes('±')")
    page.set_input_files("#construction-form [data-photos]", str(png(tmp_path / "site.png")))
    page.wait_for_selector("#construction-form [data-thumbs] img")
    page.click("#construction-form button.btn-primary")
    for _ in range(100):  # the photo goes by itself; wait for the server to have all of it
        photo = Photo.objects.filter(record_uid=case.uid, completed_at__isnull=False).first()
        if photo is not None:
            break
        page.wait_for_timeout(150)
    assert photo is not None
    assert (photo.record_kind, photo.part, photo.complete) == ("case", "before", True)
    assert EvidenceFlag.objects.get(photo=photo).kind == "far"  # taken 5.5 km from the house
    # a photo far from the house is no evidence of the stage (ADR 0026): the town must record why it goes on
    with pytest.raises(ValidationError, match="现场定位照片"):
        services.transition(actor=town_user, case_id=case.pk, action="start")
    assert Case.objects.get(pk=case.pk).state == "agreed"
    record_override(actor=town_user, case_id=case.pk, part="before", reason="定位偏差，乡镇干部已到现场核实开工")
    assert services.transition(actor=town_user, case_id=case.pk, action="start").state == "started"
