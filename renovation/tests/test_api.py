from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from accounts.roles import Role
from accounts.tokens import issue
from conftest import make_user
from renovation.tests.fixtures import accepted_repair


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {issue(user=user, name='test').key}")


def test_cases_transitions_batches_and_bank_files_through_the_api(
    county_user: Any,
    town_user: Any,
    village_user: Any,
    dangerous: Any,
    craftsman: Any,
    appraiser_user: Any,
    trained_appraiser: Any,
    neighbour_user: Any,
) -> None:
    dangerous.bank_account = "6230555566667777888"
    dangerous.save()
    village = api(village_user)
    opened = village.post("/api/cases/open/", {"house": dangerous.houses.get().pk}, content_type="application/json")
    assert opened.status_code == 201 and opened.json()["state"] == "application"
    case_id = opened.json()["id"]
    wrong = api(county_user).post(
        f"/api/cases/{case_id}/transition/", {"action": "village_review"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "须由村级办理" in wrong.content.decode()
    moved = village.post(
        f"/api/cases/{case_id}/transition/", {"action": "village_review", "comment": "通过"}, content_type="application/json"
    )
    assert moved.json()["state_label"] == "村民主评议通过"
    assert [e["action"] for e in village.get(f"/api/cases/{case_id}/events/").json()] == ["open", "village_review"]
    assert api(neighbour_user).get(f"/api/cases/{case_id}/").status_code == 404
    from renovation.models import Case

    case = Case.objects.get(pk=case_id)
    case.state = "application"  # set up again from the start (the fixture walks the whole way on its own clock)
    case.save()
    case.events.exclude(action="open").delete()
    accepted_repair(case, village_user, town_user, county_user, craftsman, appraiser_user, trained_appraiser)
    county = api(county_user)
    batch = county.post("/api/batches/", {"county": "610826", "year": case.year}, content_type="application/json")
    assert batch.status_code == 201 and batch.json()["count"] == 1
    batch_id = batch.json()["id"]
    assert county.post(f"/api/batches/{batch_id}/approve/").status_code == 403
    checker = make_user("sd_checker", "610826", Role.COUNTY_STAFF)
    assert api(checker).post(f"/api/batches/{batch_id}/approve/").json()["status"] == "approved"
    payments = county.get(f"/api/batches/{batch_id}/payments/").json()["results"]
    assert payments[0]["account"] == "6230***********7888"
    refused = county.get(f"/api/batches/{batch_id}/bank-file/?as=csv")
    assert refused.status_code == 400 and "尚未生成银行代发文件" in str(refused.json())
    assert county.post(f"/api/batches/{batch_id}/bank-file/").json()["status"] == "sent"
    sent = b"".join(county.get(f"/api/batches/{batch_id}/bank-file/?as=csv").streaming_content).decode("utf-8-sig")
    line = list(csv.reader(io.StringIO(sent)))[1]
    back = io.StringIO()
    csv.writer(back).writerows(
        [
            ["序号", "业务参考号", "收款账号", "户名", "身份证号", "金额", "开户银行", "摘要", "处理结果", "失败原因"],
            [*line, "失败", "户名不符"],
        ]
    )
    upload = io.BytesIO(back.getvalue().encode("utf-8-sig"))
    upload.name = "return.csv"
    result = county.post(f"/api/batches/{batch_id}/bank-return/", {"file": upload}).json()
    assert (result["paid"], result["failed"], result["already_imported"]) == (0, 1, False)
    page = Client()
    page.force_login(county_user)
    home = page.get(f"/funds/?year={case.year}").content.decode()
    assert f"/households/{dangerous.pk}/edit/" in home and "户名不符" in home  # the correction list links to the account
