"""The audit log as an auditor uses it (issue 12, finding 10): actions and object types chosen by
their Chinese names, a household found by its ID number without the number travelling in a URL,
a change read as a table of field, before and after with Chinese field names, the person behind an
import named, and the same filters on the export."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AccessLog, AuditEvent
from audit.services import Event, record, record_many
from conftest import MIZHI_VILLAGE, PASSWORD, add_household, household_input, make_id, make_user
from exchange.exports import KINDS
from households.services import update_household


class Page(HTMLParser):
    """The parts of a rendered page these tests read: each <select>'s options by their text, and
    the text of each table's cells, row by row, by table id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.selects: dict[str, dict[str, str]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._select: str | None = None
        self._option: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._select = a.get("name") or ""
            self.selects[self._select] = {}
        elif tag == "option" and self._select is not None:
            self._option, self._text = a.get("value") or "", ""
        elif tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._cell = []
            self.tables[self._table].append(self._cell)
        elif tag in ("td", "th") and self._cell is not None:
            self._text = ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            self.selects[self._select][self._text.strip()] = self._option
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag in ("td", "th") and self._cell is not None:
            self._cell.append(" ".join(self._text.split()))
        elif tag == "table":
            self._table = None


@pytest.fixture
def auditor(db: Any) -> Any:
    return make_user("sd_auditor", "610826", Role.AUDITOR)


@pytest.fixture
def auditor_client(auditor: Any) -> Client:
    client = Client()
    client.force_login(auditor)
    return client


def _events_table(client: Client, params: dict[str, str]) -> list[list[str]]:
    response = client.get(reverse("audit:search"), params)
    assert response.status_code == 200
    return Page(response.content.decode()).tables["audit-table"][1:]  # without the header row


def _signed_in_by_the_login_page(username: str) -> None:
    response = Client().post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_the_auditor_picks_登录_from_the_drop_down_and_finds_the_logins(county_user: Any, auditor_client: Client) -> None:
    _signed_in_by_the_login_page("sd_county")
    add_household(county_user)  # other events around the login
    options = Page(auditor_client.get(reverse("audit:search")).content.decode()).selects["verb"]
    assert "登录" in options, "the action drop-down names the login in Chinese"
    rows = _events_table(auditor_client, {"verb": options["登录"]})
    assert rows and all(r[5] == "登录" for r in rows), rows  # column 操作
    assert any(r[2] == "sd_county" for r in rows)
    everything = _events_table(auditor_client, {})
    assert len(everything) > len(rows)


def test_the_action_drop_down_has_a_whole_group_and_refuses_a_typed_code(county_user: Any, auditor_client: Client) -> None:
    _signed_in_by_the_login_page("sd_county")
    add_household(county_user)
    options = Page(auditor_client.get(reverse("audit:search")).content.decode()).selects["verb"]
    household_group = next(v for text, v in options.items() if text.startswith("农户档案") and "全部" in text)
    rows = _events_table(auditor_client, {"verb": household_group})
    assert rows and all("农户档案" in r[5] for r in rows)
    # a code typed into the address that is not in the list finds nothing and says why, never the whole log
    response = auditor_client.get(reverse("audit:search"), {"verb": "登录"})
    assert response.status_code == 200
    assert Page(response.content.decode()).tables["audit-table"][1:] == [["没有记录"]]
    assert "选择一个有效的选项" in response.content.decode()


def test_object_types_are_chosen_and_shown_by_their_chinese_names(county_user: Any, auditor_client: Client) -> None:
    household = add_household(county_user)
    types = Page(auditor_client.get(reverse("audit:search")).content.decode()).selects["object_type"]
    assert "农户" in types and "改造户" in types, sorted(types)
    rows = _events_table(auditor_client, {"object_type": types["农户"]})
    assert rows and all(r[6] == "农户" for r in rows)
    assert all("households." not in cell for r in rows for cell in r)
    assert any(household.head_name in r[7] for r in rows)


def _ids_in(rows: list[list[str]]) -> set[int]:
    return {int(r[0]) for r in rows if r[0].isdigit()}


def test_the_auditor_finds_a_households_events_by_its_id_number(county_user: Any, auditor_client: Client) -> None:
    number = make_id(seq=401)
    mine = add_household(county_user, head_id=number, name="贺兰")
    other = add_household(county_user, head_id=make_id(seq=402), name="白永旺")
    update_household(actor=county_user, household=mine, data=household_input(head_id=number, name="贺兰", phone="13700000000"),
                     version=mine.version)  # fmt: skip
    events_before = AuditEvent.objects.count()
    reads_before = AccessLog.objects.count()

    response = auditor_client.post(reverse("audit:search"), {"id_number": f" {number[:6]} {number[6:]}".lower()})
    assert response.status_code == 302
    assert list(response.wsgi_request.sensitive_post_parameters) == ["id_number"]  # hidden from error reports
    location = response["Location"]
    assert number not in location and number[-4:] not in location  # the number is in no URL
    rows = _events_table(auditor_client, dict(p.split("=") for p in location.split("?", 1)[1].split("&")))
    shown = _ids_in(rows)
    expected = set(AuditEvent.objects.filter(archive_id=mine.pk).values_list("pk", flat=True))
    expected |= {mine.creation_event_id} - {None}
    assert shown == expected and shown
    assert not shown & set(AuditEvent.objects.filter(archive_id=other.pk).values_list("pk", flat=True))
    # looking up wrote nothing that holds the number in clear
    for e in AuditEvent.objects.filter(pk__gt=events_before):
        assert number not in f"{e.before} {e.after} {e.object_label}"
    assert AccessLog.objects.count() == reads_before or all(
        number not in str(r.object_ids) + r.path for r in AccessLog.objects.all()
    )


def test_an_id_number_of_no_household_here_is_refused_in_chinese(
    county_user: Any, neighbour_user: Any, auditor_client: Client
) -> None:
    elsewhere = make_id(seq=403, area="610827")
    add_household(neighbour_user, head_id=elsewhere, village=MIZHI_VILLAGE)  # 米脂县: not the auditor's county
    for number in (elsewhere, make_id(seq=404), "12345"):
        response = auditor_client.post(reverse("audit:search"), {"id_number": number})
        assert response.status_code == 200
        text = response.content.decode()
        assert "没有该身份证号的农户" in text or "完整的 18 位" in text
        assert number not in text  # not echoed back either


def test_a_change_reads_as_a_table_of_field_before_after_with_chinese_names(county_user: Any, auditor_client: Client) -> None:
    number = make_id(seq=405)
    household = add_household(county_user, head_id=number, name="贺兰", phone="13912345678")
    changed = household_input(head_id=number, name="贺兰", phone="13700001111", family_size=5)
    update_household(actor=county_user, household=household, data=changed, version=household.version)
    event = AuditEvent.objects.filter(verb="household.update", archive_id=household.pk).latest("id")
    page = Page(auditor_client.get(reverse("audit:detail", args=[event.pk])).content.decode())
    header, *rows = page.tables["change-table"]
    assert header == ["字段", "修改前", "修改后"]
    by_field = {r[0]: (r[1], r[2]) for r in rows}
    assert by_field["家庭人口"] == ("3", "5")
    old_phone, new_phone = by_field["联系电话"]
    assert old_phone != new_phone and "13700001111" not in new_phone and new_phone.endswith("1111")  # still masked
    assert not any(r[0].isascii() for r in rows), [r[0] for r in rows]  # every field by its Chinese name


def test_an_inspection_recorded_in_the_field_is_labelled_as_such(county_user: Any, auditor_client: Client) -> None:
    event = record("inspection.record", actor=county_user, object_type="inspections.inspection", object_id="1",
                   region_code="610826", after={"source": "field", "verdict": "safe"})  # fmt: skip
    page = Page(auditor_client.get(reverse("audit:detail", args=[event.pk])).content.decode())
    by_field = {r[0]: r[2] for r in page.tables["change-table"][1:]}
    assert "认定部门" not in by_field
    assert by_field["途径"] in ("现场采集", "外业采集", "现场APP")
    assert "inspections.inspection" not in auditor_client.get(reverse("audit:detail", args=[event.pk])).content.decode()


def test_payments_confirmed_by_a_bank_return_name_the_importer(county_user: Any, auditor_client: Client) -> None:
    """The funds import passes its importer to the events it causes; the log shows that person."""
    household = add_household(county_user)
    record_many([Event("renovation.pay", actor=county_user, object_type="renovation.case", object_id="7", region_code="610826",
                       archive_id=household.pk, before={"state": "accepted"}, after={"state": "paid"})])  # fmt: skip
    rows = _events_table(auditor_client, {"verb": "renovation.pay"})
    assert [r[2] for r in rows] == ["sd_county"]


def test_a_household_import_run_by_the_worker_names_its_importer(
    county_user: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from exchange import tasks
    from exchange.models import ImportJob
    from exchange.services import confirm_import, create_import_job
    from exchange.tests.test_import import row, write_xlsx

    path = write_xlsx(tmp_path / "雕山村.xlsx", [row(301), row(302, name="贺兰")])
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    job = create_import_job(user=county_user, path=path, original_name=path.name, mapping={})
    tasks.validate_import.call(str(job.pk))
    with django_capture_on_commit_callbacks(execute=True):  # the worker's run, as the immediate backend runs it
        confirm_import(user=county_user, job=ImportJob.objects.get(pk=job.pk))
    caused = AuditEvent.objects.filter(id__gt=since)
    assert caused.filter(verb__startswith="household.").exists() and caused.filter(verb="import.finish").exists()
    assert set(caused.values_list("actor_name", flat=True)) == {"sd_county"}


def test_the_export_takes_the_same_filters_and_writes_readable_text(county_user: Any, auditor: Any) -> None:
    _signed_in_by_the_login_page("sd_county")
    household = add_household(county_user, name="贺兰")
    kind = KINDS["audit"]
    logins = kind.queryset(auditor, {"verb": "auth.login"})
    assert logins.exists() and set(logins.values_list("verb", flat=True)) == {"auth.login"}
    from exchange.exports import _audit_rows

    lines = list(_audit_rows(kind.queryset(auditor, {"household": str(household.pk)})))
    assert lines
    for line in lines:
        assert "households." not in line[6] and line[6]  # object type by name
        assert "{" not in line[12] and "head_name" not in line[12]  # no raw JSON, no English keys
    assert any("户主姓名：贺兰" in line[12] for line in lines)


def test_the_export_walks_the_log_in_chunks_newest_first(county_user: Any, auditor: Any) -> None:
    from exchange import exports

    record_many([Event("codeitem.update", actor=county_user, region_code="610826", object_type="codetables.codeitem",
                       object_id=str(i), after={"n": i}) for i in range(25)])  # fmt: skip
    qs = exports.KINDS["audit"].queryset(auditor, {"verb": "codeitem.update"})
    ids = [e["id"] for e in exports._keyset(qs, chunk=4)]
    assert ids == sorted(qs.values_list("pk", flat=True), reverse=True) and len(ids) == 25


def test_dates_filter_and_a_reversed_range_is_refused(county_user: Any, auditor_client: Client) -> None:
    add_household(county_user)
    today = timezone.localdate()
    assert _events_table(auditor_client, {"since": str(today), "until": str(today)}) != [["没有记录"]]
    tomorrow = today + dt.timedelta(days=1)
    assert _events_table(auditor_client, {"since": str(tomorrow)}) == [["没有记录"]]
    response = auditor_client.get(reverse("audit:search"), {"since": str(tomorrow), "until": str(today)})
    assert "截止日期不能早于起始日期" in response.content.decode()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.AUDITOR])
def test_no_other_role_sees_the_log(role: str, county_user: Any) -> None:
    """The policy decides (accounts/policy.py): confirmed on the page, the event's page and the export."""
    event = record("codeitem.update", actor=county_user, region_code="610826", object_type="codetables.codeitem", object_id="1")
    user = make_user(f"x_{role}", "610826", role)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("audit:search")).status_code == 403
    assert client.post(reverse("audit:search"), {"id_number": make_id()}).status_code == 403
    assert client.get(reverse("audit:detail", args=[event.pk])).status_code == 403
    before = AuditEvent.objects.filter(verb="export.audit").count()
    client.post(reverse("exchange:export_new"), {"kind": "audit"})
    assert AuditEvent.objects.filter(verb="export.audit").count() == before
    assert client.get("/api/audit/").status_code == 404  # the log has no API


def test_an_export_longer_than_a_sheet_says_where_it_stopped(county_user: Any, auditor: Any, monkeypatch: Any) -> None:
    from exchange import exports

    record_many([Event("codeitem.update", actor=county_user, region_code="610826", object_type="codetables.codeitem",
                       object_id=str(i)) for i in range(5)])  # fmt: skip
    monkeypatch.setattr(exports, "SHEET_LINES", 3)
    lines = list(exports._audit_rows(exports.KINDS["audit"].queryset(auditor, {"verb": "codeitem.update"})))
    assert len(lines) == 4 and "上限" in lines[-1][5] and "分次导出" in lines[-1][5]
