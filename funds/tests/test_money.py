from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.roles import Role
from conftest import add_household, make_id, make_user
from funds import selectors, services
from funds.models import Payment, PaymentStatus
from renovation.models import Case
from renovation.services import open_case
from renovation.tests.fixtures import LONG_AGO, accepted_repair, appraise

TODAY = dt.date.today()


@pytest.fixture
def checker(db: Any) -> Any:
    return make_user("sd_checker", "610826", Role.COUNTY_STAFF)


@pytest.fixture
def two_accepted(
    county_user: Any, town_user: Any, village_user: Any, craftsman: Any, appraiser_user: Any, trained_appraiser: Any
) -> list[Case]:
    cases = []
    for n, (name, subsidy) in enumerate((("郝建国", "5000"), ("白彩云", "4500.50"))):
        household = add_household(
            county_user, head_id=make_id(seq=700 + n), name=name, bank_name="陕西信合", bank_account=f"62300000000000{n:05d}"
        )
        appraise(appraiser_user, trained_appraiser, household, "C", LONG_AGO)
        case = open_case(actor=village_user, house_id=household.houses.get().pk)
        cases.append(
            accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser, subsidy)
        )
    return cases


def return_file(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要", "处理结果", "失败原因"]
        )
        writer.writerows(rows)
    return path


def test_batch_bank_file_return_and_ledger(two_accepted: list[Case], county_user: Any, checker: Any, tmp_path: Path) -> None:
    year = two_accepted[0].year
    services.allocate(
        actor=county_user,
        county="610826",
        year=year,
        level="province",
        document_no="陕财社〔2026〕12号",
        issued_on=TODAY,
        amount=Decimal("20000"),
    )
    plan = services.build_batch(actor=county_user, county="610826", year=year)
    batch = plan.batch
    assert batch is not None and batch.count == 2 and batch.total == Decimal("9500.50")
    with pytest.raises(ValidationError, match="须先经另一人审核"):
        services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    with pytest.raises(PermissionDenied, match="制单人以外的另一人"):
        services.approve_batch(actor=county_user, batch_id=batch.pk)
    services.approve_batch(actor=checker, batch_id=batch.pk)
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    assert services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.xlsx") == 2
    sheet = openpyxl.load_workbook(tmp_path / "pay.xlsx").active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert rows[0][2] == "6230000000000000000" and rows[0][5] == "5000.00" and rows[1][5] == "4500.50"
    services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.csv")
    sent = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))
    assert sent[0][:3] == ["序号", "业务参考号", "收款账号"] and len(sent) == 3
    ok, bad = sent[1], sent[2]
    back = return_file(
        tmp_path / "回盘.csv",
        [
            [*ok, "成功", ""],
            [*bad, "失败", "账户已销户"],
            ["9", "AJ-NOT-OURS", "1", "某某", "", "100.00", "", "", "成功", ""],
        ],
    )
    result = services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="回盘.csv")
    assert (result.bank_return.paid, result.bank_return.failed) == (1, 1)
    assert result.bank_return.unmatched[0]["reason"] == "业务参考号不属于本批次"
    again = services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="回盘.csv")
    assert again.already and Payment.objects.filter(status=PaymentStatus.PAID).count() == 1
    paid_case = Case.objects.get(pk=Payment.objects.get(status=PaymentStatus.PAID).case_id)
    assert paid_case.state == "paid" and paid_case.events.last().action == "pay"  # type: ignore[union-attr]
    ledger = selectors.ledger("610826", year)
    assert (ledger.allocated, ledger.confirmed, ledger.failed, ledger.pending) == (
        Decimal("20000"),
        Decimal("5000"),
        Decimal("4500.50"),
        0,
    )
    assert ledger.allocated == ledger.disbursed + ledger.balance and ledger.balance == Decimal("10499.50")
    fix = selectors.corrections("610826", year).get()
    assert fix.bank_message == "账户已销户"
    retry = services.build_batch(actor=county_user, county="610826", year=year).batch
    assert retry is not None and retry.count == 1 and retry.payments.get().retry_of == fix
    fix.refresh_from_db()
    assert fix.status == PaymentStatus.REISSUED and not selectors.corrections("610826", year).exists()
    assert services.build_batch(actor=county_user, county="610826", year=year).batch is None  # nothing left to pay


def test_mismatched_return_lines_are_reported_not_guessed(
    two_accepted: list[Case], county_user: Any, checker: Any, tmp_path: Path
) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.csv")
    first, second = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))[1:]
    first[5] = "5001.00"
    second[3] = "别人"
    back = return_file(tmp_path / "r.csv", [[*first, "成功", ""], [*second, "成功", ""]])
    result = services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="r.csv")
    reasons = [u["reason"] for u in result.bank_return.unmatched]
    assert reasons[0].startswith("金额不符") and reasons[1] == "户名与拨付时不符"
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == 2


def test_the_database_refuses_a_second_live_payment(two_accepted: list[Case], county_user: Any) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    first = batch.payments.first()
    assert first is not None
    first.pk, first.reference = None, "AJ-DUPLICATE"
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


def test_amounts_are_exact_decimals(two_accepted: list[Case], county_user: Any) -> None:
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    amounts = sorted(batch.payments.values_list("amount", flat=True))
    assert amounts == [Decimal("4500.50"), Decimal("5000.00")] and sum(amounts) == batch.total


def test_the_fast_insert_path_raises_djangos_integrity_error(two_accepted: list[Case], county_user: Any) -> None:
    """Batches are written by COPY on PostgreSQL: a second live payment must still fail as IntegrityError (and roll back)."""
    from core.bulk import insert_instances

    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    case = two_accepted[0]
    duplicate = Payment(
        batch=batch,
        case=case,
        household_id=case.household_id,
        region_code=case.region_code,
        stage="final",
        amount=Decimal(1),
        reference="AJ-DUPLICATE-COPY",
        payee_name="x",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_instances([duplicate])
    assert Payment.objects.count() == 2


def test_advance_at_start_then_the_rest_after_acceptance(
    county_user: Any,
    town_user: Any,
    village_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
) -> None:
    from renovation import services as cases
    from renovation.dates import clock_at
    from renovation.tests.fixtures import agreed_repair, photo, through_notices

    dangerous.bank_account = "6230000011112222333"
    dangerous.save()
    case = through_notices(
        open_case(actor=village_user, house_id=dangerous.houses.get().pk), village_user, town_user, county_user
    )
    with clock_at(TODAY - dt.timedelta(days=15)):  # each step entered on its day (renovation.dates)
        agreed_repair(case, county_user, craftsman, "5000")
    services.save_standard(
        actor=county_user,
        data={
            "year": case.year,
            "region_prefix": "610826",
            "grade": "C",
            "mode": "repair",
            "amount": Decimal(5000),
            "advance_ratio": Decimal("0.5"),
            "source_document": "陕建发〔2026〕3号",
        },
    )
    assert services.build_batch(actor=county_user, county="610826", year=case.year, stage="advance").batch is None  # not started
    with clock_at(TODAY - dt.timedelta(days=14)):
        photo(town_user, case, "before")
        cases.transition(actor=town_user, case_id=case.pk, action="start")
    advance = services.build_batch(actor=county_user, county="610826", year=case.year, stage="advance").batch
    assert advance is not None and advance.total == Decimal("2500.00")
    with clock_at(TODAY - dt.timedelta(days=5)):
        photo(town_user, case, "after")
        cases.transition(actor=town_user, case_id=case.pk, action="complete")
    appraise(appraiser_user, trained_appraiser, dangerous, "B", TODAY - dt.timedelta(days=2))
    cases.accept(
        actor=county_user,
        case_id=case.pk,
        data=cases.AcceptanceInput(
            checklist=dict.fromkeys(cases.ACCEPTANCE_ITEMS, "ok"),
            household_agrees=True,
            household_signatory="郝建国",
            inspectors="验收组",
            accepted_on=TODAY,
        ),
    )
    final = services.build_batch(actor=county_user, county="610826", year=case.year).batch
    assert final is not None and final.total == Decimal("2500.00")  # the subsidy less what was advanced


def _approved(two_accepted: list[Case], county_user: Any, checker: Any) -> Any:
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    return batch


def test_downloading_the_bank_file_never_moves_the_batch(two_accepted: list[Case], county_user: Any, checker: Any) -> None:
    """Finding 14: a GET (a link prefetched, a crawler, an <img src>) must not send the batch to the bank."""
    from django.test import Client

    from audit.models import AuditEvent

    batch = _approved(two_accepted, county_user, checker)
    web = Client()
    web.force_login(county_user)
    events = AuditEvent.objects.count()
    for fmt in ("csv", "xlsx"):
        refused = web.get(f"/funds/batches/{batch.pk}/bank.{fmt}", follow=True)
        assert "尚未生成银行代发文件" in refused.content.decode()
    batch.refresh_from_db()
    assert batch.status == "approved" and AuditEvent.objects.count() == events
    assert web.get(f"/funds/batches/{batch.pk}/issue/").status_code == 405  # the issuing step is POST only
    page = web.get(f"/funds/batches/{batch.pk}/").content.decode()
    assert "生成银行代发文件" in page and f"/funds/batches/{batch.pk}/bank.csv" not in page
    assert web.post(f"/funds/batches/{batch.pk}/issue/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == "sent"
    issued = AuditEvent.objects.filter(verb="funds.bank_file", object_id=str(batch.pk)).get()
    assert issued.actor_id == county_user.pk and issued.after["status"] == "sent"
    again = web.post(f"/funds/batches/{batch.pk}/issue/", follow=True).content.decode()
    assert "已生成银行代发文件" in again
    assert AuditEvent.objects.filter(verb="funds.bank_file").count() == 1  # a second POST issues nothing
    download = web.get(f"/funds/batches/{batch.pk}/bank.csv")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    lines = list(csv.reader(b"".join(download.streaming_content).decode("utf-8-sig").splitlines()))  # type: ignore[attr-defined]
    assert len(lines) == 3
    batch.refresh_from_db()
    assert batch.status == "sent"
    from audit.models import AccessLog

    read = AccessLog.objects.order_by("id").last()  # reads of personal data: the access log (ADR 0017)
    assert read is not None and read.actor_id == county_user.pk and "payee_id" in read.fields


def test_issuing_the_bank_file_needs_an_approved_batch_and_the_maker_right(
    two_accepted: list[Case], county_user: Any, checker: Any, town_user: Any, tmp_path: Path
) -> None:
    draft = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert draft is not None
    with pytest.raises(ValidationError, match="须先经另一人审核"):
        services.issue_bank_file(actor=county_user, batch_id=draft.pk)
    services.approve_batch(actor=checker, batch_id=draft.pk)
    with pytest.raises(PermissionDenied):
        services.issue_bank_file(actor=town_user, batch_id=draft.pk)  # a town officer may not make payments
    with pytest.raises(ValidationError, match="尚未生成银行代发文件"):
        services.bank_file(actor=county_user, batch_id=draft.pk, path=tmp_path / "pay.csv")
    draft.refresh_from_db()
    assert draft.status == "approved" and not (tmp_path / "pay.csv").exists()
