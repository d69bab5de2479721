"""Finding 1 of issue 11 in a real browser: a town worker's HTML or SVG "photo" never runs script in the
county officer's session (ADR 0020). The upload is refused; and even rows forced into the database with
an HTML type (as stored before this check) are served as sandboxed downloads, never as pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from conftest import PASSWORD, add_household, make_user
from core.images import sample_jpeg
from field import sync
from field.models import Photo
from field.tests.test_sync import payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTML = b"<html><body><script>alert('xss');fetch('/xss-ran/?c='+document.cookie)</script><h1>photo</h1></body></html>"
SVG = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert('svg');fetch('/xss-ran/svg')\"><script>alert(2)</script></svg>"


def forced(record_uid: str, owner: Any, content: bytes, content_type: str) -> Photo:
    """A photo row as an attacker would wish it stored: script content, a script-capable type, marked complete."""
    photo = Photo.objects.create(record_kind="inspection", record_uid=record_uid, household_id=owner.household_id,
                                 house_id=owner.house_id, region_code=owner.region_code, size=len(content),
                                 content_type=content_type, completed_at=timezone.now())  # fmt: skip
    photo.file.save(f"{photo.uid}.html", ContentFile(content))
    return photo


def test_an_html_or_svg_photo_never_runs_script_in_the_officers_session(page: Any, live_server: Any) -> None:
    county = make_user("sd_county", "610826", Role.COUNTY_STAFF)
    town = make_user("sd_town", "610826100", Role.TOWN_STAFF)
    household = add_household(county)
    record = payload(household)
    assert sync.sync_record(actor=town, payload=record)["status"] == "created"
    from inspections.models import Inspection

    inspection = Inspection.objects.get(uid=record["uid"])

    # the attacker, with the town worker's token, sends the "photos" as the field app would
    api = Client()
    token = api.post("/api/auth/token/", {"username": "sd_town", "password": PASSWORD}).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    for content, declared in ((HTML, "text/html"), (SVG, "image/svg+xml")):
        meta = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": record["uid"], "size": len(content),
                "content_type": declared}  # fmt: skip
        assert api.post("/api/field/photos/", meta, content_type="application/json", **auth).status_code == 201
        put = api.put(f"/api/field/photos/{meta['uid']}/?offset=0", content, content_type="application/octet-stream", **auth)
        assert put.status_code == 400 and "照片未通过检查" in put.json()["file"][0]
    assert not Photo.objects.filter(completed_at__isnull=False).exists()

    # rows forced in anyway, and one honest photo
    html_photo = forced(record["uid"], inspection, HTML, "text/html")
    svg_photo = forced(record["uid"], inspection, SVG, "image/svg+xml")
    honest = sample_jpeg("honest")
    good = sync.declare_photo(actor=town, meta={"uid": str(uuid.uuid4()), "record_kind": "inspection",
                                                "record_uid": record["uid"], "size": len(honest)})  # fmt: skip
    good = sync.append_chunk(actor=town, photo=good, offset=0, data=honest)

    dialogs: list[str] = []
    ran: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: ran.append(r.url) if "xss-ran" in r.url else None)
    page.goto("/accounts/login/")
    page.fill("[name=username]", "sd_county")
    page.fill("[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    for photo in (html_photo, svg_photo):
        url = f"{live_server.url}/field/photos/{photo.uid}/"
        with page.expect_download() as download:
            page.evaluate("url => { window.location.href = url; }", url)
        assert download.value.suggested_filename.endswith(".jpg")
        # an officer's page that shows it as an image, and as a frame, still runs nothing
        page.set_content(f'<img id="i" src="{url}"><iframe src="{url}"></iframe>')
        page.wait_for_timeout(500)
    page.goto(f"/field/photos/{good.uid}/")  # a verified photo is shown as a picture
    assert page.evaluate("document.images.length === 1 && document.images[0].naturalWidth") == 64
    assert dialogs == [] and ran == []
