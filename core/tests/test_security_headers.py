"""Headers every response carries (CSP, no-store) and what anonymous visitors may not read (issue 11 finding 9)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from conftest import add_household

ROOT = Path(__file__).resolve().parents[2]
# Printed to PDF by Chromium from a string (core.pdf): never served to a browser, so no CSP applies.
PDF_TEMPLATES = {
    "renovation/_doc_head.html",
    "renovation/notice_pdf.html",
    "inspections/labels_pdf.html",
    "inspections/appraisal_pdf.html",
    "funds/disclosure_pdf.html",
}
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_template_needs_unsafe_inline() -> None:
    """The policy refuses inline script, style and handlers: a template that brings one back fails here."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in PDF_TEMPLATES:
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{name}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == []


def test_our_scripts_build_no_markup_the_policy_refuses() -> None:
    """HTML that our JS writes with innerHTML must not carry style or on… attributes either."""
    found = []
    for path in [*sorted((ROOT / "static/anju").glob("*.js")), *sorted((ROOT / "static/field").glob("*.js"))]:
        text = path.read_text(encoding="utf-8")
        for what in ("style attribute", "event handler attribute", "javascript: URL"):
            found += [f"{path.name}: {what}" for _ in INLINE[what].finditer(text)]
    assert found == []


def test_pages_carry_a_policy_without_unsafe_inline_or_eval(client: Client, county_user: Any) -> None:
    client.force_login(county_user)
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["report-uri"] == "/csp-report/"
    assert "unsafe" not in policy
    assert Client().get("/field/")["Content-Security-Policy"] == policy  # the field app's shell too


def test_violation_reports_are_logged(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    body = {
        "csp-report": {
            "document-uri": "https://anju.example/households/",
            "violated-directive": "script-src-elem",
            "blocked-uri": "inline",
            "script-sample": "alert(document.cookie)",
        }
    }
    with caplog.at_level(logging.WARNING, logger="anju.csp"):
        done = client.post("/csp-report/", json.dumps(body), content_type="application/csp-report")
    assert done.status_code == 204
    assert "script-src-elem" in caplog.text and "alert(document.cookie)" in caplog.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"csp-report": "x"}', 400),
        (b"[1, 2]", 400),
        (b"\xff\xfe", 400),
        (json.dumps({"csp-report": {"blocked-uri": "x" * 20000}}).encode(), 413),
    ],
    ids=["not-json", "no-report-object", "list-of-numbers", "not-utf8", "too-large"],
)
def test_the_report_endpoint_refuses_junk_without_a_server_error(client: Client, body: bytes, status: int) -> None:
    """Anyone may post here, an attacker too: junk gets a 4xx, never a 500 nor a row in the database."""
    assert client.post("/csp-report/", body, content_type="application/csp-report").status_code == status
    assert client.get("/csp-report/").status_code == 405


def test_signed_in_pages_and_api_answers_are_not_stored(client: Client, county_user: Any) -> None:
    household = add_household(county_user)
    client.force_login(county_user)
    for url in ("/", "/households/", f"/households/{household.pk}/"):
        response = client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "no-store", url
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_user).key}")
    answer = api.get("/api/households/")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    refused = Client().get("/api/households/")
    assert refused.status_code in (401, 403) and refused["Cache-Control"] == "no-store"


def test_anonymous_pages_without_personal_data_stay_cacheable(client: Client) -> None:
    assert "no-store" not in client.get("/accounts/login/").get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/", "/api/docs/?script="])
def test_schema_and_api_docs_are_for_signed_in_users_only(url: str, county_user: Any) -> None:
    anonymous = Client().get(url)
    assert anonymous.status_code in (302, 401, 403)
    assert b"openapi" not in anonymous.content and b"/api/households/" not in anonymous.content
    if anonymous.status_code == 302:
        assert anonymous["Location"].startswith("/accounts/login/")
    signed_in = Client()
    signed_in.force_login(county_user)
    assert signed_in.get(url).status_code == 200


def test_a_token_client_may_read_the_schema(county_user: Any) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_user).key}")
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/households/" in schema.content.decode()


def test_api_docs_pages_need_no_inline_script(county_user: Any) -> None:
    client = Client()
    client.force_login(county_user)
    swagger = client.get("/api/docs/")
    assert not INLINE["inline script"].search(swagger.content.decode())
    assert "unsafe-inline" not in swagger["Content-Security-Policy"]
    redoc = client.get("/api/redoc/")
    assert "fonts.googleapis.com" not in redoc.content.decode()  # unreachable in China, and refused by the policy
    assert "script-src 'self'" in redoc["Content-Security-Policy"]
