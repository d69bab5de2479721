"""Finding 1 of issue 11: a "photo" that is HTML, SVG or a program is refused at upload, and nothing a
user sent is ever served so that a browser would run it (ADR 0020)."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from conftest import PASSWORD
from core.images import describe, sample_jpeg
from field import sync
from field.models import Photo
from field.tests.test_sync import payload

HTML = b"<html><body><script>fetch('/api/households/').then(r=>r.text()).then(t=>alert(t))</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 40  # the right first bytes, no picture behind them


def polyglot() -> bytes:
    """A real JPEG that is also HTML: a comment segment and a tail carry the script."""
    jpeg = sample_jpeg("polyglot")
    comment = b"\xff\xfe" + (len(HTML) + 2).to_bytes(2, "big") + HTML
    return jpeg[:2] + comment + jpeg[2:] + HTML


@pytest.fixture
def record(town_user: Any, household: Any) -> dict[str, Any]:
    p = payload(household)
    sync.sync_record(actor=town_user, payload=p)
    return p


def declare(actor: Any, record: dict[str, Any], content: bytes, **meta: Any) -> Photo:
    digest = hashlib.sha256(content).hexdigest()
    base = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": record["uid"], "size": len(content)}
    return sync.declare_photo(actor=actor, meta=base | {"sha256": digest, "part": "overview", **meta})


@pytest.mark.parametrize(
    ("content", "declared"),
    [(HTML, "text/html"), (SVG, "image/svg+xml"), (EXE, "image/jpeg"), (FAKE_JPEG, "image/jpeg")],
    ids=["html", "svg", "exe-as-jpeg", "jpeg-magic-only"],
)
def test_what_is_not_a_picture_is_refused_for_good_and_audited(
    town_user: Any, record: dict[str, Any], content: bytes, declared: str
) -> None:
    photo = declare(town_user, record, content, content_type=declared)
    with pytest.raises(ValidationError, match="照片未通过检查"):
        sync.append_chunk(actor=town_user, photo=photo, offset=0, data=content)
    photo.refresh_from_db()
    assert photo.refused and not photo.complete and not photo.file
    assert not (Path(photo.file.storage.location) / "partial" / f"{photo.uid}.part").exists()
    event = AuditEvent.objects.get(verb="field.photo_refused")
    assert event.after["uid"] == str(photo.uid)
    with pytest.raises(ValidationError, match="照片未通过检查"):  # resending does not help
        sync.append_chunk(actor=town_user, photo=photo, offset=0, data=content)


def test_a_polyglot_is_re_encoded_so_nothing_but_the_picture_survives(town_user: Any, record: dict[str, Any]) -> None:
    content = polyglot()
    assert Image.open(io.BytesIO(content)).size == (64, 48) and b"<script>" in content  # a valid JPEG, and HTML
    photo = declare(town_user, record, content, content_type="text/html")
    photo = sync.append_chunk(actor=town_user, photo=photo, offset=0, data=content)
    stored = photo.file.read()
    assert photo.complete and photo.content_type == "image/jpeg" and b"<script" not in stored and b"<html" not in stored
    assert describe(Path(photo.file.path)) == {"width": 64, "height": 48, "format": "JPEG"}


def test_evidence_exif_is_kept_and_the_rest_dropped(town_user: Any, record: dict[str, Any]) -> None:
    exif = Image.Exif()
    exif[0x0132] = "2026:11:30 10:00:00"
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription: free text, dropped
    exif[0x8769] = {0x9003: "2026:11:30 09:59:58", 0xA431: "SERIAL-123"}  # the body serial number is dropped
    exif[0x8825] = {1: "N", 2: (37.0, 30.0, 1.5), 3: "E", 4: (110.0, 15.0, 1.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "gray").save(buffer, "JPEG", exif=exif)
    photo = declare(town_user, record, buffer.getvalue())
    photo = sync.append_chunk(actor=town_user, photo=photo, offset=0, data=buffer.getvalue())
    kept = Image.open(photo.file.path).getexif()
    assert kept[0x0132] == "2026:11:30 10:00:00" and 0x010E not in kept
    assert kept.get_ifd(0x8769) == {0x9003: "2026:11:30 09:59:58"}
    assert kept.get_ifd(0x8825)[1] == "N" and float(kept.get_ifd(0x8825)[2][0]) == 37.0


def test_a_picture_over_the_pixel_limit_is_refused_before_it_is_decoded(
    town_user: Any, record: dict[str, Any], settings: Any
) -> None:
    settings.ANJU_MAX_IMAGE_PIXELS = 10_000
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100)).save(buffer, "PNG")
    photo = declare(town_user, record, buffer.getvalue())
    with pytest.raises(ValidationError, match="超过 1 万像素"):
        sync.append_chunk(actor=town_user, photo=photo, offset=0, data=buffer.getvalue())


def test_a_piece_longer_than_declared_is_refused_without_being_kept(town_user: Any, record: dict[str, Any]) -> None:
    content = sample_jpeg("short")
    photo = declare(town_user, record, content)
    with pytest.raises(ValidationError, match="超过了声明的照片大小"):
        sync.append_chunk(actor=town_user, photo=photo, offset=0, data=io.BytesIO(content + b"x" * 10_000))
    photo.refresh_from_db()
    assert photo.received == 0 and not photo.refused


def test_the_api_refuses_an_html_photo_and_answers_refused_to_the_phone(town_user: Any, record: dict[str, Any]) -> None:
    client = Client()
    token = client.post("/api/auth/token/", {"username": "sd_town", "password": PASSWORD}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    meta = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": record["uid"], "size": len(HTML),
            "content_type": "text/html"}  # fmt: skip
    assert client.post("/api/field/photos/", meta, content_type="application/json", **auth).status_code == 201
    url = f"/api/field/photos/{meta['uid']}/"
    put = client.put(f"{url}?offset=0", HTML, content_type="application/octet-stream", **auth)
    assert put.status_code == 400 and "照片未通过检查" in put.json()["file"][0]
    assert "照片未通过检查" in client.get(url, **auth).json()["refused"]
    assert client.put(f"{url}?offset=0", HTML, content_type="application/octet-stream", **auth).status_code == 400


def test_the_web_form_refuses_an_html_photo_whatever_the_browser_says(client: Any, town_user: Any, household: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from inspections.models import Inspection

    client.force_login(town_user)
    url = reverse("inspections:inspect", args=[household.pk])
    form = {"inspected_on": timezone.localdate().isoformat(), "verdict": "safe", "uid": uuid.uuid4(),
            "inspector_name": "高建国", "household_confirmed": "on", "confirmed_by": "郝建国"}  # fmt: skip
    bad = SimpleUploadedFile("正面.jpg", HTML, content_type="image/jpeg")
    done = client.post(url, form | {"photo_overview": bad}, follow=True)
    assert Inspection.objects.count() == 1 and not Photo.objects.filter(completed_at__isnull=False).exists()
    assert "照片未通过检查" in done.content.decode()


@pytest.mark.parametrize("forced_type", ["text/html", "image/svg+xml", "application/javascript"])
def test_a_row_forced_into_the_database_as_html_is_served_as_a_download_that_cannot_run(
    client: Any, county_user: Any, town_user: Any, record: dict[str, Any], forced_type: str
) -> None:
    """Defence in depth: even a photo stored before this check (or written around it) is never shown as a page."""
    photo = declare(town_user, record, HTML)
    photo.file.save(f"{photo.uid}.html", ContentFile(HTML), save=False)
    Photo.objects.filter(pk=photo.pk).update(file=photo.file.name, content_type=forced_type, completed_at=timezone.now())
    client.force_login(county_user)
    response = client.get(f"/field/photos/{photo.uid}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


def test_a_verified_photo_is_shown_inline_with_its_verified_type(
    client: Any, county_user: Any, town_user: Any, record: dict[str, Any]
) -> None:
    content = sample_jpeg("fine")
    photo = sync.append_chunk(actor=town_user, photo=declare(town_user, record, content), offset=0, data=content)
    client.force_login(county_user)
    response = client.get(f"/field/photos/{photo.uid}/")
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    Photo.objects.filter(pk=photo.pk).update(refused="测试")
    assert client.get(f"/field/photos/{photo.uid}/").status_code == 404  # a refused photo is never served


def test_an_abandoned_photo_upload_loses_its_pieces_after_the_retention_period(
    town_user: Any, record: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    import datetime as dt

    from django.core.management import call_command

    settings.ANJU_TMP_DIR = tmp_path / "anju-tmp"
    content = sample_jpeg("abandoned")
    photo = sync.append_chunk(actor=town_user, photo=declare(town_user, record, content), offset=0, data=content[:1000])
    piece = Path(settings.MEDIA_ROOT) / "partial" / f"{photo.uid}.part"
    assert piece.exists() and photo.received == 1000
    call_command("purge_expired_files")
    assert piece.exists()  # still within the period
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    call_command("purge_expired_files")
    photo.refresh_from_db()
    assert not piece.exists() and photo.received == 0  # the phone starts again from 0 if it ever comes back
