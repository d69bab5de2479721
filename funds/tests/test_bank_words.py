"""Bank results read exactly (issue 12, finding 8): the words are whole values, never substrings; an
unknown result is left for a person, with the bank's text; 处理中 stays pending and is reported; the
events of a return file name the person who imported it (finding 10). And the batch's declared states."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from funds import bankfile, services
from funds.models import BankReturn, DisbursementBatch, Payment
from funds.tests.helpers import api, login
from funds.tests.test_money import return_file, two_accepted  # noqa: F401 (fixture)
from renovation.models import Case, CaseEvent

# Written from the bank's side: what a return file may say, and what each must mean.
PAID_TEXTS = ["成功", " 成功 ", "\u3000成功\u3000", "交易成功", "已入账", "SUCCESS", "ｓｕｃｃｅｓｓ", "Paid"]
FAILED_TEXTS = ["失败", "交易失败", "退回", "退票", "FAILED", "ｆａｉｌ"]
PENDING_TEXTS = ["处理中", "银行处理中", "待处理", "ＰＥＮＤＩＮＧ"]
UNKNOWN_TEXTS = ["未成功", "不成功", "交易未成功", "成功？", "失败成功", "非成功", "部分成功", "成 功 了", "", "1", "OK", "已"]


@pytest.mark.parametrize("text", PAID_TEXTS)
def test_paid_words(text: str) -> None:
    assert bankfile.outcome(text) == "paid"


@pytest.mark.parametrize("text", FAILED_TEXTS)
def test_failed_words(text: str) -> None:
    assert bankfile.outcome(text) == "failed"


@pytest.mark.parametrize("text", PENDING_TEXTS)
def test_pending_words(text: str) -> None:
    assert bankfile.outcome(text) == "pending"


@pytest.mark.parametrize("text", UNKNOWN_TEXTS)
def test_anything_else_is_unknown(text: str) -> None:
    assert bankfile.outcome(text) is None
    assert bankfile.outcome(text, "陕西信合") is None


def test_a_bank_has_its_own_words() -> None:
    assert bankfile.outcome("已到账", "陕西信合") == "paid" and bankfile.outcome("已到账", "某某银行") is None
    assert bankfile.outcome("未到账", "陕西信合") == "failed"
    assert bankfile.outcome("成功", "陕西信合 ") == "paid"  # the bank's name is normalised too


@pytest.fixture
def sent(two_accepted: list[Case], county_user: Any, checker: Any, tmp_path: Path) -> tuple[DisbursementBatch, list[list[str]]]:  # noqa: F811
    """Both cases in a batch approved by the second person and issued: the batch and the lines the bank got."""
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.csv")
    return batch, list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))[1:]


@pytest.mark.parametrize("words", [("未成功", "不成功"), ("处理中", "交易未成功")])
def test_not_successful_is_never_booked_as_paid_from_the_page(
    sent: Any, county_user: Any, tmp_path: Path, words: tuple[str, str]
) -> None:
    batch, (one, two) = sent
    back = return_file(tmp_path / "回盘.csv", [[*one, words[0], ""], [*two, words[1], ""]])
    with back.open("rb") as upload:
        shown = login("sd_county").post(f"/funds/batches/{batch.pk}/return/", {"file": upload}, follow=True).content.decode()
    assert "到账 0 笔" in shown and f"“{words[1]}”" in shown  # the bank's own text is shown
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}
    assert set(Case.objects.values_list("state", flat=True)) == {"accepted"}
    r = BankReturn.objects.get()
    if words[0] == "处理中":
        assert [w["reference"] for w in r.waiting] == [one[1]] and "银行处理中 1" in shown
    assert DisbursementBatch.objects.get().status == "returned"


def test_not_successful_is_never_booked_as_paid_from_the_api(sent: Any, county_user: Any, checker: Any, tmp_path: Path) -> None:
    batch, (one, two) = sent
    back = return_file(tmp_path / "r.csv", [[*one, "未成功", "余额不足"], [*two, "处理中", ""]])
    client = api(county_user)
    with back.open("rb") as upload:
        answer = client.post(f"/api/batches/{batch.pk}/bank-return/", {"file": upload}).json()
    assert (answer["paid"], answer["failed"]) == (0, 0)
    assert [u["result"] for u in answer["unmatched"]] == ["未成功"] and "无法识别的处理结果" in answer["unmatched"][0]["reason"]
    assert [w["result"] for w in answer["waiting"]] == ["处理中"]
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}
    decide = {"return_id": answer["id"], "line": answer["unmatched"][0]["line"], "decision": "paid"}
    refused = client.post(f"/api/batches/{batch.pk}/decide-line/", decide, content_type="application/json")
    assert refused.status_code == 400 and "判定依据" in refused.content.decode()
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}
    done = client.post(f"/api/batches/{batch.pk}/decide-line/", {**decide, "reason": "银行回函：已入账"},
                       content_type="application/json")  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "paid"
    assert Case.objects.get(pk=done.json()["case"]).state == "paid"


def test_a_person_decides_an_unknown_line_with_a_reason(sent: Any, county_user: Any, checker: Any, tmp_path: Path) -> None:
    batch, (one, two) = sent
    back = return_file(tmp_path / "r.csv", [[*one, "成功", ""], [*two, "不成功", ""]])
    services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="r.csv")
    r = BankReturn.objects.get()
    page = login("sd_county")
    refused = page.post(f"/funds/batches/{batch.pk}/decide/", {"return_id": r.pk, "line": 3, "decision": "paid"}, follow=True)
    assert "请写明判定依据" in refused.content.decode()
    assert Payment.objects.get(reference=two[1]).status == "pending"
    bad = page.post(f"/funds/batches/{batch.pk}/decide/", {"return_id": "x", "line": "三", "decision": "paid"}, follow=True)
    assert bad.status_code == 200 and "请选择回盘文件中的一行" in bad.content.decode()
    page.post(f"/funds/batches/{batch.pk}/decide/",
              {"return_id": r.pk, "line": 3, "decision": "failed", "reason": "电话核实：账户冻结"})  # fmt: skip
    paid_again = page.post(f"/funds/batches/{batch.pk}/decide/",
                           {"return_id": r.pk, "line": 3, "decision": "paid", "reason": "改判"}, follow=True)  # fmt: skip
    assert "已于" in paid_again.content.decode()
    p = Payment.objects.get(reference=two[1])
    assert (p.status, p.bank_message) == ("failed", "电话核实：账户冻结")
    assert DisbursementBatch.objects.get().status == "closed"
    event = AuditEvent.objects.get(verb="funds.decide_line")
    assert event.actor_id == county_user.pk


def test_the_events_of_a_return_file_name_the_importer(sent: Any, county_user: Any, checker: Any, tmp_path: Path) -> None:
    batch, (one, two) = sent
    back = return_file(tmp_path / "r.csv", [[*one, "成功", ""], [*two, "成功", ""]])
    services.import_return(actor=county_user, batch_id=batch.pk, path=back, original_name="r.csv")
    pays = AuditEvent.objects.filter(verb="renovation.pay")
    assert pays.count() == 2 and set(pays.values_list("actor_id", flat=True)) == {county_user.pk}
    assert set(CaseEvent.objects.filter(action="pay").values_list("actor_id", flat=True)) == {county_user.pk}
    assert DisbursementBatch.objects.get().status == "closed"


def test_batch_steps_follow_the_declared_machine(sent: Any, county_user: Any, checker: Any, tmp_path: Path) -> None:
    batch, (one, two) = sent
    assert DisbursementBatch.objects.get().status == "sent"
    services.import_return(actor=county_user, batch_id=batch.pk, path=return_file(tmp_path / "a.csv", [[*one, "成功", ""]]),
                           original_name="a.csv")  # fmt: skip
    assert DisbursementBatch.objects.get().status == "returned"  # one line still waits for the bank
    services.import_return(actor=county_user, batch_id=batch.pk, path=return_file(tmp_path / "b.csv", [[*two, "失败", "销户"]]),
                           original_name="b.csv")  # fmt: skip
    assert DisbursementBatch.objects.get().status == "closed"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.approve_batch(actor=checker, batch_id=batch.pk)
    with pytest.raises(ValidationError):
        services.cancel_batch(actor=county_user, batch_id=batch.pk, reason="x")


def test_the_database_refuses_an_unknown_batch_state(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementBatch.objects.filter(pk=batch.pk).update(status="paid_out")
