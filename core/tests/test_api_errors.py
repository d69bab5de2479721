"""The API's answer to a bug: a 500 whose body is a Chinese sentence and the request id, nothing of the
traceback; the exception is logged with that id (finding 12)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from conftest import token_for
from renovation.api import CaseViewSet


def test_an_unexpected_exception_is_a_json_500_with_the_request_id_only(county_user: Any, monkeypatch: Any, caplog: Any) -> None:
    def broken(self: Any) -> Any:
        raise RuntimeError("secret internals: SELECT head_id_enc FROM households_household")

    monkeypatch.setattr(CaseViewSet, "get_queryset", broken)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(county_user)}")
    with caplog.at_level(logging.ERROR, logger="anju.api"):
        response = client.get("/api/cases/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "request_id"}
    assert body["request_id"] == response["X-Request-Id"]
    assert "服务器内部错误" in body["detail"]
    raw = response.content.decode()
    assert "secret internals" not in raw and "Traceback" not in raw and "RuntimeError" not in raw
    logged = [r for r in caplog.records if r.name == "anju.api"]
    assert logged and body["request_id"] in logged[0].getMessage() and logged[0].exc_info is not None


@pytest.mark.parametrize("path", ["/api/cases/", "/api/batches/", "/api/inspections/"])
def test_known_refusals_keep_their_status(county_user: Any, path: str) -> None:
    """The catch-all is for bugs only: an unauthenticated call is still 401/403, an unknown id still 404."""
    assert Client().get(path).status_code in (401, 403)
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(county_user)}")
    missing = client.get(f"{path}999999999/")
    assert missing.status_code == 404 and "detail" in json.loads(missing.content)


def test_too_many_form_fields_is_a_400_as_django_answers_it(county_user: Any) -> None:
    """Found by schemathesis: a form body with more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(county_user)}")
    body = "level=village&scope=610826&" + "&".join(f"cases={n}" for n in range(1500))
    response = client.post("/api/notices/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "字段过多" in response.json()["detail"]


@pytest.mark.parametrize("pk", ["abc", "1.5", "99999999999999999999999", "-1", "%C2%B2"])
def test_an_id_that_is_not_a_row_id_is_a_404(county_user: Any, pk: str) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(county_user)}")
    for path in ("/api/cases/", "/api/households/", "/api/batches/", "/api/appraisals/"):
        assert client.get(f"{path}{pk}/").status_code == 404, path


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/batches/"), ("TRACE", "/api/field/sync/"), ("DELETE", "/api/cases/")])
def test_a_method_the_endpoint_lacks_is_a_405(village_user: Any, method: str, path: str) -> None:
    """Found by schemathesis: the policy check asked for the action of a method with no handler (500)."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(village_user)}")
    assert client.generic(method, path).status_code == 405


@pytest.mark.parametrize("path", ["/api/members/", "/api/notices/", "/api/cases/open/", "/api/field/sync/", "/api/courses/"])
def test_options_is_answered_as_a_view_of_the_endpoint(village_user: Any, path: str) -> None:
    """Found by schemathesis: OPTIONS had no policy action (500); it is the endpoint's description, a "view"."""
    client = Client(HTTP_AUTHORIZATION=f"Token {token_for(village_user)}")
    assert client.options(path).status_code in (200, 403)
