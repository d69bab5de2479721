"""Seed 001 (domain 11): one county's 2021, replayed through the services, and its yearly summary.

341 households: 227 C repairs, 72 D rebuilds, 42 turnkey houses; all started, completed and accepted;
5,797,000 yuan allocated (1,700,000 early at the end of 2020 and 4,097,000 in June 2021); 4,684,500
disbursed in four batches of 569,500, 858,000, 3,050,000 and 207,000 yuan. The seed does not give
each household's amount; the agreements here use the county's standards (C 5,000, D 25,000, turnkey
40,000), saved before the agreements so that each subsidy is checked against them, with one lower
agreement in each of the first two batches; the turnkey houses were agreed at 41,400–41,900 by area,
above the standard, each through a subsidy exception requested by the county and approved by a second
person there (funds.standards).

A second scenario year (2022, a smaller county year made up for the purpose) has one payment that the
bank returns failed (closed account): the household's account is corrected and the payment goes out
again in the next batch, which the ledger and the summary show.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.roles import Role
from conftest import add_household, make_id, make_user
from core.images import sample_jpeg
from field.sync import attach_upload, field_capture
from funds import selectors, services, standards
from inspections.services import AppraisalInput, record_appraisal
from regions.models import Level, Region
from renovation import notices
from renovation import services as cases
from renovation.dates import clock_at
from renovation.models import Case
from training.models import CourseKind, PersonKind
from training.services import add_records, save_course, save_trainee

D = dt.date
BATCHES = [Decimal("569500"), Decimal("858000"), Decimal("3050000"), Decimal("207000")]
STANDARDS = {"repair": Decimal(5000), "rebuild_onsite": Decimal(25000), "turnkey": Decimal(40000)}  # the county's, 2021


def save_standards(county_user: Any, year: int) -> None:
    for mode, amount in STANDARDS.items():
        services.save_standard(
            actor=county_user,
            data={
                "year": year,
                "region_prefix": "610826",
                "grade": "C" if mode == "repair" else "D",
                "mode": mode,
                "amount": amount,
                "source_document": "X建字〔2021〕X号",
            },
        )


def trained(county_user: Any, name: str, kind: str, course_kind: str, licence: str = "", year: int = 2021) -> Any:
    person = save_trainee(
        actor=county_user,
        trainee=None,
        data={"name": name, "kind": kind, "region_code": "610826000000", "licence_no": licence, "organisation": name},
    )
    course = save_course(
        actor=county_user,
        course=None,
        data={
            "title": f"{year}年{name}培训",
            "kind": course_kind,
            "organiser": "市住建局",
            "start_date": D(year, 1, 10),
            "end_date": D(year, 1, 10),
            "region_code": "610826000000",
        },
    )
    add_records(actor=county_user, course=course, trainees=[person])
    return person


def appraise(appraiser: Any, trainee: Any, house_id: int, grade: str, on: dt.date) -> None:
    comps = {"foundation": "a", "walls": grade.lower(), "roof": "a"}
    record_appraisal(
        actor=appraiser,
        data=AppraisalInput(
            house_id=house_id,
            appraised_on=on,
            components=comps,
            prevention="partly",
            appraiser_ids=[trainee.pk],
            organisation="市住建局",
        ),
    )


def photo(actor: Any, case: Case, part: str) -> None:
    attach_upload(
        actor=actor,
        kind="case",
        record_uid=case.uid,
        part=part,
        data=sample_jpeg(f"{case.uid}-{part}"),
        capture=field_capture(case.house),  # taken on site with the field app (a stage needs a located photo)
    )


def plan() -> list[tuple[str, str, Decimal, int]]:
    """(grade, mode, subsidy, batch) for the 341 households."""
    rows = [("C", "repair", Decimal(5000), 1)] * 113 + [("C", "repair", Decimal(4500), 1)]
    rows += [("C", "repair", Decimal(5000), 2)] * 113 + [("D", "rebuild_onsite", Decimal(25000), 2)] * 11
    rows += [("D", "rebuild_onsite", Decimal(18000), 2)]
    rows += [("D", "rebuild_onsite", Decimal(25000), 3)] * 60 + [("D", "turnkey", Decimal(41900), 3)] * 36
    rows += [("D", "turnkey", Decimal(41600), 3)] + [("D", "turnkey", Decimal(41400), 4)] * 5
    return rows


Row = tuple[str, str, Decimal, int]


def walk(county_user: Any, appraiser_user: Any, rows: list[Row], year: int) -> tuple[list[tuple[Case, Row]], Any]:
    """The households of `rows` (grade, mode, subsidy, batch) appraised, opened, reviewed with their three
    notices, agreed (above the standard only through an approved exception), built and accepted in `year`.
    Returns the cases with their rows, and the county's second person (the checker)."""
    appraiser = trained(county_user, "李鉴定", PersonKind.APPRAISER, CourseKind.APPRAISAL, year=year)
    appraiser.user = appraiser_user
    appraiser.save(update_fields=["user"])
    craftsman = trained(county_user, "刘工匠", PersonKind.CRAFTSMAN, CourseKind.CONSTRUCTION, year=year)
    firm = trained(county_user, "绥德县建筑公司", PersonKind.FIRM, CourseKind.CONSTRUCTION, licence="D261080001", year=year)
    checker = make_user("sd_checker", "610826", Role.COUNTY_STAFF)
    villages = list(Region.objects.under("610826100").filter(level=Level.VILLAGE).order_by("code")[:4])
    village_users = {v.code: make_user(f"cadre_{v.code}", v.code, Role.VILLAGE_CADRE) for v in villages}
    town = make_user("sd_town", "610826100", Role.TOWN_STAFF)
    save_standards(county_user, year)

    made: list[tuple[Case, tuple[str, str, Decimal, int]]] = []
    for n, row in enumerate(rows):
        village = villages[n % len(villages)].code
        household = add_household(
            county_user,
            head_id=make_id(seq=n % 1000, born=D(1950 + n % 40, 1 + n % 12, 1 + n % 28)),
            village=village,
            name=f"王{n}",
            bank_account=f"6230{n:015d}",
            bank_name="陕西信合",
        )
        house = household.houses.get()
        appraise(appraiser_user, appraiser, house.pk, row[0], D(year, 3, 1) + dt.timedelta(days=n % 90))
        with clock_at(D(year, 3, 24)):  # each step entered on its own day (renovation.dates)
            made.append((cases.open_case(actor=village_users[village], house_id=house.pk, year=year), row))
    assert all(c.deadline == D(year, 11, 30) for c, _row in made)

    by_village: dict[str, list[int]] = {}
    for case, _row in made:
        by_village.setdefault(case.region_code, []).append(case.pk)
    for village, ids in by_village.items():
        with clock_at(D(year, 3, 25)):
            assert not cases.transition_many(actor=village_users[village], case_ids=ids, action="village_review").refused
        with clock_at(D(year, 4, 1)):
            notices.publish(actor=village_users[village], level="village", scope=village, case_ids=ids, start_date=D(year, 4, 1))
    all_ids = [c.pk for c, _row in made]
    with clock_at(D(year, 4, 10)):
        assert not cases.transition_many(actor=town, case_ids=all_ids, action="town_review").refused
    with clock_at(D(year, 4, 11)):
        notices.publish(actor=town, level="town", scope="610826100", case_ids=all_ids, start_date=D(year, 4, 11))
    with clock_at(D(year, 4, 20)):
        assert not cases.transition_many(actor=county_user, case_ids=all_ids, action="county_approve").refused
    with clock_at(D(year, 4, 21)):
        notices.publish(actor=county_user, level="county", scope="610826", case_ids=all_ids, start_date=D(year, 4, 21))

    for case, (_grade, mode, subsidy, _batch) in made:
        new_build = mode != "repair"
        if subsidy > STANDARDS[mode]:  # the turnkey houses, agreed by area above the standard
            exception = standards.request_exception(actor=county_user, case_id=case.pk, mode=mode, amount=subsidy,
                                                    reason="按建筑面积核定", document_no=f"X政办发〔{year}〕X号")  # fmt: skip
            standards.decide_exception(actor=checker, exception_id=exception.pk, approve=True, note="同意")
        terms = cases.Terms(
            mode=mode,
            build_method="organised" if mode == "turnkey" else "self",
            subsidy=subsidy,
            planned_area=Decimal(50) if new_build else None,
            builder_id=(firm if mode == "turnkey" else craftsman).pk,
        )
        with clock_at(D(year, 4, 26)):
            cases.set_terms(actor=county_user, case_id=case.pk, terms=terms, on=D(year, 4, 26))
        with clock_at(D(year, 4, 27)):
            cases.transition(actor=county_user, case_id=case.pk, action="agree")
        with clock_at(D(year, 5, 10)):
            photo(town, case, "before")
            cases.transition(actor=town, case_id=case.pk, action="start")
        if new_build:
            with clock_at(D(year, 6, 20)):
                photo(town, case, "during")
                cases.transition(actor=town, case_id=case.pk, action="structure_done")
        with clock_at(D(year, 8, 1)):
            photo(town, case, "after")
            cases.transition(actor=town, case_id=case.pk, action="complete")
        appraise(appraiser_user, appraiser, case.house_id, "B", D(year, 8, 5))
        cases.accept(
            actor=county_user,
            case_id=case.pk,
            data=cases.AcceptanceInput(
                checklist=dict.fromkeys(cases.ACCEPTANCE_ITEMS, "ok"),
                household_agrees=True,
                household_signatory=case.household.head_name,
                inspectors="县验收组",
                accepted_on=D(year, 8, 10),
            ),
        )
        if new_build:
            cases.transition(actor=town, case_id=case.pk, action="demolish", on=D(year, 8, 20))

    return made, checker


@pytest.mark.slow
def test_seed_001_county_year(county_user: Any, appraiser_user: Any, tmp_path: Path) -> None:
    rows = plan()
    assert len(rows) == 341 and sum(r[2] for r in rows) == sum(BATCHES)
    made, checker = walk(county_user, appraiser_user, rows, 2021)

    services.allocate(
        actor=county_user,
        county="610826",
        year=2021,
        level="province",
        document_no="X财社指〔2020〕100号",
        issued_on=D(2020, 12, 28),
        amount=Decimal(1700000),
        note="提前下达",
    )
    services.allocate(
        actor=county_user,
        county="610826",
        year=2021,
        level="province",
        document_no="X财社指〔2021〕X号",
        issued_on=D(2021, 6, 15),
        amount=Decimal(4097000),
    )
    for number in (1, 2, 3, 4):
        ids = [c.pk for c, row in made if row[3] == number]
        batch = services.build_batch(actor=county_user, county="610826", year=2021, case_ids=ids).batch
        assert batch is not None and batch.total == BATCHES[number - 1]
        services.approve_batch(actor=checker, batch_id=batch.pk)
        sent = tmp_path / f"batch{number}.csv"
        services.issue_bank_file(actor=county_user, batch_id=batch.pk)
        services.bank_file(actor=county_user, batch_id=batch.pk, path=sent)
        lines = list(csv.reader(sent.open(encoding="utf-8-sig")))[1:]
        back = tmp_path / f"return{number}.csv"
        with back.open("w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要", "处理结果", "失败原因"]
            )
            writer.writerows([*line, "成功", ""] for line in lines)
        result = services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name=back.name)
        assert result.bank_return.paid == len(ids) and not result.bank_return.unmatched

    summary = selectors.year_summary("610826", 2021)
    figures = {r.label: (r.cases, r.started, r.completed, r.accepted, r.paid) for r in summary.rows if r.cases}
    assert figures == {
        "C级 维修加固": (227, 227, 227, 227, 227),
        "D级 原址翻建": (72, 72, 72, 72, 72),
        "政府兜底“交钥匙”": (42, 42, 42, 42, 42),
    }
    assert (summary.total.cases, summary.total.accepted) == (341, 341)
    assert [a.amount for a in summary.allocations] == [Decimal(1700000), Decimal(4097000)] and summary.allocated == Decimal(
        5797000
    )
    assert [b.total for b, _confirmed in summary.batches] == BATCHES and summary.disbursed == Decimal(4684500)
    assert [confirmed for _b, confirmed in summary.batches] == BATCHES
    ledger = summary.ledger
    assert (ledger.allocated, ledger.disbursed, ledger.confirmed, ledger.balance) == (
        Decimal(5797000),
        Decimal(4684500),
        Decimal(4684500),
        Decimal(1112500),
    )
    from funds.models import SubsidyException

    assert SubsidyException.objects.filter(state="approved").count() == 42  # the turnkey houses above 40,000


def to_bank(county_user: Any, checker: Any, batch_id: int, path: Path) -> list[list[str]]:
    """Approved by the second person, issued to the bank, its file written: the lines the bank receives."""
    services.approve_batch(actor=checker, batch_id=batch_id)
    services.issue_bank_file(actor=county_user, batch_id=batch_id)
    services.bank_file(actor=county_user, batch_id=batch_id, path=path)
    return list(csv.reader(path.open(encoding="utf-8-sig")))[1:]


def return_lines(path: Path, lines: list[list[str]], result: Any) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要", "处理结果", "失败原因"]
        )
        writer.writerows([*line, *result(line)] for line in lines)
    return path


@pytest.mark.slow
def test_scenario_year_with_a_payment_failed_and_paid_again(county_user: Any, appraiser_user: Any, tmp_path: Path) -> None:
    """2022: six households (four C repairs, two D rebuilds) paid in one batch of 70,000; the bank returns
    王0's line failed (account closed); the county corrects the account, and the next batch pays 5,000 again."""
    from funds.models import Payment

    rows: list[Row] = [("C", "repair", Decimal(5000), 1)] * 4 + [("D", "rebuild_onsite", Decimal(25000), 1)] * 2
    made, checker = walk(county_user, appraiser_user, rows, 2022)
    services.allocate(actor=county_user, county="610826", year=2022, level="province", document_no="X财社指〔2022〕X号",
                      issued_on=D(2022, 6, 1), amount=Decimal(100000))  # fmt: skip
    first = services.build_batch(actor=county_user, county="610826", year=2022).batch
    assert first is not None and (first.count, first.total) == (6, Decimal(70000))
    lines = to_bank(county_user, checker, first.pk, tmp_path / "b1.csv")
    back = return_lines(tmp_path / "r1.csv", lines, lambda line: ("失败", "账户已销户") if line[3] == "王0" else ("成功", ""))
    result = services.import_return(actor=county_user, batch_id=first.pk, path=back, original_name="r1.csv")
    assert (result.bank_return.paid, result.bank_return.failed) == (5, 1)
    ledger = selectors.ledger("610826", 2022)
    assert (ledger.confirmed, ledger.failed, ledger.pending, ledger.balance) == (Decimal(65000), Decimal(5000), 0, Decimal(30000))
    failed_case = next(c for c, _row in made if c.household.head_name == "王0")
    assert Case.objects.get(pk=failed_case.pk).state == "accepted" and selectors.corrections("610826", 2022).count() == 1

    household = failed_case.household
    household.bank_account = "6230999999999999999"  # the corrected 一卡通 account
    household.save()
    second = services.build_batch(actor=county_user, county="610826", year=2022).batch
    assert second is not None and (second.count, second.total) == (1, Decimal(5000))
    lines = to_bank(county_user, checker, second.pk, tmp_path / "b2.csv")
    assert lines[0][2] == "6230999999999999999"
    services.import_return(actor=county_user, batch_id=second.pk, path=return_lines(tmp_path / "r2.csv", lines,
                           lambda line: ("成功", "")), original_name="r2.csv")  # fmt: skip
    assert Case.objects.get(pk=failed_case.pk).state == "paid"
    assert Payment.objects.get(case=failed_case, status="reissued").batch_id == first.pk

    summary = selectors.year_summary("610826", 2022)
    assert [(b.total, confirmed) for b, confirmed in summary.batches] == [(Decimal(70000), Decimal(65000)),
                                                                         (Decimal(5000), Decimal(5000))]  # fmt: skip
    assert (summary.total.cases, summary.total.paid) == (6, 6)
    ledger = summary.ledger
    assert (ledger.allocated, ledger.confirmed, ledger.failed, ledger.disbursed, ledger.balance) == (
        Decimal(100000), Decimal(70000), 0, Decimal(70000), Decimal(30000))  # fmt: skip
