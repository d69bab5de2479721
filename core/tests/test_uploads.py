"""Findings 7 and 8 of issue 11: sizes enforced while a body arrives, and temporary files that do not stay (ADR 0020)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import Role
from conftest import PASSWORD, make_user
from core import uploads
from exchange.models import ImportJob


@pytest.fixture(autouse=True)
def own_tmp(settings: Any, tmp_path: Path) -> Path:
    settings.ANJU_TMP_DIR = tmp_path / "anju-tmp"
    return settings.ANJU_TMP_DIR


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"PK\x03\x04", "zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
        (b"<svg onload=alert(1)>", "text"),
        (b"MZ\x90\x00\x03\x00", "unknown"),
        (b"", "unknown"),
    ],
)
def test_kinds_are_told_by_their_first_bytes(head: bytes, kind: str) -> None:
    assert uploads.sniff(head) == kind


def test_the_upload_handler_stops_a_body_past_the_limit(settings: Any) -> None:
    settings.ANJU_MAX_UPLOAD_MB = 1
    request = RequestFactory().post("/")
    handler = uploads.LimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 512 * 1024, b"x")
    handler.new_file("file", "a.xlsx", "application/octet-stream", None)
    handler.receive_data_chunk(b"x" * (600 * 1024), 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x" * (600 * 1024), 600 * 1024)  # the second piece passes 1 MB: stop reading
    assert "1 MB" in request.upload_refused  # type: ignore[attr-defined]
    declared = uploads.LimitedUploadHandler(request)
    declared.handle_raw_input(None, {}, 5 * 1024 * 1024, b"x")  # Content-Length says too much: not a byte is kept
    with pytest.raises(StopUpload):
        declared.new_file("file", "a.xlsx", "application/octet-stream", None)


def test_an_import_over_the_limit_is_refused_with_a_message_not_a_500(client: Client, settings: Any, db: Any) -> None:
    settings.ANJU_MAX_UPLOAD_MB = 1
    make_user("sd_import", "610826", Role.COUNTY_STAFF)
    client.login(username="sd_import", password=PASSWORD)
    big = SimpleUploadedFile("农户.csv", b"a,b\n" * (400 * 1024), content_type="text/csv")  # 1.6 MB
    response = client.post(reverse("exchange:import_upload"), {"file": big}, follow=True)
    assert response.status_code == 200 and "超过 1 MB 的上限" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_import_whose_content_is_not_its_suffix_is_refused_at_upload(client: Client, db: Any) -> None:
    make_user("sd_import", "610826", Role.COUNTY_STAFF)
    client.login(username="sd_import", password=PASSWORD)
    fake = SimpleUploadedFile("农户.xlsx", b"<html><script>alert(1)</script></html>", content_type="application/vnd.ms-excel")
    response = client.post(reverse("exchange:import_upload"), {"file": fake}, follow=True)
    assert "与扩展名 .xlsx 不符" in response.content.decode() and not ImportJob.objects.exists()


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/api/field/sync/", b'{"records": [' + b"0," * 2000 + b"0]}", content_type="application/json")
    assert response.status_code == 413 and "上限" in response.json()["detail"]


def test_spool_stops_at_its_limit_and_leaves_nothing(own_tmp: Path) -> None:
    with pytest.raises(ValidationError, match="太大"):
        uploads.spool(io.BytesIO(b"x" * 300_000), 100_000, "太大")
    assert list(own_tmp.iterdir()) == []
    kept = uploads.spool(io.BytesIO(b"x" * 1000), 1000, "太大")
    assert kept.read_bytes() == b"x" * 1000 and kept.parent == own_tmp


def test_a_temporary_download_is_deleted_as_it_is_sent(own_tmp: Path) -> None:
    path = uploads.temp_path(".csv")
    path.write_text("序号\n")
    response = uploads.send_temporary(path, "银行文件.csv", "text/csv")
    assert not path.exists() and b"".join(response.streaming_content) == "序号\n".encode()  # type: ignore[arg-type]
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"


def test_pdf_download_leaves_no_file_behind_when_printing_fails(own_tmp: Path, monkeypatch: Any) -> None:
    from django.contrib.messages.storage.fallback import FallbackStorage

    from core import pdf
    from core.views import pdf_download

    def broken(html: str, path: Path, **kw: Any) -> Path:
        path.write_bytes(b"%PDF-half")
        raise pdf.PdfUnavailable("没有打印机")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    assert pdf_download(request, "<p>x</p>", "a.pdf", "/").status_code == 302
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html, path, **kw: path.write_bytes(b"%PDF-1.7") and path)
    response = pdf_download(request, "<p>x</p>", "a.pdf", "/")
    assert response["Content-Type"] == "application/pdf" and list(own_tmp.iterdir()) == []
