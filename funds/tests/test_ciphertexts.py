"""Payments carry the household's numbers sealed to their own rows; a number that does not open is
never paid to nor sent to the bank (issue 11, finding 11)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core.crypto import UNREADABLE
from funds import services
from funds.models import Payment
from funds.tests.test_money import checker, two_accepted  # noqa: F401 - fixtures
from households.models import Household
from renovation.models import Case


def _funded(county_user: Any, year: int) -> None:
    services.allocate(actor=county_user, county="610826", year=year, level="province", document_no="陕财社〔2026〕12号",
                      issued_on=Case.objects.first().accepted_on, amount=Decimal("20000"))  # fmt: skip


def test_a_payment_seals_the_numbers_to_its_own_row(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    _funded(county_user, two_accepted[0].year)
    services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year)
    for payment in Payment.objects.select_related("household"):
        household = payment.household
        assert (payment.payee_id, payment.account) == (household.head_id, household.bank_account)
        assert bytes(payment.payee_id_enc) != bytes(household.head_id_enc)  # not a copy: it would not open here
        assert payment.account_hash == household.bank_account_hash
        assert Household.head_id.read(payment.payee_id_enc, household.pk) == UNREADABLE


def test_a_household_whose_account_does_not_open_is_left_out(two_accepted: list[Case], county_user: Any) -> None:  # noqa: F811
    _funded(county_user, two_accepted[0].year)
    bad = two_accepted[1].household
    blob = bytearray(bad.bank_account_enc)
    blob[3] ^= 0x10
    Household.objects.filter(pk=bad.pk).update(bank_account_enc=bytes(blob))
    plan = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year,
                                case_ids=[c.pk for c in two_accepted])  # fmt: skip
    assert plan.batch is not None and plan.batch.count == 1
    assert "无法解密" in plan.skipped[two_accepted[1].pk]


def test_no_bank_file_with_an_unreadable_number(
    two_accepted: list[Case],  # noqa: F811
    county_user: Any,
    checker: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    _funded(county_user, two_accepted[0].year)
    batch = services.build_batch(actor=county_user, county="610826", year=two_accepted[0].year).batch
    assert batch is not None
    services.approve_batch(actor=checker, batch_id=batch.pk)
    payment = Payment.objects.order_by("id").last()
    assert payment is not None
    other = Payment.objects.order_by("id").first()
    assert other is not None
    Payment.objects.filter(pk=payment.pk).update(account_enc=other.account_enc)  # another line's account, moved here
    with pytest.raises(ValidationError, match=f"{payment.reference} 的账号或身份证号无法解密"):
        services.issue_bank_file(actor=county_user, batch_id=batch.pk)  # the batch stays approved, not "sent"
    Payment.objects.filter(pk=payment.pk).update(account_enc=b"")  # corrupted after issuing
    services.issue_bank_file(actor=county_user, batch_id=batch.pk)
    Payment.objects.filter(pk=payment.pk).update(account_enc=other.account_enc)
    with pytest.raises(ValidationError, match="无法解密"):
        services.bank_file(actor=county_user, batch_id=batch.pk, path=tmp_path / "pay.csv")
